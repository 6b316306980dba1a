/**
 * `mlp:h1,h2,...`: fully connected ReLU network on the flattened input.
 *
 * Layout (in order), for widths d0 = features, d1..dL = hidden, d(L+1) = classes:
 *   fc{i}.weight [d(i-1), d(i)] (He normal; the last layer Glorot uniform), fc{i}.bias [d(i)] (zeros),
 *   for i = 1..L+1. y = x W + b (row vectors). No state.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { product, type TensorDef } from './layout.js';
import type { ForwardContext, ModelDef } from './tfjs/learner.js';

export function mlpDef(spec: string, hidden: readonly number[], inputShape: readonly number[], classes: number): ModelDef {
  const widths = [product(inputShape), ...hidden, classes];
  const params: TensorDef[] = [];
  let macs = 0;
  for (let i = 1; i < widths.length; i++) {
    const fanIn = widths[i - 1]!;
    const fanOut = widths[i]!;
    const last = i === widths.length - 1;
    params.push({ name: `fc${i}.weight`, shape: [fanIn, fanOut], init: last ? 'glorot' : 'he', fanIn, fanOut });
    params.push({ name: `fc${i}.bias`, shape: [fanOut], init: 'zeros' });
    macs += fanIn * fanOut;
  }
  const layers = widths.length - 1;
  return {
    spec,
    inputShape: [...inputShape],
    classes,
    params,
    state: [],
    macsPerSample: macs,
    evalChunk: 1024,
    forward(ctx: ForwardContext, x: tf.Tensor): tf.Tensor2D {
      let h = tf.reshape(x, [x.shape[0]!, widths[0]!]) as tf.Tensor2D;
      for (let i = 1; i <= layers; i++) {
        const hidden = i < layers;
        // Fused bias + ReLU when evaluating; when training, the fused linear op plus the context's
        // ReLU (tfjs unfuses a fused ReLU under a gradient tape anyway).
        h = tf.fused.matMul({
          a: h,
          b: ctx.param(`fc${i}.weight`) as tf.Tensor2D,
          bias: ctx.param(`fc${i}.bias`),
          activation: hidden && !ctx.training ? 'relu' : 'linear',
        }) as tf.Tensor2D;
        if (hidden && ctx.training) h = ctx.relu(h);
      }
      return h;
    },
    layers(tfl: typeof Tfl): Tfl.LayersModel {
      const input = tfl.input({ shape: [...inputShape], name: 'input' });
      let h = inputShape.length > 1 ? tfl.layers.flatten({ name: 'flatten' }).apply(input) as Tfl.SymbolicTensor : input;
      for (let i = 1; i <= layers; i++) {
        h = tfl.layers.dense({ units: widths[i]!, activation: i < layers ? 'relu' : 'linear', name: `fc${i}` }).apply(h) as Tfl.SymbolicTensor;
      }
      return tfl.model({ inputs: input, outputs: h, name: spec.replace(/[^A-Za-z0-9_]/g, '_') });
    },
  };
}
