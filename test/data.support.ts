// Shared checks for the data-layer tests.
import assert from 'node:assert/strict';
import type { Partition } from '../src/data/types.js';

/** Balanced labels 0..classes-1 repeating (sample i has label i mod classes). */
export function balancedLabels(n: number, classes: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => i % classes);
}

/** No index repeated, all in range; returns how many samples are used. */
export function assertDisjoint(p: Partition, n: number): number {
  const seen = new Uint8Array(n);
  let used = 0;
  p.shards.forEach((shard, d) => {
    for (const i of shard) {
      assert.ok(i < n, `device ${d}: index ${i} out of range`);
      assert.equal(seen[i], 0, `index ${i} used twice (device ${d})`);
      seen[i] = 1;
      used++;
    }
  });
  return used;
}

export function sameShards(a: Partition, b: Partition): boolean {
  return a.shards.length === b.shards.length && a.shards.every((s, i) => s.length === b.shards[i]!.length && s.every((v, j) => v === b.shards[i]![j]));
}

export const sizesOf = (p: Partition) => p.shards.map((s) => s.length);

/** Mean over devices of the largest class's share of the device's samples. */
export function meanMaxClassFraction(hist: number[][]): number {
  return hist.reduce((acc, row) => acc + Math.max(...row) / row.reduce((a, b) => a + b, 0), 0) / hist.length;
}

export const classesPerDevice = (hist: number[][]) => hist.map((row) => row.filter((v) => v > 0).length);
