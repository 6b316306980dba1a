/**
 * `vgg11[:w]`: CIFAR-style VGG-11 with batch norm: conv3x3 stages [w, M, 2w, M, 4w, 4w, M, 8w, 8w, M,
 * 8w, 8w, M] (M = 2x2 max pool; each conv 'same', no bias, followed by BN and ReLU), then one fully
 * connected layer from the 8w x (H/32) x (W/32) features to the classes. w = 64 (default) is the
 * standard width (9.2M parameters for CIFAR-10); `vgg11:16` is a 16x smaller variant for benchmarks.
 *
 * Layout (in order): for conv i = 1..8: conv{i}.weight [3,3,cin,cout], bn{i}.gamma [cout], bn{i}.beta [cout];
 * then fc.weight [8w*(H/32)*(W/32), K], fc.bias [K]. State: bn{i}.runningMean, bn{i}.runningVar.
 * Conv weights He normal, fc Glorot uniform, gamma ones, beta zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { SpecError } from '../errors.js';
import type { TensorDef } from './layout.js';
import { BN_EPSILON } from './tfjs/ops.js';
import { batchNormDefs, type ForwardContext, type ModelDef } from './tfjs/learner.js';

export function vgg11Def(spec: string, width: number, inputShape: readonly number[], classes: number): ModelDef {
  const [h, w, c] = inputShape;
  if (inputShape.length !== 3 || !(h! >= 32) || !(w! >= 32) || h! % 32 !== 0 || w! % 32 !== 0 || !(c! >= 1)) {
    throw new SpecError(spec, `vgg11 needs HxWxC image input with H and W multiples of 32, got input shape [${inputShape.join(', ')}]`);
  }
  const plan: Array<number | 'M'> = [1, 'M', 2, 'M', 4, 4, 'M', 8, 8, 'M', 8, 8, 'M'];
  const params: TensorDef[] = [];
  const state: TensorDef[] = [];
  let macs = 0;
  let hh = h!;
  let ww = w!;
  let cin = c!;
  let i = 0;
  const layers: Array<{ conv: string; bn: string } | 'M'> = [];
  for (const step of plan) {
    if (step === 'M') {
      layers.push('M');
      hh /= 2;
      ww /= 2;
      continue;
    }
    i++;
    const cout = step * width;
    params.push({ name: `conv${i}.weight`, shape: [3, 3, cin, cout], init: 'he', fanIn: 9 * cin, fanOut: 9 * cout });
    const d = batchNormDefs(`bn${i}`, cout);
    params.push(...d.params);
    state.push(...d.state);
    macs += hh * ww * 9 * cin * cout;
    layers.push({ conv: `conv${i}`, bn: `bn${i}` });
    cin = cout;
  }
  const flat = cin * hh * ww;
  params.push({ name: 'fc.weight', shape: [flat, classes], init: 'glorot', fanIn: flat, fanOut: classes });
  params.push({ name: 'fc.bias', shape: [classes], init: 'zeros' });
  macs += flat * classes;

  return {
    spec,
    inputShape: [...inputShape],
    classes,
    params,
    state,
    macsPerSample: macs,
    evalChunk: 128,
    forward(ctx: ForwardContext, x: tf.Tensor): tf.Tensor2D {
      let y = x as tf.Tensor4D;
      for (const l of layers) {
        if (l === 'M') {
          y = ctx.maxPool2x2(y);
        } else {
          y = ctx.relu(ctx.batchNorm(l.bn, tf.conv2d(y, ctx.param(`${l.conv}.weight`) as tf.Tensor4D, 1, 'same'))) as tf.Tensor4D;
        }
      }
      const z = tf.reshape(y, [y.shape[0], flat]) as tf.Tensor2D;
      return tf.add(tf.matMul(z, ctx.param('fc.weight') as tf.Tensor2D), ctx.param('fc.bias')) as tf.Tensor2D;
    },
    layers(tfl: typeof Tfl): Tfl.LayersModel {
      const out: Tfl.layers.Layer[] = [tfl.layers.inputLayer({ inputShape: [...inputShape], name: 'input' })];
      let pool = 0;
      for (const l of layers) {
        if (l === 'M') {
          out.push(tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: `pool${++pool}` }));
        } else {
          const c = Number(l.conv.slice(4));
          out.push(tfl.layers.conv2d({ filters: params.find((p) => p.name === `${l.conv}.weight`)!.shape[3]!, kernelSize: 3, padding: 'same', useBias: false, name: l.conv }));
          out.push(tfl.layers.batchNormalization({ epsilon: BN_EPSILON, name: l.bn }));
          out.push(tfl.layers.activation({ activation: 'relu', name: `relu${c}` }));
        }
      }
      out.push(tfl.layers.flatten({ name: 'flatten' }), tfl.layers.dense({ units: classes, name: 'fc' }));
      return tfl.sequential({ name: spec.replace(/[^A-Za-z0-9_]/g, '_'), layers: out });
    },
  };
}
