import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classHistogram, partition, parsePartitionSpec, parseVolumeSpec, volumeSizes } from '../src/data/partition/index.js';
import { DataError, SpecError } from '../src/errors.js';
import { assertDisjoint, balancedLabels, sizesOf } from './data.support.js';

test('volume:SR: arithmetic series, largest first, p1/pn = SR within rounding, sum = N', () => {
  for (const [total, n, sr] of [[60000, 10, 10], [60000, 10, 100], [60000, 15, 1000], [9999, 7, 3.5], [100, 1, 50]] as const) {
    const s = volumeSizes(`volume:${sr}`, total, n)!;
    assert.equal(s.length, n);
    assert.equal(s.reduce((a, b) => a + b, 0), total);
    for (let i = 1; i < n; i++) assert.ok(s[i]! <= s[i - 1]!, `not descending: ${s}`);
    if (n > 1) {
      // rounding moves each size by < 1
      const lo = (s[0]! - 1) / (s[n - 1]! + 1);
      const hi = (s[0]! + 1) / Math.max(1e-9, s[n - 1]! - 1);
      assert.ok(sr >= lo && sr <= hi, `SR ${sr}: ${s[0]}/${s[n - 1]}`);
      // arithmetic: consecutive differences equal within rounding
      const d = (s[0]! - s[n - 1]!) / (n - 1);
      for (let i = 1; i < n; i++) assert.ok(Math.abs(s[i - 1]! - s[i]! - d) <= 2);
    }
  }
  assert.deepEqual(volumeSizes('volume:1', 1000, 4), [250, 250, 250, 250]);
});

test('zipf:a: sizes proportional to 1/rank^a, descending', () => {
  const s = volumeSizes('zipf:1', 10000, 8)!;
  assert.equal(s.reduce((a, b) => a + b, 0), 10000);
  for (let i = 1; i < s.length; i++) {
    assert.ok(s[i]! <= s[i - 1]!);
    assert.ok(Math.abs(s[i]! - s[0]! / (i + 1)) <= 1.5, `rank ${i + 1}: ${s[i]} vs ${s[0]! / (i + 1)}`);
  }
  assert.deepEqual(volumeSizes('zipf:0', 100, 4), [25, 25, 25, 25]);
});

test('equal and natural', () => {
  assert.deepEqual(volumeSizes('equal', 10, 4), [3, 3, 2, 2]);
  assert.equal(volumeSizes('natural', 10, 4), undefined);
});

test('too few samples for a volume: DataError naming the device and sizes', () => {
  assert.throws(() => volumeSizes('volume:1000', 1000, 10), (e: unknown) => e instanceof DataError && /'volume:1000' over 1000 samples leaves device 9 with 0 samples/.test(e.message) && /sizes \[/.test(e.message));
  assert.throws(() => volumeSizes('zipf:3', 100, 50), (e: unknown) => e instanceof DataError && /leaves device \d+ with 0 samples/.test(e.message));
});

test('volume combines with every label partitioner', () => {
  const labels = balancedLabels(30000, 10);
  const data = { y: labels, classes: 10, count: labels.length, name: 'test-labels' };
  for (const spec of ['iid', 'dirichlet:0.5', 'skew:0.7', 'shards:5']) {
    const p = partition(data, spec, 'volume:3', 10, 1);
    const s = sizesOf(p);
    assert.deepEqual(s, volumeSizes('volume:3', 30000, 10), spec);
    assert.equal(assertDisjoint(p, labels.length), labels.length);
    assert.equal(classHistogram(p, labels, 10).flat().reduce((a, b) => a + b, 0), labels.length);
  }
});

test('spec parsing errors', () => {
  for (const bad of ['volume:0.5', 'volume:', 'volume', 'zipf:-1', 'zipf:x', 'equal:2', 'uniform']) assert.throws(() => parseVolumeSpec(bad), SpecError, bad);
  for (const bad of ['iid:1', 'random', 'dirichlet', '']) assert.throws(() => parsePartitionSpec(bad), SpecError, bad);
  assert.deepEqual(parsePartitionSpec('dirichlet:0.5'), { kind: 'dirichlet', alpha: 0.5 });
  assert.deepEqual(parseVolumeSpec('volume:100'), { kind: 'volume', ratio: 100 });
});
