/**
 * `shards:c` (McMahan et al. style, class-exact): every device holds samples of at most c
 * distinct classes (c <= classes present), in practice exactly c.
 * Classes are chosen per device greedily, largest device first: the c classes with the most
 * samples not yet promised (ties broken in a random class order), promising each about size/c.
 * This spreads the classes evenly and keeps large devices on plentiful classes. The class x
 * device counts are then fitted exactly to the class counts and device sizes on those
 * memberships only (proportional fitting + exact rounding, allocate.ts); sizes are equal when
 * none are given. It fails (DataError naming the device) only when no assignment of c classes
 * per device can supply the sizes, e.g. shards:2 with strong volume skew.
 * When devices * c < classes some classes are not used; without sizes the equal sizes are then
 * over the used classes' samples.
 */
import { DataError, SpecError } from '../../errors.js';
import { shuffle } from '../../kernels/rng.js';
import { allocate, isFailure } from './allocate.js';
import { apportion, checkSizes, describeSizes, equalSizes, partitionStream, shuffledByClass, toPartition, type Partitioner } from './common.js';

export function shards(c: number): Partitioner {
  if (!Number.isInteger(c) || c < 1) throw new SpecError(`shards:${c}`, 'c must be a positive integer');
  return (labels, classes, devices, opts) => {
    const what = `shards:${c}`;
    const rng = partitionStream(opts.seed);
    const byClass = shuffledByClass(labels, classes, rng);
    const present = byClass.map((idx, k) => (idx.length > 0 ? k : -1)).filter((k) => k >= 0);
    if (c > present.length) {
      throw new DataError(`${what}: every device needs ${c} distinct classes but the data have ${present.length}`);
    }
    shuffle(present, rng); // tie-break order
    const rank = new Int32Array(classes);
    present.forEach((k, r) => (rank[k] = r));

    // Greedy memberships; provisional sizes when none are given.
    const planned = opts.sizes ?? equalSizes(labels.length, devices);
    const order = Array.from({ length: devices }, (_, i) => i).sort((a, b) => planned[b]! - planned[a]! || a - b);
    const left = new Float64Array(classes);
    for (const k of present) left[k] = byClass[k]!.length;
    const promised = new Float64Array(classes * devices);
    for (const i of order) {
      const chosen = [...present].sort((a, b) => left[b]! - left[a]! || rank[a]! - rank[b]!).slice(0, c);
      const want = apportion(planned[i]!, new Array<number>(c).fill(1));
      chosen.forEach((k, j) => {
        const take = Math.min(left[k]!, want[j]!);
        promised[k * devices + i] = take + 1; // +1: a member even if the class ran dry
        left[k] = left[k]! - take;
      });
    }
    const usedClasses = present.filter((k) => promised.subarray(k * devices, (k + 1) * devices).some((v) => v > 0));
    const capacity = usedClasses.reduce((a, k) => a + byClass[k]!.length, 0);
    const sizes = opts.sizes ?? equalSizes(capacity, devices);
    checkSizes(sizes, devices, labels.length, what);
    const used = sizes.reduce((a, b) => a + b, 0);
    if (used > capacity) {
      throw new DataError(
        `${what}: ${devices} devices x ${c} classes use ${usedClasses.length} of ${present.length} classes (${capacity} samples) but the sizes need ${used} (sizes ${describeSizes(sizes)}); use volume 'natural' or a larger c`,
      );
    }
    const extra = capacity - used;
    const cols = devices + (extra > 0 ? 1 : 0);
    const weights = new Float64Array(classes * cols);
    const rowTotals = new Array<number>(classes).fill(0);
    for (const k of usedClasses) {
      rowTotals[k] = byClass[k]!.length;
      for (let i = 0; i < devices; i++) weights[k * cols + i] = promised[k * devices + i]!;
      if (extra > 0) weights[k * cols + devices] = 1;
    }
    const result = allocate(rowTotals, extra > 0 ? [...sizes, extra] : [...sizes], weights);
    if (isFailure(result)) {
      const short = result.column < devices ? `device ${result.column} cannot get its ${sizes[result.column]} samples from its ${c} classes` : 'cannot place every sample';
      throw new DataError(`${what}: ${short} (${result.missing} short; sizes ${describeSizes(sizes)})`);
    }
    const lists: number[][] = Array.from({ length: devices }, () => []);
    byClass.forEach((idx, k) => {
      let at = 0;
      for (let i = 0; i < devices; i++) for (let j = 0; j < result.counts[k * cols + i]!; j++) lists[i]!.push(idx[at++]!);
    });
    return toPartition(lists);
  };
}
