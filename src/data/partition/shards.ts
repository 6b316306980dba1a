/**
 * `shards:c` (McMahan et al. style, class-exact): every device holds samples of exactly c
 * distinct classes (c <= classes present). Classes are put in a random order; device i gets
 * classes order[(i*c + j) mod C] for j < c, so each class is shared by about devices*c/C devices.
 * Each class's samples are split among its devices so that device sizes are met exactly
 * (equal when no sizes are given; proportional fitting + exact rounding, allocate.ts).
 * When devices*c < C some classes are not used at all; then, without sizes, the equal sizes
 * are over the used classes' samples.
 */
import { DataError, SpecError } from '../../errors.js';
import { shuffleInPlace } from '../random.js';
import { allocate, isFailure } from './allocate.js';
import { checkSizes, describeSizes, equalSizes, partitionStream, shuffledByClass, toPartition, type Partitioner } from './common.js';

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
    shuffleInPlace(rng, present);
    const member = new Uint8Array(classes * devices);
    for (let i = 0; i < devices; i++) for (let j = 0; j < c; j++) member[present[(i * c + j) % present.length]! * devices + i] = 1;
    const usedClasses = present.filter((k) => member.subarray(k * devices, (k + 1) * devices).some((v) => v === 1));
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
      for (let i = 0; i < devices; i++) weights[k * cols + i] = member[k * devices + i]!;
      if (extra > 0) weights[k * cols + devices] = 1;
    }
    const result = allocate(rowTotals, extra > 0 ? [...sizes, extra] : [...sizes], weights);
    if (isFailure(result)) {
      throw new DataError(
        `${what}: device ${result.column} cannot get its ${sizes[result.column] ?? extra} samples from its ${c} classes (${result.missing} short; sizes ${describeSizes(sizes)})`,
      );
    }
    const lists: number[][] = Array.from({ length: devices }, () => []);
    byClass.forEach((idx, k) => {
      let at = 0;
      for (let i = 0; i < devices; i++) for (let j = 0; j < result.counts[k * cols + i]!; j++) lists[i]!.push(idx[at++]!);
    });
    return toPartition(lists);
  };
}
