/**
 * ResNet-20 trains on the wasm backend: 100 SGD steps (lr 0.05, momentum 0.9, batch 8 — not 32,
 * to keep this file well under a minute on a shared 2-core machine) over a fixed synthetic set of
 * 64 32x32x3 images in 10 classes. The loss on the whole set (evaluate, running batch-norm
 * statistics) must fall far below its initial value and the training loss must fall too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLearner } from '../src/models/registry.js';
import { batchOf, syntheticImages, vectorsFor } from './models.support.js';

test('resnet20 loss falls over 100 SGD steps on wasm', async () => {
  const shape = [32, 32, 3];
  const data = syntheticImages(64, shape, 10, 1);
  const l = await createLearner('resnet20', { inputShape: shape, classes: 10, backend: 'wasm' });
  assert.equal(l.backend, 'wasm');
  const v = vectorsFor(l, 1);
  const velocity = new Float32Array(l.paramCount);
  const lr = 0.05;
  const batch = 8;
  const before = await l.evaluate(v.params, v.state, data, 0, data.count);
  const losses: number[] = [];
  for (let step = 0; step < 100; step++) {
    const loss = await l.gradient(v.params, v.state, batchOf(data, (step * batch) % data.count, batch), v.grad);
    assert.ok(Number.isFinite(loss), `step ${step}: loss ${loss}`);
    losses.push(loss);
    for (let i = 0; i < velocity.length; i++) {
      velocity[i] = 0.9 * velocity[i]! + v.grad[i]!;
      v.params[i] = v.params[i]! - lr * velocity[i]!;
    }
  }
  const after = await l.evaluate(v.params, v.state, data, 0, data.count);
  const mean = (a: number[]): number => a.reduce((s, x) => s + x, 0) / a.length;
  const first = mean(losses.slice(0, 10));
  const last = mean(losses.slice(-10));
  assert.ok(last < 0.25 * first, `training loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.ok(after.loss < 0.25 * before.loss, `evaluation loss ${before.loss.toFixed(3)} -> ${after.loss.toFixed(3)}`);
  assert.ok(after.correct > before.correct && after.correct >= 48, `correct ${before.correct} -> ${after.correct} of 64`);
});
