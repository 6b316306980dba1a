import { test } from 'node:test';
import assert from 'node:assert/strict';
import { iid } from '../src/data/partition/iid.js';
import { classHistogram, partition } from '../src/data/partition/index.js';
import { DataError } from '../src/errors.js';
import { assertDisjoint, balancedLabels, meanMaxClassFraction, sameShards, sizesOf } from './data.support.js';

const labels = balancedLabels(10000, 10);
const data = { y: labels, classes: 10, count: labels.length, name: 'test-labels' };

test('iid: equal sizes, every sample used once, near-uniform class histograms', () => {
  const p = iid(labels, 10, 10, { seed: 1 });
  assert.deepEqual(sizesOf(p), new Array(10).fill(1000));
  assert.equal(assertDisjoint(p, labels.length), labels.length);
  const hist = classHistogram(p, labels, 10);
  for (const row of hist) for (const c of row) assert.ok(c > 60 && c < 140, `class count ${c} far from 100`);
  assert.ok(meanMaxClassFraction(hist) < 0.15);
});

test('iid: remainder goes to the first devices; shards are sorted ascending', () => {
  const p = iid(labels.subarray(0, 1003), 10, 10, { seed: 3 });
  assert.deepEqual(sizesOf(p), [101, 101, 101, 100, 100, 100, 100, 100, 100, 100]);
  assert.equal(assertDisjoint(p, 1003), 1003);
  for (const s of p.shards) for (let j = 1; j < s.length; j++) assert.ok(s[j - 1]! < s[j]!);
});

test('iid: honours explicit sizes; deterministic per seed, different across seeds', () => {
  const sizes = [5000, 3000, 1500, 500];
  const a = iid(labels, 10, 4, { seed: 7, sizes });
  assert.deepEqual(sizesOf(a), sizes);
  assert.ok(sameShards(a, iid(labels, 10, 4, { seed: 7, sizes })));
  assert.ok(!sameShards(a, iid(labels, 10, 4, { seed: 8, sizes })));
  assert.throws(() => iid(labels, 10, 4, { seed: 7, sizes: [5000, 5000, 1, 0] }), DataError);
  assert.throws(() => iid(labels, 10, 3, { seed: 7, sizes }), DataError);
});

test('registry: iid with volume specs and checks', () => {
  const p = partition(data, 'iid', 'equal', 16, 1);
  assert.equal(assertDisjoint(p, labels.length), labels.length);
  assert.throws(() => partition(data, 'iid', 'equal', 10001, 1), (e: unknown) => e instanceof DataError && /10001 devices/.test(e.message));
  // minShard: 10000 / 400 = 25 per device < 32
  assert.throws(() => partition(data, 'iid', 'equal', 400, 1, { minShard: 32 }), (e: unknown) => e instanceof DataError && /device 0 gets 25 samples, needs at least 32/.test(e.message));
  assert.equal(partition(data, 'iid', 'equal', 400, 1, { minShard: 25 }).shards.length, 400);
});
