/**
 * `skew:s` (0 <= s <= 1): of each class, a fraction s (round(s * n_class) samples, chosen at
 * random) goes to a label-sorted pool, the rest to a shuffled pool. Each device takes a
 * contiguous run of the sorted pool proportional to its size (devices in a random order along
 * the pool), and fills the rest of its size from the shuffled pool.
 * s = 0 is IID; s = 1 is fully label-sorted (with balanced classes and equal sizes, every device
 * sees one or two classes when devices = classes).
 */
import { SpecError } from '../../errors.js';
import { shuffle } from '../../kernels/rng.js';
import { apportion, checkSizes, equalSizes, partitionStream, shuffledByClass, toPartition, type Partitioner } from './common.js';

export function skew(s: number): Partitioner {
  if (!(s >= 0 && s <= 1)) throw new SpecError(`skew:${s}`, 's must be in [0, 1]');
  return (labels, classes, devices, opts) => {
    const n = labels.length;
    const sizes = opts.sizes ?? equalSizes(n, devices);
    checkSizes(sizes, devices, n, `skew:${s}`);
    const rng = partitionStream(opts.seed);
    const byClass = shuffledByClass(labels, classes, rng);
    const sorted: number[] = [];
    const rest: number[] = [];
    for (const idx of byClass) {
      const take = Math.round(s * idx.length);
      for (let j = 0; j < idx.length; j++) (j < take ? sorted : rest).push(idx[j]!);
    }
    shuffle(rest, rng);
    const used = sizes.reduce((a, b) => a + b, 0);
    const fromSorted = apportion(used === n ? sorted.length : Math.round((sorted.length * used) / n), sizes);
    const walk = Array.from({ length: devices }, (_, i) => i);
    shuffle(walk, rng);
    const lists: number[][] = Array.from({ length: devices }, () => []);
    let at = 0;
    for (const d of walk) for (let j = 0; j < fromSorted[d]!; j++) lists[d]!.push(sorted[at++]!);
    at = 0;
    for (let d = 0; d < devices; d++) for (let j = fromSorted[d]!; j < sizes[d]!; j++) lists[d]!.push(rest[at++]!);
    return toPartition(lists);
  };
}
