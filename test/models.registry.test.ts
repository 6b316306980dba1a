/** Model specs, layouts, initialisation, input validation and tensor hygiene. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError, SpecError } from '../src/errors.js';
import { selectBackend, tf } from '../src/models/backend.js';
import { createLearner, nativeLearners, parseModelSpec, registerNativeLearner } from '../src/models/registry.js';
import type { Learner } from '../src/models/types.js';
import { batchOf, syntheticImages, vectorsFor } from './models.support.js';

test('parseModelSpec accepts the documented specs and normalises them', () => {
  assert.deepEqual(parseModelSpec('mlp:128,64'), { kind: 'mlp', spec: 'mlp:128,64', hidden: [128, 64] });
  assert.deepEqual(parseModelSpec('mlp'), { kind: 'mlp', spec: 'mlp:128,64', hidden: [128, 64] });
  assert.deepEqual(parseModelSpec('mlp:300'), { kind: 'mlp', spec: 'mlp:300', hidden: [300] });
  assert.deepEqual(parseModelSpec('lenet'), { kind: 'lenet', spec: 'lenet' });
  assert.deepEqual(parseModelSpec('resnet20'), { kind: 'resnet20', spec: 'resnet20' });
  assert.deepEqual(parseModelSpec('vgg11'), { kind: 'vgg11', spec: 'vgg11', width: 64 });
  assert.deepEqual(parseModelSpec('vgg11:16'), { kind: 'vgg11', spec: 'vgg11:16', width: 16 });
  assert.deepEqual(parseModelSpec('vgg11:64'), { kind: 'vgg11', spec: 'vgg11', width: 64 });
  assert.deepEqual(parseModelSpec('logistic'), { kind: 'logistic', spec: 'logistic' });
});

test('bad specs are SpecErrors naming the spec', () => {
  for (const bad of ['resnet56', 'mlp:', 'mlp:0', 'mlp:12,x', 'mlp:-4', 'mlp:1.5', 'lenet:5', 'vgg11:0', 'vgg11:abc', 'resnet20:2', '', 'logistic:3']) {
    assert.throws(() => parseModelSpec(bad), (e: unknown) => e instanceof SpecError && e.spec === bad && e.message.includes(`'${bad}'`), bad);
  }
});

test('createLearner rejects unknown specs and input shapes a model cannot take, naming the spec', async () => {
  await assert.rejects(createLearner('alexnet', { inputShape: [32, 32, 3], classes: 10 }), (e: unknown) => e instanceof SpecError && e.spec === 'alexnet');
  for (const shape of [[784], [28, 28], [30, 30, 1], [28, 32, 1]]) {
    await assert.rejects(createLearner('lenet', { inputShape: shape, classes: 10 }),
      (e: unknown) => e instanceof SpecError && e.spec === 'lenet' && /lenet needs 28x28xC or 32x32xC/.test(e.message) && e.message.includes(`[${shape.join(', ')}]`), `lenet [${shape}]`);
  }
  await assert.rejects(createLearner('resnet20', { inputShape: [30, 30, 3], classes: 10 }), (e: unknown) => e instanceof SpecError && /resnet20/.test(e.message));
  await assert.rejects(createLearner('vgg11', { inputShape: [28, 28, 1], classes: 10 }), (e: unknown) => e instanceof SpecError && /vgg11/.test(e.message));
  await assert.rejects(createLearner('mlp:8', { inputShape: [4], classes: 1 }), (e: unknown) => e instanceof SpecError && /classes/.test(e.message));
  await assert.rejects(createLearner('mlp:8', { inputShape: [0], classes: 2 }), (e: unknown) => e instanceof SpecError && /input shape/.test(e.message));
  await assert.rejects(createLearner('logistic', { inputShape: [4], classes: 2 }), (e: unknown) => e instanceof SpecError && /registerNativeLearner/.test(e.message));
});

test('native learners registered by kind take precedence', async () => {
  const fake: Learner = {
    spec: 'logistic', paramCount: 10, stateCount: 0, flopsPerSample: 6 * 10, backend: 'native',
    init: () => undefined, gradient: async () => 0, evaluate: async () => ({ loss: 0, correct: 0 }), dispose: () => undefined,
  };
  registerNativeLearner('logistic', (spec, o) => {
    assert.equal(spec.kind, 'logistic');
    assert.deepEqual(o.inputShape, [4]);
    return fake;
  });
  try {
    assert.equal(await createLearner('logistic', { inputShape: [4], classes: 2 }), fake);
  } finally {
    nativeLearners.delete('logistic');
  }
});

const EXPECTED: Array<{ spec: string; shape: number[]; classes: number; params: number; state: number }> = [
  // 784*128+128 + 128*64+64 + 64*10+10
  { spec: 'mlp:128,64', shape: [28, 28, 1], classes: 10, params: 109386, state: 0 },
  // 5*5*1*6+6 + 5*5*6*16+16 + 400*120+120 + 120*84+84 + 84*10+10
  { spec: 'lenet', shape: [28, 28, 1], classes: 10, params: 61706, state: 0 },
  // convs 432 + 13824 + 50688 + 202752, BN 2*688, fc 650 (option A shortcuts have no parameters)
  { spec: 'resnet20', shape: [32, 32, 3], classes: 10, params: 269722, state: 1376 },
  // convs (3*64 + 64*128 + 128*256 + 256*256 + 256*512 + 512*512*3) * 9, BN 2*2752, fc 5130
  { spec: 'vgg11', shape: [32, 32, 3], classes: 10, params: 9228362, state: 5504 },
];

test('flat layouts: known parameter counts, contiguous slots, length = sum of tensor sizes', async () => {
  for (const e of EXPECTED) {
    const l = await createLearner(e.spec, { inputShape: e.shape, classes: e.classes, backend: 'cpu' });
    assert.equal(l.paramCount, e.params, e.spec);
    assert.equal(l.stateCount, e.state, e.spec);
    assert.ok(l.flopsPerSample > 0);
    for (const [slots, total] of [[l.layout!.params, l.paramCount], [l.layout!.state, l.stateCount]] as const) {
      let offset = 0;
      for (const s of slots) {
        assert.equal(s.offset, offset, `${e.spec} ${s.name} offset`);
        assert.equal(s.size, s.shape.reduce((a, b) => a * b, 1), `${e.spec} ${s.name} size`);
        offset += s.size;
      }
      assert.equal(offset, total, `${e.spec}: sum of tensor sizes`);
      assert.equal(new Set(slots.map((s) => s.name)).size, slots.length, 'unique names');
    }
  }
});

test('init is deterministic in the seed, differs across seeds, and follows the init scheme', async () => {
  const l = await createLearner('resnet20', { inputShape: [32, 32, 3], classes: 10, backend: 'cpu' });
  const a = vectorsFor(l, 7);
  const b = vectorsFor(l, 7);
  const c = vectorsFor(l, 8);
  assert.deepEqual(a.params, b.params);
  assert.deepEqual(a.state, b.state);
  let same = 0;
  for (let i = 0; i < a.params.length; i++) if (a.params[i] === c.params[i]) same++;
  const fixed = l.layout!.params.filter((s) => /gamma|beta|bias/.test(s.name)).reduce((t, s) => t + s.size, 0);
  assert.equal(same, fixed, 'only constant-initialised tensors coincide across seeds');
  const slot = (name: string) => l.layout!.params.find((s) => s.name === name)!;
  const view = (name: string) => a.params.subarray(slot(name).offset, slot(name).offset + slot(name).size);
  assert.ok(view('bn0.gamma').every((v) => v === 1));
  assert.ok(view('bn0.beta').every((v) => v === 0));
  // He normal for s3b3.conv2 (fan-in 9*64): sample std within 5% of sqrt(2/576).
  const w = view('s3b3.conv2.weight');
  const mean = w.reduce((s, v) => s + v, 0) / w.length;
  const std = Math.sqrt(w.reduce((s, v) => s + (v - mean) ** 2, 0) / w.length);
  assert.ok(Math.abs(std / Math.sqrt(2 / 576) - 1) < 0.05, `std ${std}`);
  const stateSlot = l.layout!.state.find((s) => s.name === 'bn0.runningVar')!;
  assert.ok(a.state.subarray(stateSlot.offset, stateSlot.offset + stateSlot.size).every((v) => v === 1));
  assert.throws(() => l.init(a.params, a.state, -1), InputError);
});

test('mismatched vectors and batches are InputErrors naming the model', async () => {
  const l = await createLearner('lenet', { inputShape: [28, 28, 1], classes: 10, backend: 'wasm' });
  const v = vectorsFor(l, 1);
  const data = syntheticImages(4, [28, 28, 1], 10, 3);
  const batch = batchOf(data, 0, 4);
  const named = (re: RegExp) => (e: unknown) => e instanceof InputError && e.message.includes('model lenet') && re.test(e.message);
  await assert.rejects(l.gradient(v.params.subarray(1), v.state, batch, v.grad), named(/params has length 61705, expected 61706/));
  await assert.rejects(l.gradient(v.params, v.state, batch, new Float32Array(3)), named(/grad has length 3/));
  assert.throws(() => l.init(new Float32Array(5), v.state, 1), named(/params has length 5/));
  await assert.rejects(l.gradient(v.params, v.state, { x: batch.x.subarray(0, 100), y: batch.y, count: 4 }, v.grad), named(/feature values/));
  await assert.rejects(l.gradient(v.params, v.state, { x: batch.x, y: new Uint8Array([1, 2, 3, 10]), count: 4 }, v.grad), named(/label 10/));
  await assert.rejects(l.gradient(v.params, v.state, { ...batch, count: 0 }, v.grad), named(/count/));
  const flat = { ...data, shape: [784, 1], features: 785 };
  await assert.rejects(l.evaluate(v.params, v.state, flat, 0, 4), named(/features/));
  await assert.rejects(l.evaluate(v.params, v.state, data, 2, 4), named(/outside dataset/));
  const mlp = await createLearner('mlp:4', { inputShape: [3], classes: 2, backend: 'wasm' });
  await assert.rejects(mlp.gradient(new Float32Array(mlp.paramCount + 1), new Float32Array(0), { x: new Float32Array(3), y: new Uint8Array(1), count: 1 }, new Float32Array(mlp.paramCount)),
    (e: unknown) => e instanceof InputError && e.message.includes('model mlp:4'));
});

test('no tensor leaks across gradient and evaluate calls (wasm)', async () => {
  await selectBackend('wasm');
  for (const [spec, shape] of [['mlp:16', [7]], ['lenet', [28, 28, 1]], ['resnet20', [8, 8, 3]], ['vgg11:4', [32, 32, 3]]] as const) {
    const l = await createLearner(spec, { inputShape: shape, classes: 4, backend: 'wasm' });
    const v = vectorsFor(l, 1);
    const data = syntheticImages(6, shape, 4, 5);
    await l.gradient(v.params, v.state, batchOf(data, 0, 3), v.grad);
    await l.evaluate(v.params, v.state, data, 0, 6);
    const tensors = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    for (let i = 0; i < 3; i++) {
      await l.gradient(v.params, v.state, batchOf(data, 3, 3), v.grad);
      await l.evaluate(v.params, v.state, data, 1, 5);
    }
    assert.equal(tf.memory().numTensors, tensors, `${spec}: tensor count grew`);
    assert.equal(tf.memory().numBytes, bytes, `${spec}: tensor bytes grew`);
    // A failing call must not leak either.
    await assert.rejects(l.gradient(v.params, v.state, { x: data.x, y: new Uint8Array(6).fill(9), count: 6 }, v.grad));
    assert.equal(tf.memory().numTensors, tensors);
    l.dispose();
    await assert.rejects(l.gradient(v.params, v.state, batchOf(data, 0, 3), v.grad), InputError);
  }
});
