/**
 * Partition registry: `partition(dataset, partitionSpec, volumeSpec, devices, seed)`.
 * Label partitioners (config `data.partition`): `iid`, `dirichlet:a`, `skew:s`, `shards:c`;
 * volume specs (config `data.volume`): `equal`, `natural`, `volume:SR`, `zipf:a` (volume.ts).
 * Deterministic from the seed; every sample is used at most once; every device gets at least one
 * sample (or `minShard`), else DataError naming the device and the sizes.
 */
import { DataError, SpecError } from '../../errors.js';
import type { Dataset, Partition } from '../types.js';
import { checkShardSizes, type Partitioner } from './common.js';
import { dirichlet } from './dirichlet.js';
import { iid } from './iid.js';
import { shards } from './shards.js';
import { skew } from './skew.js';
import { parseVolumeSpec, volumeSizes } from './volume.js';

export type { Partitioner, PartitionerOptions } from './common.js';
export { apportion, equalSizes } from './common.js';
export { parseVolumeSpec, volumeSizes, type VolumeSpec } from './volume.js';
export { classHistogram } from './histogram.js';
export { iid } from './iid.js';
export { dirichlet } from './dirichlet.js';
export { skew } from './skew.js';
export { shards } from './shards.js';

export type PartitionSpec =
  | { readonly kind: 'iid' }
  | { readonly kind: 'dirichlet'; readonly alpha: number }
  | { readonly kind: 'skew'; readonly s: number }
  | { readonly kind: 'shards'; readonly classesPerDevice: number };

export function parsePartitionSpec(spec: string): PartitionSpec {
  const s = String(spec).trim();
  if (s === 'iid') return { kind: 'iid' };
  const [head, arg, ...more] = s.split(':');
  const v = arg === undefined || arg.trim() === '' ? Number.NaN : Number(arg);
  if (more.length === 0 && arg !== undefined) {
    switch (head) {
      case 'dirichlet':
        if (!(v > 0) || !Number.isFinite(v)) throw new SpecError(spec, `alpha must be a finite number > 0, got '${arg}'`);
        return { kind: 'dirichlet', alpha: v };
      case 'skew':
        if (!(v >= 0 && v <= 1)) throw new SpecError(spec, `s must be a number in [0, 1], got '${arg}'`);
        return { kind: 'skew', s: v };
      case 'shards':
        if (!Number.isInteger(v) || v < 1) throw new SpecError(spec, `c (classes per device) must be a positive integer, got '${arg}'`);
        return { kind: 'shards', classesPerDevice: v };
    }
  }
  throw new SpecError(spec, "unknown partition; expected 'iid', 'dirichlet:a', 'skew:s' or 'shards:c'");
}

export function partitionerFor(spec: string | PartitionSpec): Partitioner {
  const p = typeof spec === 'string' ? parsePartitionSpec(spec) : spec;
  switch (p.kind) {
    case 'iid':
      return iid;
    case 'dirichlet':
      return dirichlet(p.alpha);
    case 'skew':
      return skew(p.s);
    case 'shards':
      return shards(p.classesPerDevice);
  }
}

export interface PartitionOptions {
  /** Every device needs at least this many samples (e.g. the batch size); default 1. */
  readonly minShard?: number;
}

/** Splits a training set over devices. SpecError for bad specs, DataError when it cannot be done. */
export function partition(
  dataset: Pick<Dataset, 'y' | 'classes' | 'count' | 'name'>,
  partitionSpec: string,
  volumeSpec: string,
  devices: number,
  seed: number,
  opts: PartitionOptions = {},
): Partition {
  const partitioner = partitionerFor(partitionSpec);
  const volume = parseVolumeSpec(volumeSpec);
  if (!Number.isInteger(devices) || devices < 1) throw new DataError(`devices must be a positive integer, got ${devices}`, dataset.name);
  const n = dataset.count;
  const labels = dataset.y.length === n ? dataset.y : dataset.y.subarray(0, n);
  if (devices > n) throw new DataError(`${devices} devices but only ${n} training samples; every device needs at least one`, dataset.name);
  const sizes = volumeSizes(volume, n, devices);
  const result = partitioner(labels, dataset.classes, devices, sizes ? { seed, sizes } : { seed });
  const minShard = opts.minShard ?? 1;
  const what = `${partitionSpec} / ${volumeSpec} over ${n} samples of ${dataset.name}`;
  if (result.shards.length !== devices) throw new DataError(`${what}: ${result.shards.length} shards for ${devices} devices`);
  checkShardSizes(result, what, Math.max(1, minShard), minShard > 1 ? ' (minShard, e.g. the batch size)' : '');
  return result;
}
