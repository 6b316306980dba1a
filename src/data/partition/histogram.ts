/** Per-device class counts of a partition (for tests and reports). */
import type { Partition } from '../types.js';

export function classHistogram(partition: Partition, labels: Uint8Array, classes: number): number[][] {
  return partition.shards.map((shard) => {
    const h = new Array<number>(classes).fill(0);
    for (let j = 0; j < shard.length; j++) h[labels[shard[j]!]!]! += 1;
    return h;
  });
}
