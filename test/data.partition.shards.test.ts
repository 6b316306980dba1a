import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shards } from '../src/data/partition/shards.js';
import { classHistogram, partition } from '../src/data/partition/index.js';
import { DataError, SpecError } from '../src/errors.js';
import { assertDisjoint, balancedLabels, classesPerDevice, sameShards, sizesOf } from './data.support.js';

const N = 12000;
const labels = balancedLabels(N, 10);
const data = { y: labels, classes: 10, count: N, name: 'test-labels' };

test('shards:2 gives every device at most (here exactly) 2 classes, equal sizes, full coverage', () => {
  for (const devices of [5, 10, 20, 37, 100]) {
    const p = shards(2)(labels, 10, devices, { seed: devices });
    assert.equal(assertDisjoint(p, N), N);
    const sizes = sizesOf(p);
    assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, `${devices} devices: sizes ${sizes}`);
    for (const c of classesPerDevice(classHistogram(p, labels, 10))) assert.ok(c <= 2, `${devices} devices: a device sees ${c} classes`);
  }
});

test('shards:c for other c; class-imbalanced labels', () => {
  for (const c of [1, 3, 10]) {
    const p = shards(c)(labels, 10, 10, { seed: 1 });
    assert.equal(assertDisjoint(p, N), N);
    for (const k of classesPerDevice(classHistogram(p, labels, 10))) assert.ok(k <= c);
  }
  // classes of very different sizes
  const skewed = Uint8Array.from({ length: 5000 }, (_, i) => (i < 2000 ? 0 : i < 3000 ? 1 : 2 + (i % 8)));
  const p = shards(2)(skewed, 10, 20, { seed: 2 });
  assert.equal(assertDisjoint(p, 5000), 5000);
  for (const k of classesPerDevice(classHistogram(p, skewed, 10))) assert.ok(k <= 2);
});

test('deterministic per seed; mild volume imbalance is met exactly', () => {
  const a = partition(data, 'shards:2', 'volume:2', 10, 1);
  assert.ok(sameShards(a, partition(data, 'shards:2', 'volume:2', 10, 1)));
  assert.ok(!sameShards(a, partition(data, 'shards:2', 'volume:2', 10, 2)));
  const sizes = sizesOf(a);
  assert.ok(Math.abs(sizes[0]! / sizes[9]! - 2) < 0.01);
  for (const k of classesPerDevice(classHistogram(a, labels, 10))) assert.ok(k <= 2);
});

test('impossible requests are DataErrors naming the device; bad c is a SpecError', () => {
  // volume:100 over 10 devices: device 0 needs 2376 samples, one class has 1200
  assert.throws(() => partition(data, 'shards:1', 'volume:100', 10, 1), (e: unknown) => e instanceof DataError && /device 0 cannot get its 2376 samples from its 1 classes/.test(e.message));
  // ... while two classes can supply it
  const big = partition(data, 'shards:2', 'volume:100', 10, 1);
  assert.equal(sizesOf(big)[0], 2376);
  for (const k of classesPerDevice(classHistogram(big, labels, 10))) assert.ok(k <= 2);
  assert.throws(() => partition(data, 'shards:11', 'equal', 10, 1), (e: unknown) => e instanceof DataError && /11 distinct classes/.test(e.message));
  // 2 devices x 2 classes cover 4 of 10 classes: equal sizes over all samples cannot be met ...
  assert.throws(() => partition(data, 'shards:2', 'equal', 2, 1), DataError);
  // ... but 'natural' volumes split the used classes evenly
  const p = partition(data, 'shards:2', 'natural', 2, 1);
  assert.deepEqual(sizesOf(p), [2400, 2400]);
  for (const spec of ['shards:0', 'shards:1.5', 'shards:']) assert.throws(() => partition(data, spec, 'equal', 10, 1), SpecError, spec);
});
