/** Shared pieces of the partitioners: the contract, apportionment, per-class index lists, checks. */
import { DataError } from '../../errors.js';
import { DataPurpose, openStream, type UniformSource } from '../random.js';
import { shuffle } from '../../kernels/rng.js';
import type { Partition } from '../types.js';

export interface PartitionerOptions {
  readonly seed: number;
  /**
   * Exact number of samples per device (sum <= number of samples). Absent: equal sizes over the
   * samples the partitioner uses (dirichlet: the classic per-class split, sizes as they fall).
   */
  readonly sizes?: readonly number[];
}

/** One partitioner: labels -> which sample indices each device owns. */
export type Partitioner = (labels: Uint8Array, classes: number, devices: number, opts: PartitionerOptions) => Partition;

/** The partitioners' random stream (one per call; different partitioners may share keys, harmlessly). */
export function partitionStream(seed: number, stream = 0): UniformSource {
  return openStream(seed, stream, 0, DataPurpose.partition);
}

/**
 * Largest-remainder apportionment: non-negative integers proportional to `weights` summing to
 * `total` exactly (ties to the lower index).
 */
export function apportion(total: number, weights: ArrayLike<number>): number[] {
  const n = weights.length;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`apportion: bad weight ${w}`);
    sum += w;
  }
  if (n === 0 || total === 0) return new Array<number>(n).fill(0);
  if (!(sum > 0)) throw new RangeError('apportion: all weights are zero');
  const out = new Array<number>(n);
  const frac = new Float64Array(n);
  let given = 0;
  for (let i = 0; i < n; i++) {
    const q = (total * weights[i]!) / sum;
    out[i] = Math.floor(q);
    frac[i] = q - out[i]!;
    given += out[i]!;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => frac[b]! - frac[a]! || a - b);
  for (let r = 0; r < total - given; r++) out[order[r % n]!]! += 1;
  return out;
}

/** Equal sizes: floor(total / n) each, the first total mod n devices one more. */
export function equalSizes(total: number, devices: number): number[] {
  const base = Math.floor(total / devices);
  const extra = total - base * devices;
  return Array.from({ length: devices }, (_, i) => base + (i < extra ? 1 : 0));
}

/** Sample indices of each class, ascending. */
export function indicesByClass(labels: Uint8Array, classes: number): Uint32Array[] {
  const counts = new Uint32Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l >= classes) throw new DataError(`sample ${i} has label ${l}, but there are ${classes} classes`);
    counts[l]! += 1;
  }
  const out = Array.from({ length: classes }, (_, k) => new Uint32Array(counts[k]!));
  const fill = new Uint32Array(classes);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    out[l]![fill[l]!++] = i;
  }
  return out;
}

/** Same, each class shuffled with the stream. */
export function shuffledByClass(labels: Uint8Array, classes: number, rng: UniformSource): Uint32Array[] {
  const byClass = indicesByClass(labels, classes);
  for (const idx of byClass) shuffle(idx, rng);
  return byClass;
}

/** Short text of a size list for error messages. */
export function describeSizes(sizes: readonly number[]): string {
  const head = sizes.slice(0, 20).join(', ');
  return sizes.length > 20 ? `[${head}, ... ${sizes.length - 20} more]` : `[${head}]`;
}

/** Validates requested sizes against devices and available samples. */
export function checkSizes(sizes: readonly number[], devices: number, available: number, what: string): void {
  if (sizes.length !== devices) throw new DataError(`${what}: ${sizes.length} sizes for ${devices} devices`);
  let sum = 0;
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s < 0) throw new DataError(`${what}: device ${i} size ${s} is not a non-negative integer`);
    sum += s;
  });
  if (sum > available) throw new DataError(`${what}: sizes sum to ${sum} but only ${available} samples are available`);
}

/** Shards from device -> index lists, each sorted ascending (a canonical form). */
export function toPartition(lists: readonly (ArrayLike<number>)[]): Partition {
  return { shards: lists.map((l) => Uint32Array.from(l).sort()) };
}

/** Every device must own at least `min` samples; DataError names the device and all sizes. */
export function checkShardSizes(p: Partition, what: string, min = 1, reason = ''): void {
  const sizes = p.shards.map((s) => s.length);
  sizes.forEach((s, i) => {
    if (s < min) {
      throw new DataError(`${what}: device ${i} gets ${s} samples, needs at least ${min}${reason} (sizes ${describeSizes(sizes)})`);
    }
  });
}
