/**
 * Gradient correctness of every tfjs model:
 * - the custom-gradient ops (batch norm, cross-entropy) against stock tfjs autodiff, on cpu;
 * - against central finite differences of the loss on selected coordinates (float32, so the
 *   tolerance is a few percent of the component, not float64-tight);
 * - the wasm backend (with our conv / matmul gradient kernels) against cpu;
 * - batch-norm running statistics: after one step they hold 0.9 * init + 0.1 * batch statistics,
 *   and evaluate() with running statistics equal to the batch statistics reproduces the training loss.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend, tf } from '../src/models/backend.js';
import { maxPool2x2 } from '../src/models/tfjs/ops.js';
import { createLearner } from '../src/models/registry.js';
import { BN_MOMENTUM } from '../src/models/tfjs/learner.js';
import type { Learner } from '../src/models/types.js';
import { batchOf, closeness, randomArray, syntheticImages, vectorsFor } from './models.support.js';

interface ModelCase { spec: string; shape: number[]; batch: number; classes: number }
const MODELS: ModelCase[] = [
  { spec: 'mlp:16,8', shape: [6], batch: 5, classes: 3 },
  { spec: 'lenet', shape: [28, 28, 1], batch: 3, classes: 10 },
  { spec: 'lenet', shape: [32, 32, 3], batch: 2, classes: 4 },
  { spec: 'resnet20', shape: [8, 8, 3], batch: 4, classes: 5 },
  { spec: 'vgg11:4', shape: [32, 32, 3], batch: 3, classes: 4 },
];

async function gradientOf(l: Learner, data: ReturnType<typeof syntheticImages>, n: number, seed = 3): Promise<{ loss: number; grad: Float32Array; state: Float32Array; params: Float32Array }> {
  const v = vectorsFor(l, seed);
  const loss = await l.gradient(v.params, v.state, batchOf(data, 0, n), v.grad);
  return { loss, grad: v.grad, state: v.state, params: v.params };
}

for (const m of MODELS) {
  test(`${m.spec} on [${m.shape}]: custom-gradient ops match tfjs autodiff on cpu`, async () => {
    await selectBackend('cpu');
    const data = syntheticImages(m.batch, m.shape, m.classes, 11);
    const fast = await createLearner(m.spec, { inputShape: m.shape, classes: m.classes, backend: 'cpu' });
    const ref = await createLearner(m.spec, { inputShape: m.shape, classes: m.classes, backend: 'cpu', reference: true });
    const a = await gradientOf(fast, data, m.batch);
    const b = await gradientOf(ref, data, m.batch);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.max(1, b.loss), `loss ${a.loss} vs ${b.loss}`);
    assert.ok(closeness(a.grad, b.grad, 1e-4, 1e-7) <= 1, 'gradients differ');
    assert.ok(closeness(a.state, b.state, 1e-5, 1e-7) <= 1, 'running statistics differ');
  });

  // On wasm for speed (its gradients are checked against cpu below).
  test(`${m.spec} on [${m.shape}]: gradient matches central finite differences`, async () => {
    await selectBackend('wasm');
    const data = syntheticImages(m.batch, m.shape, m.classes, 12);
    const l = await createLearner(m.spec, { inputShape: m.shape, classes: m.classes, backend: 'wasm' });
    const { grad, params, state } = await gradientOf(l, data, m.batch);
    const batch = batchOf(data, 0, m.batch);
    const scratch = new Float32Array(l.paramCount);
    // The largest gradient component of a few tensors (first, middle, last): FD in float32 needs size.
    const slots = l.layout!.params;
    const picks = [0, Math.floor(slots.length / 2), slots.length - 2, slots.length - 1].map((i) => {
      const s = slots[i]!;
      let best = s.offset;
      for (let j = s.offset; j < s.offset + s.size; j++) if (Math.abs(grad[j]!) > Math.abs(grad[best]!)) best = j;
      return best;
    });
    const h = 1e-3;
    for (const j of picks) {
      const p = params.slice();
      p[j] = params[j]! + h;
      const up = await l.gradient(p, state.slice(), batch, scratch);
      p[j] = params[j]! - h;
      const down = await l.gradient(p, state.slice(), batch, scratch);
      const fd = (up - down) / (2 * h);
      assert.ok(Math.abs(fd - grad[j]!) <= 0.03 * Math.abs(grad[j]!) + 5e-4, `param ${j}: finite difference ${fd} vs gradient ${grad[j]}`);
    }
  });

  test(`${m.spec} on [${m.shape}]: wasm gradients agree with cpu`, async () => {
    await selectBackend('cpu');
    await selectBackend('wasm');
    const data = syntheticImages(m.batch, m.shape, m.classes, 13);
    const onCpu = await createLearner(m.spec, { inputShape: m.shape, classes: m.classes, backend: 'cpu' });
    const onWasm = await createLearner(m.spec, { inputShape: m.shape, classes: m.classes, backend: 'wasm' });
    const a = await gradientOf(onWasm, data, m.batch);
    const b = await gradientOf(onCpu, data, m.batch);
    assert.ok(Math.abs(a.loss - b.loss) <= 1e-5 * Math.max(1, b.loss), `loss ${a.loss} vs ${b.loss}`);
    assert.ok(closeness(a.grad, b.grad, 2e-4, 1e-7) <= 1, 'gradients differ');
  });
}

test('lenet: wasm and cpu gradients agree on a batch of 16 MNIST-shaped samples', async () => {
  await selectBackend('cpu');
  await selectBackend('wasm');
  const data = syntheticImages(16, [28, 28, 1], 10, 21);
  const a = await gradientOf(await createLearner('lenet', { inputShape: [28, 28, 1], classes: 10, backend: 'wasm' }), data, 16, 9);
  const b = await gradientOf(await createLearner('lenet', { inputShape: [28, 28, 1], classes: 10, backend: 'cpu' }), data, 16, 9);
  assert.ok(closeness(a.grad, b.grad, 1e-4, 1e-7) <= 1);
});

test('resnet20: running statistics after one step, and evaluate() with batch statistics reproduces the training loss', async () => {
  await selectBackend('wasm');
  const shape = [8, 8, 3];
  const n = 6;
  const data = syntheticImages(n, shape, 5, 31);
  const l = await createLearner('resnet20', { inputShape: shape, classes: 5, backend: 'wasm' });
  const v = vectorsFor(l, 4);
  const init = v.state.slice();
  const loss = await l.gradient(v.params, v.state, batchOf(data, 0, n), v.grad);
  // Undo the momentum update: batch mean and unbiased batch variance of every layer, then make
  // the running statistics exactly the (biased) batch statistics the training pass normalised with.
  const spatial = (name: string): number => (name.startsWith('s2') ? 16 : name.startsWith('s3') ? 4 : 64);
  const exact = new Float32Array(l.stateCount);
  for (const slot of l.layout!.state) {
    const count = n * spatial(slot.name);
    for (let c = 0; c < slot.size; c++) {
      const i = slot.offset + c;
      const batchValue = (v.state[i]! - (1 - BN_MOMENTUM) * init[i]!) / BN_MOMENTUM;
      if (slot.name.endsWith('runningVar')) {
        assert.ok(batchValue >= -1e-4, `${slot.name}[${c}] variance ${batchValue}`);
        exact[i] = batchValue * (count - 1) / count;
      } else {
        exact[i] = batchValue;
      }
    }
  }
  assert.ok(v.state.some((x, i) => x !== init[i]), 'state unchanged by a training step');
  const ev = await l.evaluate(v.params, exact, data, 0, n);
  assert.ok(Math.abs(ev.loss - loss) <= 2e-3 * Math.max(1, loss), `evaluate loss ${ev.loss} vs training loss ${loss}`);
});

test('mlp: evaluate() loss equals the training loss (no state) and counts correct predictions', async () => {
  await selectBackend('wasm');
  const data = syntheticImages(40, [5], 3, 41, 0.1);
  const l = await createLearner('mlp:12', { inputShape: [5], classes: 3, backend: 'wasm' });
  const v = vectorsFor(l, 2);
  const loss = await l.gradient(v.params, v.state, batchOf(data, 10, 20), v.grad);
  const ev = await l.evaluate(v.params, v.state, data, 10, 20);
  assert.ok(Math.abs(ev.loss - loss) <= 1e-5 * Math.max(1, loss));
  assert.ok(Number.isInteger(ev.correct) && ev.correct >= 0 && ev.correct <= 20);
});

test('maxPool2x2 custom gradient equals cpu tf.maxPool autodiff on cpu and wasm (also where windows are all negative)', async () => {
  // The stock tfjs-wasm 4.22 MaxPoolGrad drops the gradient of windows whose maximum is <= 0
  // (harmless after a ReLU, wrong in general); maxPool2x2 does not use it.
  await selectBackend('cpu');
  await selectBackend('wasm');
  for (const shift of [0, -1.01]) {
    for (const shape of [[2, 6, 8, 3], [3, 4, 4, 5]] as Array<[number, number, number, number]>) {
      const run = (pool: (t: tf.Tensor4D) => tf.Tensor4D): Float32Array => tf.tidy(() => {
        const x = tf.add(tf.tensor4d(randomArray(shape.reduce((a, b) => a * b), 77), shape), shift);
        const w = tf.tensor4d(randomArray(shape.reduce((a, b) => a * b) / 4, 78), [shape[0], shape[1] / 2, shape[2] / 2, shape[3]]);
        return tf.grad((t: tf.Tensor) => tf.sum(tf.mul(pool(t as tf.Tensor4D), w)))(x).dataSync() as Float32Array;
      });
      await tf.setBackend('cpu');
      const ref = run((t) => tf.maxPool(t, 2, 2, 'valid'));
      assert.ok(closeness(run(maxPool2x2), ref, 1e-6, 1e-7) <= 1, `cpu [${shape}] shift ${shift}`);
      await tf.setBackend('wasm');
      assert.ok(closeness(run(maxPool2x2), ref, 1e-6, 1e-7) <= 1, `wasm [${shape}] shift ${shift}`);
    }
  }
});
