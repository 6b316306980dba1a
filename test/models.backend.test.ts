import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ConfigError } from '../src/errors.js';
import { selectBackend, tf, useBackend } from '../src/models/backend.js';
import { wasmGradKernelsRegistered } from '../src/models/tfjs/wasm-grads.js';
import { createLearner } from '../src/models/registry.js';

function tfjsNodeInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(['@tensorflow', 'tfjs-node'].join('/'));
    return true;
  } catch {
    return false;
  }
}

test('auto falls back to wasm when tfjs-node is absent, and registers the gradient kernels', { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' }, async () => {
  assert.equal(await selectBackend('auto'), 'wasm');
  assert.ok(wasmGradKernelsRegistered());
  const names = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  assert.ok(names.has('Conv2DBackpropFilter'), 'the stock wasm backend lacks Conv2DBackpropFilter; ours must be registered');
  const l = await createLearner('mlp:8', { inputShape: [4], classes: 3 });
  assert.equal(l.backend, 'wasm');
});

test('an explicit backend that cannot load is a ConfigError naming backend', { skip: tfjsNodeInstalled() && 'tfjs-node is installed here' }, async () => {
  await assert.rejects(selectBackend('tensorflow'), (e: unknown) => e instanceof ConfigError && e.key === 'backend' && /tensorflow/.test(e.message) && /tfjs-node/.test(e.message));
  await assert.rejects(createLearner('lenet', { inputShape: [28, 28, 1], classes: 10, backend: 'tensorflow' }), (e: unknown) => e instanceof ConfigError && e.key === 'backend');
});

test('unknown backend choice is a ConfigError naming backend', async () => {
  await assert.rejects(selectBackend('gpu' as never), (e: unknown) => e instanceof ConfigError && e.key === 'backend' && /gpu/.test(e.message));
  await assert.rejects(createLearner('lenet', { inputShape: [28, 28, 1], classes: 10, backend: 'webgl' as never }), (e: unknown) => e instanceof ConfigError && e.key === 'backend');
});

test('wasm and cpu both load and learners switch between them', async () => {
  assert.equal(await selectBackend('cpu'), 'cpu');
  assert.equal(await selectBackend('wasm'), 'wasm');
  await useBackend('cpu');
  assert.equal(tf.getBackend(), 'cpu');
  const l = await createLearner('mlp:4', { inputShape: [3], classes: 2, backend: 'wasm' });
  const p = new Float32Array(l.paramCount);
  l.init(p, new Float32Array(0), 1);
  await l.gradient(p, new Float32Array(0), { x: new Float32Array([1, 2, 3]), y: new Uint8Array([1]), count: 1 }, new Float32Array(l.paramCount));
  assert.equal(tf.getBackend(), 'wasm');
});
