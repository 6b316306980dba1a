/**
 * The train/test pairing of a run, for any dataset loader (Node's files and packages, or the
 * browser page's generated data and fetched MNIST): the test split or a held-out part of the
 * training file, the training limit, and optional standardisation.
 */
import { DataError } from '../errors.js';
import { DataPurpose, openStream } from './random.js';
import { shuffle } from '../kernels/rng.js';
import { limitDataset, sharedFloat32, subsetDataset } from './shared.js';
import { parseDataSpec, type Split } from './spec.js';
import type { Dataset } from './types.js';
import type { SetupListener } from '../setup-progress.js';

/** Loads one dataset spec (src/data/index.ts loadDataset in Node). */
export type DatasetLoader = (spec: string, opts: {
  readonly split: Split; readonly seed: number; readonly cacheDir?: string; readonly classes?: number; readonly onProgress?: SetupListener;
}) => Promise<Dataset>;

/** Fraction of a csv/npy training file held out as test when no test spec is given. */
export const DEFAULT_HOLDOUT = 0.2;
/** Fixed key of the hold-out split: the same test rows for every run seed. */
const HOLDOUT_SEED = 0x401d;

export interface TrainTestOptions {
  readonly seed: number;
  readonly cacheDir?: string;
  /** Use at most this many training samples (0 = all), applied after the hold-out. */
  readonly limit?: number;
  /** Hold-out fraction for sources without a test split (default 0.2). */
  readonly holdout?: number;
  /** `unit` (default): features as the source gives them (images in [0, 1]); `standard`: per-feature
   *  mean 0 / std 1 using the training set's statistics for both sets. */
  readonly normalize?: 'unit' | 'standard';
  /** Progress of slow loads (see LoadOptions.onProgress). */
  readonly onProgress?: SetupListener;
}

export interface TrainTest {
  readonly train: Dataset;
  readonly test: Dataset;
  /** True when the test set was held out of the training source. */
  readonly heldOut: boolean;
}

/**
 * Stratified deterministic hold-out: of each class's rows (shuffled with a fixed key),
 * round(fraction * n_class) go to test; both parts keep the source's row order.
 */
export function holdOut(data: Dataset, fraction: number): { train: Dataset; test: Dataset } {
  if (!(fraction > 0 && fraction < 1)) throw new DataError(`hold-out fraction must be in (0, 1), got ${fraction}`, data.name);
  const byClass: number[][] = Array.from({ length: data.classes }, () => []);
  for (let i = 0; i < data.count; i++) byClass[data.y[i]!]!.push(i);
  const rng = openStream(HOLDOUT_SEED, 0, 0, DataPurpose.data);
  const isTest = new Uint8Array(data.count);
  for (const rows of byClass) {
    shuffle(rows, rng);
    const take = Math.round(fraction * rows.length);
    for (let r = 0; r < take; r++) isTest[rows[r]!] = 1;
  }
  const trainRows: number[] = [];
  const testRows: number[] = [];
  for (let i = 0; i < data.count; i++) (isTest[i] ? testRows : trainRows).push(i);
  if (testRows.length === 0 || trainRows.length === 0) {
    throw new DataError(`${data.count} samples are too few to hold out ${fraction * 100}% as a test set; give data.test`, data.name);
  }
  return { train: subsetDataset(data, trainRows), test: subsetDataset(data, testRows, `${data.name}:heldout`) };
}

/**
 * Training and test sets for a run from `loadDataset`. Without a test spec, packaged datasets,
 * cifar10 and synthetic use their own test split; csv and npy hold out `holdout` (default 20%) of
 * the training file.
 */
export async function pairTrainTest(loadDataset: DatasetLoader, trainSpec: string, testSpec: string | null | undefined, opts: TrainTestOptions): Promise<TrainTest> {
  const parsedTrain = parseDataSpec(trainSpec);
  const base = { seed: opts.seed, cacheDir: opts.cacheDir, onProgress: opts.onProgress };
  let train = await loadDataset(trainSpec, { ...base, split: 'train' });
  let test: Dataset;
  let heldOut = false;
  if (testSpec) {
    test = await loadDataset(testSpec, { ...base, split: 'test', classes: train.classes });
    if (test.features !== train.features) {
      throw new DataError(`test set has ${test.features} features per sample, training set ${trainSpec} has ${train.features}`, testSpec);
    }
    if (test.classes > train.classes) {
      throw new DataError(`test set has ${test.classes} classes, training set ${trainSpec} has ${train.classes}`, testSpec);
    }
    if (test.classes !== train.classes) test = { ...test, classes: train.classes };
  } else if (parsedTrain.kind === 'csv' || parsedTrain.kind === 'npy') {
    ({ train, test } = holdOut(train, opts.holdout ?? DEFAULT_HOLDOUT));
    heldOut = true;
  } else {
    if ('split' in parsedTrain && parsedTrain.split === 'test') {
      throw new DataError('the training spec selects the test split and no test spec is given; set data.test', trainSpec);
    }
    test = await loadDataset(trainSpec, { ...base, split: 'test' });
  }
  train = limitDataset(train, opts.limit);
  if (opts.normalize === 'standard') [train, test] = standardize(train, test);
  return { train, test, heldOut };
}

/**
 * Per-feature standardisation with the first dataset's mean and std (std below 1e-8 counts as 1),
 * applied to every dataset given; returns new datasets in shared memory.
 */
export function standardize(reference: Dataset, ...others: Dataset[]): Dataset[] {
  const f = reference.features;
  const mean = new Float64Array(f);
  const sq = new Float64Array(f);
  for (let i = 0; i < reference.count; i++) {
    for (let j = 0; j < f; j++) mean[j] = mean[j]! + reference.x[i * f + j]!;
  }
  for (let j = 0; j < f; j++) mean[j] = mean[j]! / reference.count;
  for (let i = 0; i < reference.count; i++) {
    for (let j = 0; j < f; j++) {
      const dlt = reference.x[i * f + j]! - mean[j]!;
      sq[j] = sq[j]! + dlt * dlt;
    }
  }
  const inv = new Float64Array(f);
  for (let j = 0; j < f; j++) {
    const sd = Math.sqrt(sq[j]! / reference.count);
    inv[j] = sd < 1e-8 ? 1 : 1 / sd;
  }
  return [reference, ...others].map((d) => {
    if (d.features !== f) throw new DataError(`cannot standardise: ${d.features} features, reference has ${f}`, d.name);
    const x = sharedFloat32(d.count * f);
    for (let i = 0; i < d.count; i++) {
      for (let j = 0; j < f; j++) x[i * f + j] = (d.x[i * f + j]! - mean[j]!) * inv[j]!;
    }
    return { ...d, x };
  });
}
