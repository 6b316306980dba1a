/**
 * `resnet20`: CIFAR ResNet-20 (He et al. 2016, section 4.2): conv3x3(16) + BN + ReLU, three stages
 * of three basic blocks (16, 32, 64 channels; the first block of stages 2 and 3 has stride 2),
 * global average pooling, fully connected classifier. Convolutions have no bias (batch norm follows).
 * Shortcuts are option A (parameter-free): identity, or on downsampling x[:, ::2, ::2, :] with the
 * new channels zero-padded equally on both sides, as in the paper's CIFAR models.
 *
 * Layout (in order):
 *   conv0.weight [3,3,C,16], bn0.gamma [16], bn0.beta [16],
 *   for stage s = 1..3 (width w = 16, 32, 64), block b = 1..3, prefix `s{s}b{b}`:
 *     .conv1.weight [3,3,win,w], .bn1.gamma [w], .bn1.beta [w], .conv2.weight [3,3,w,w], .bn2.gamma [w], .bn2.beta [w]
 *   fc.weight [64,K], fc.bias [K].
 * State: `<bn>.runningMean`, `<bn>.runningVar` for every batch norm in the same order.
 * 269,722 parameters and 1,376 state values for K = 10 and C = 3. Conv weights He normal (fan-in),
 * fc Glorot uniform, gamma ones, beta zeros.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import { SpecError } from '../errors.js';
import type { TensorDef } from './layout.js';
import { BN_EPSILON } from './tfjs/ops.js';
import { batchNormDefs, type ForwardContext, type ModelDef } from './tfjs/learner.js';

export function resnet20Def(spec: string, inputShape: readonly number[], classes: number): ModelDef {
  const [h, w, c] = inputShape;
  if (inputShape.length !== 3 || !(h! >= 4) || !(w! >= 4) || h! % 4 !== 0 || w! % 4 !== 0 || !(c! >= 1)) {
    throw new SpecError(spec, `resnet20 needs HxWxC image input with H and W multiples of 4, got input shape [${inputShape.join(', ')}]`);
  }
  const params: TensorDef[] = [];
  const state: TensorDef[] = [];
  let macs = 0;
  let hh = h!;
  let ww = w!;
  const conv = (name: string, cin: number, cout: number): void => {
    params.push({ name: `${name}.weight`, shape: [3, 3, cin, cout], init: 'he', fanIn: 9 * cin, fanOut: 9 * cout });
  };
  const bn = (prefix: string, ch: number): void => {
    const d = batchNormDefs(prefix, ch);
    params.push(...d.params);
    state.push(...d.state);
  };
  conv('conv0', c!, 16);
  bn('bn0', 16);
  macs += hh * ww * 9 * c! * 16;
  const blocks: Array<{ prefix: string; cin: number; cout: number; stride: number }> = [];
  let cin = 16;
  for (let s = 1; s <= 3; s++) {
    const cout = 16 << (s - 1);
    for (let b = 1; b <= 3; b++) {
      const stride = s > 1 && b === 1 ? 2 : 1;
      const prefix = `s${s}b${b}`;
      conv(`${prefix}.conv1`, cin, cout);
      bn(`${prefix}.bn1`, cout);
      conv(`${prefix}.conv2`, cout, cout);
      bn(`${prefix}.bn2`, cout);
      hh /= stride;
      ww /= stride;
      macs += hh * ww * 9 * (cin * cout + cout * cout);
      blocks.push({ prefix, cin, cout, stride });
      cin = cout;
    }
  }
  params.push({ name: 'fc.weight', shape: [64, classes], init: 'glorot', fanIn: 64, fanOut: classes });
  params.push({ name: 'fc.bias', shape: [classes], init: 'zeros' });
  macs += 64 * classes;

  return {
    spec,
    inputShape: [...inputShape],
    classes,
    params,
    state,
    macsPerSample: macs,
    evalChunk: 128,
    forward(ctx: ForwardContext, x: tf.Tensor): tf.Tensor2D {
      const conv3 = (t: tf.Tensor4D, name: string, stride: number): tf.Tensor4D =>
        tf.conv2d(t, ctx.param(`${name}.weight`) as tf.Tensor4D, stride, 'same');
      let y = ctx.relu(ctx.batchNorm('bn0', conv3(x as tf.Tensor4D, 'conv0', 1))) as tf.Tensor4D;
      for (const blk of blocks) {
        let r = ctx.relu(ctx.batchNorm(`${blk.prefix}.bn1`, conv3(y, `${blk.prefix}.conv1`, blk.stride))) as tf.Tensor4D;
        r = ctx.batchNorm(`${blk.prefix}.bn2`, conv3(r, `${blk.prefix}.conv2`, 1)) as tf.Tensor4D;
        y = ctx.relu(tf.add(r, shortcutA(y, blk.cin, blk.cout, blk.stride))) as tf.Tensor4D;
      }
      const pooled = tf.mean(y, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(pooled, ctx.param('fc.weight') as tf.Tensor2D), ctx.param('fc.bias')) as tf.Tensor2D;
    },
    layers(tfl: typeof Tfl): Tfl.LayersModel {
      type T = Tfl.SymbolicTensor;
      const conv = (t: T, name: string, filters: number, stride: number): T =>
        tfl.layers.conv2d({ filters, kernelSize: 3, strides: stride, padding: 'same', useBias: false, name }).apply(t) as T;
      const bnorm = (t: T, name: string): T => tfl.layers.batchNormalization({ epsilon: BN_EPSILON, name }).apply(t) as T;
      const relu = (t: T, name: string): T => tfl.layers.activation({ activation: 'relu', name }).apply(t) as T;
      const input = tfl.input({ shape: [...inputShape], name: 'input' });
      let y = relu(bnorm(conv(input, 'conv0', 16, 1), 'bn0'), 'relu0');
      // Option-A shortcuts that downsample: a fixed 1x1 stride-2 convolution copying channel c to
      // channel c + pad (x[:, ::2, ::2, :] with zero channels on both sides), exact in f32.
      const fixed: Array<{ layer: Tfl.layers.Layer; cin: number; cout: number }> = [];
      for (const blk of blocks) {
        let r = relu(bnorm(conv(y, `${blk.prefix}.conv1`, blk.cout, blk.stride), `${blk.prefix}.bn1`), `${blk.prefix}.relu1`);
        r = bnorm(conv(r, `${blk.prefix}.conv2`, blk.cout, 1), `${blk.prefix}.bn2`);
        let s = y;
        if (blk.stride !== 1 || blk.cin !== blk.cout) {
          const layer = tfl.layers.conv2d({ filters: blk.cout, kernelSize: 1, strides: blk.stride, padding: 'valid', useBias: false, trainable: false, name: `${blk.prefix}.shortcut` });
          s = layer.apply(y) as T;
          fixed.push({ layer, cin: blk.cin, cout: blk.cout });
        }
        y = relu(tfl.layers.add({ name: `${blk.prefix}.add` }).apply([r, s]) as T, `${blk.prefix}.relu2`);
      }
      const pooled = tfl.layers.globalAveragePooling2d({ name: 'pool' }).apply(y) as T;
      const logits = tfl.layers.dense({ units: classes, name: 'fc' }).apply(pooled) as T;
      const model = tfl.model({ inputs: input, outputs: logits, name: 'resnet20' });
      for (const { layer, cin, cout } of fixed) {
        const k = new Float32Array(cin * cout);
        const lo = Math.floor((cout - cin) / 2);
        for (let c = 0; c < cin; c++) k[c * cout + c + lo] = 1;
        const kernel = tf.tensor4d(k, [1, 1, cin, cout]);
        layer.setWeights([kernel]);
        kernel.dispose();
      }
      return model;
    },
  };
}

/** Option-A shortcut: identity, or stride-2 subsampling with zero-padded extra channels. */
function shortcutA(x: tf.Tensor4D, cin: number, cout: number, stride: number): tf.Tensor4D {
  if (stride === 1 && cin === cout) return x;
  const [n, h, w] = x.shape;
  // x[:, ::2, ::2, :] as a rank-4 slice of [N*H/2, 2, W/2, 2*C] (even rows; of each column pair the
  // first C values = even columns). Rank <= 4 keeps tfjs-wasm's Slice on its fast path, and Slice
  // has a gradient (pad) where StridedSlice has none.
  const r = tf.reshape(x, [n * h / 2, 2, w / 2, 2 * cin]);
  const sub = tf.reshape(tf.slice(r, [0, 0, 0, 0], [n * h / 2, 1, w / 2, cin]), [n, h / 2, w / 2, cin]);
  const extra = cout - cin;
  return tf.pad(sub, [[0, 0], [0, 0], [0, 0], [Math.floor(extra / 2), extra - Math.floor(extra / 2)]]) as tf.Tensor4D;
}
