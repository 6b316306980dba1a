import { test } from 'node:test';
import assert from 'node:assert/strict';
import { skew } from '../src/data/partition/skew.js';
import { classHistogram, partition } from '../src/data/partition/index.js';
import { SpecError } from '../src/errors.js';
import { assertDisjoint, balancedLabels, classesPerDevice, meanMaxClassFraction, sameShards, sizesOf } from './data.support.js';

const N = 10000;
const labels = balancedLabels(N, 10);
const data = { y: labels, classes: 10, count: N, name: 'test-labels' };

test('skew:0 is IID-like', () => {
  const p = skew(0)(labels, 10, 10, { seed: 1 });
  assert.equal(assertDisjoint(p, N), N);
  const hist = classHistogram(p, labels, 10);
  for (const row of hist) for (const c of row) assert.ok(c > 60 && c < 140, `class count ${c}`);
  assert.ok(meanMaxClassFraction(hist) < 0.15);
});

test('skew:1 is label-sorted: one or two classes per device (10 devices x 10 classes)', () => {
  for (const seed of [1, 2, 3]) {
    const p = skew(1)(labels, 10, 10, { seed });
    assert.equal(assertDisjoint(p, N), N);
    for (const c of classesPerDevice(classHistogram(p, labels, 10))) assert.ok(c >= 1 && c <= 2, `device sees ${c} classes`);
  }
  // unbalanced class boundaries: still contiguous runs of the sorted labels
  const p = skew(1)(labels, 10, 7, { seed: 1 });
  for (const c of classesPerDevice(classHistogram(p, labels, 10))) assert.ok(c <= 3);
});

test('skew:s in between: concentration grows with s', () => {
  const fr = [0, 0.5, 0.8, 1].map((s) => meanMaxClassFraction(classHistogram(skew(s)(labels, 10, 10, { seed: 5 }), labels, 10)));
  for (let i = 1; i < fr.length; i++) assert.ok(fr[i]! > fr[i - 1]!, `fractions ${fr}`);
  // s = 0.5, equal classes: about half of each device is one class
  assert.ok(fr[1]! > 0.5 && fr[1]! < 0.62, `skew 0.5: ${fr[1]}`);
});

test('with sizes; deterministic per seed', () => {
  const p = partition(data, 'skew:0.8', 'volume:5', 10, 3);
  const sizes = sizesOf(p);
  assert.equal(assertDisjoint(p, N), N);
  assert.ok(Math.abs(sizes[0]! / sizes[9]! - 5) < 0.05);
  assert.ok(sameShards(p, partition(data, 'skew:0.8', 'volume:5', 10, 3)));
  assert.ok(!sameShards(p, partition(data, 'skew:0.8', 'volume:5', 10, 4)));
});

test('bad s is a SpecError', () => {
  for (const spec of ['skew:1.5', 'skew:-0.1', 'skew:', 'skew:abc']) assert.throws(() => partition(data, spec, 'equal', 10, 1), SpecError, spec);
});
