/**
 * The wasm gradient kernels (src/models/tfjs/wasm-grads.ts) against the cpu backend's reference
 * kernels: Conv2DBackpropInput / Conv2DBackpropFilter over strides, paddings, 1x1 and non-square
 * kernels, batch > 1, non-square inputs; BatchMatMul with transposed operands.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, tf } from '../src/models/backend.js';
import { stockWasmKernel } from '../src/models/tfjs/wasm-grads.js';
import { closeness, randomArray } from './models.support.js';

type Pad = 'same' | 'valid';
interface ConvCase { x: [number, number, number, number]; f: [number, number, number, number]; stride: number | [number, number]; pad: Pad }

const CASES: ConvCase[] = [
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], stride: 1, pad: 'valid' },
  { x: [2, 8, 8, 3], f: [3, 3, 3, 4], stride: 2, pad: 'same' },
  { x: [3, 9, 7, 2], f: [3, 3, 2, 5], stride: 2, pad: 'same' },
  { x: [3, 9, 7, 2], f: [3, 3, 2, 5], stride: 2, pad: 'valid' },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], stride: 1, pad: 'same' },
  { x: [2, 8, 8, 4], f: [1, 1, 4, 6], stride: 2, pad: 'valid' },
  { x: [2, 7, 9, 4], f: [1, 1, 4, 6], stride: 2, pad: 'same' },
  { x: [2, 28, 28, 1], f: [5, 5, 1, 6], stride: 1, pad: 'same' },
  { x: [4, 14, 14, 6], f: [5, 5, 6, 16], stride: 1, pad: 'valid' },
  { x: [2, 10, 12, 3], f: [5, 3, 3, 2], stride: 1, pad: 'same' },
  { x: [2, 11, 10, 3], f: [2, 4, 3, 2], stride: [3, 2], pad: 'same' },
  { x: [1, 6, 5, 2], f: [4, 2, 2, 3], stride: [1, 2], pad: 'valid' },
];

function outShape(c: ConvCase): number[] {
  const [sh, sw] = typeof c.stride === 'number' ? [c.stride, c.stride] : c.stride;
  const dim = (n: number, k: number, s: number): number => (c.pad === 'same' ? Math.ceil(n / s) : Math.floor((n - k) / s) + 1);
  return [c.x[0], dim(c.x[1], c.f[0], sh), dim(c.x[2], c.f[1], sw), c.f[3]];
}

function conv2dGrads(c: ConvCase, seed: number): { dx: Float32Array; dw: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.x.reduce((a, b) => a * b), seed), c.x);
    const w = tf.tensor4d(randomArray(c.f.reduce((a, b) => a * b), seed + 1), c.f);
    const ys = outShape(c);
    const dy = tf.tensor(randomArray(ys.reduce((a, b) => a * b), seed + 2), ys);
    const dx = tf.engine().runKernel('Conv2DBackpropInput', { dy, filter: w }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', inputShape: c.x } as never) as tf.Tensor;
    const dw = tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', filterShape: c.f } as never) as tf.Tensor;
    assert.deepEqual(dx.shape, c.x);
    assert.deepEqual(dw.shape, c.f);
    return { dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  });
}

test('the stock wasm backend lacks Conv2DBackpropFilter and has a naive Conv2DBackpropInput (both replaced)', async () => {
  await selectBackend('wasm');
  assert.equal(stockWasmKernel('Conv2DBackpropFilter'), undefined);
  assert.ok(stockWasmKernel('Conv2DBackpropInput'));
  assert.ok(stockWasmKernel('BatchMatMul'));
});

test('wasm conv backprop-input and backprop-filter agree with the cpu backend', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  for (const [i, c] of CASES.entries()) {
    await tf.setBackend('cpu');
    const ref = conv2dGrads(c, 10 * i);
    await tf.setBackend('wasm');
    const got = conv2dGrads(c, 10 * i);
    const label = `x ${c.x} f ${c.f} stride ${c.stride} ${c.pad}`;
    assert.ok(closeness(got.dx, ref.dx, 1e-5, 1e-6) <= 1, `dx differs for ${label}`);
    assert.ok(closeness(got.dw, ref.dw, 1e-5, 1e-6) <= 1, `dW differs for ${label}`);
  }
});

test('wasm conv gradients through tf.grad match cpu and leak no tensors', async () => {
  await selectBackend('wasm');
  const c = CASES[3]!;
  const run = (): Float32Array[] => tf.tidy(() => {
    const x = tf.tensor4d(randomArray(c.x.reduce((a, b) => a * b), 5), c.x);
    const w = tf.tensor4d(randomArray(c.f.reduce((a, b) => a * b), 6), c.f);
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))))([x, w]);
    return [gx!.dataSync() as Float32Array, gw!.dataSync() as Float32Array];
  });
  await tf.setBackend('cpu');
  const ref = run();
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const got = run();
  assert.equal(tf.memory().numTensors, before);
  assert.ok(closeness(got[0]!, ref[0]!, 1e-5, 1e-6) <= 1);
  assert.ok(closeness(got[1]!, ref[1]!, 1e-5, 1e-6) <= 1);
});

test('wasm BatchMatMul with transposed operands agrees with cpu (2-D and batched)', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  const shapes: Array<[number[], number[], boolean, boolean]> = [
    [[5, 7], [7, 3], false, false], [[7, 5], [7, 3], true, false], [[5, 7], [3, 7], false, true], [[7, 5], [3, 7], true, true],
    [[2, 7, 5], [2, 3, 7], true, true], [[2, 5, 7], [1, 3, 7], false, true],
  ];
  for (const [i, [as, bs, ta, tb]] of shapes.entries()) {
    const run = (): Float32Array => tf.tidy(() => {
      const a = tf.tensor(randomArray(as.reduce((p, q) => p * q), i), as);
      const b = tf.tensor(randomArray(bs.reduce((p, q) => p * q), i + 50), bs);
      return tf.matMul(a, b, ta, tb).dataSync() as Float32Array;
    });
    await tf.setBackend('cpu');
    const ref = run();
    await tf.setBackend('wasm');
    assert.ok(closeness(run(), ref, 1e-5, 1e-6) <= 1, `matMul ${as} x ${bs} transposeA=${ta} transposeB=${tb}`);
  }
});
