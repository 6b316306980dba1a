/**
 * `lenet`: LeNet-5 with ReLU and 2x2 max pooling, for 28x28xC (first conv padded 'same') or
 * 32x32xC (first conv 'valid') inputs: conv5x5x6 -> pool -> conv5x5x16 -> pool -> fc120 -> fc84 -> fc.
 *
 * Layout (in order): conv1.weight [5,5,C,6], conv1.bias [6], conv2.weight [5,5,6,16], conv2.bias [16],
 * fc1.weight [400,120], fc1.bias [120], fc2.weight [120,84], fc2.bias [84], fc3.weight [84,K],
 * fc3.bias [K]. Conv filters are [KH, KW, Cin, Cout] (tfjs HWIO); the 5x5x16 feature map is flattened
 * in HWC order. Weights He normal (fc3 Glorot uniform), biases zeros. No state.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { SpecError } from '../errors.js';
import type { TensorDef } from './layout.js';
import type { ForwardContext, ModelDef } from './tfjs/learner.js';

export function lenetDef(spec: string, inputShape: readonly number[], classes: number): ModelDef {
  const [h, w, c] = inputShape;
  if (inputShape.length !== 3 || h !== w || (h !== 28 && h !== 32) || !(c! >= 1)) {
    throw new SpecError(spec, `lenet needs 28x28xC or 32x32xC image input, got input shape [${inputShape.join(', ')}]`);
  }
  const firstPad: 'same' | 'valid' = h === 28 ? 'same' : 'valid';
  const conv = (name: string, cin: number, cout: number): TensorDef[] => [
    { name: `${name}.weight`, shape: [5, 5, cin, cout], init: 'he', fanIn: 25 * cin, fanOut: 25 * cout },
    { name: `${name}.bias`, shape: [cout], init: 'zeros' },
  ];
  const fc = (name: string, fin: number, fout: number, last = false): TensorDef[] => [
    { name: `${name}.weight`, shape: [fin, fout], init: last ? 'glorot' : 'he', fanIn: fin, fanOut: fout },
    { name: `${name}.bias`, shape: [fout], init: 'zeros' },
  ];
  const params = [...conv('conv1', c!, 6), ...conv('conv2', 6, 16), ...fc('fc1', 400, 120), ...fc('fc2', 120, 84), ...fc('fc3', 84, classes, true)];
  const macs = 28 * 28 * 25 * c! * 6 + 10 * 10 * 25 * 6 * 16 + 400 * 120 + 120 * 84 + 84 * classes;
  return {
    spec,
    inputShape: [...inputShape],
    classes,
    params,
    state: [],
    macsPerSample: macs,
    evalChunk: 512,
    forward(ctx: ForwardContext, x: tf.Tensor): tf.Tensor2D {
      const p = (n: string): tf.Tensor => ctx.param(n);
      // Fused bias + ReLU when evaluating; when training tfjs would unfuse a fused ReLU anyway, so
      // use the fused linear op (its own gradient) and the context's ReLU.
      const act = <T extends tf.Tensor>(f: (a: 'relu' | 'linear') => T): T => (ctx.training ? ctx.relu(f('linear')) : f('relu'));
      const conv = (t: tf.Tensor4D, name: string, pad: 'same' | 'valid'): tf.Tensor4D =>
        act((a) => tf.fused.conv2d({ x: t, filter: p(`${name}.weight`) as tf.Tensor4D, strides: 1, pad, bias: p(`${name}.bias`), activation: a }));
      const dense = (t: tf.Tensor2D, name: string): tf.Tensor2D =>
        act((a) => tf.fused.matMul({ a: t, b: p(`${name}.weight`) as tf.Tensor2D, bias: p(`${name}.bias`), activation: a }) as tf.Tensor2D);
      let y = ctx.maxPool2x2(conv(x as tf.Tensor4D, 'conv1', firstPad));
      y = ctx.maxPool2x2(conv(y, 'conv2', 'valid'));
      const z = dense(dense(tf.reshape(y, [y.shape[0], 400]) as tf.Tensor2D, 'fc1'), 'fc2');
      return tf.fused.matMul({ a: z, b: p('fc3.weight') as tf.Tensor2D, bias: p('fc3.bias') }) as tf.Tensor2D;
    },
    layers(tfl: typeof Tfl): Tfl.LayersModel {
      return tfl.sequential({
        name: 'lenet',
        layers: [
          tfl.layers.conv2d({ inputShape: [...inputShape], filters: 6, kernelSize: 5, padding: firstPad, activation: 'relu', name: 'conv1' }),
          tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: 'pool1' }),
          tfl.layers.conv2d({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu', name: 'conv2' }),
          tfl.layers.maxPooling2d({ poolSize: 2, strides: 2, padding: 'valid', name: 'pool2' }),
          tfl.layers.flatten({ name: 'flatten' }),
          tfl.layers.dense({ units: 120, activation: 'relu', name: 'fc1' }),
          tfl.layers.dense({ units: 84, activation: 'relu', name: 'fc2' }),
          tfl.layers.dense({ units: classes, name: 'fc3' }),
        ],
      });
    },
  };
}
