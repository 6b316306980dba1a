/**
 * Dataset registry: spec string -> Dataset (see src/data/spec.ts for the spec grammar), the
 * train/test pairing used by runs, and feature standardisation.
 */
import { loadCifar10 } from './cifar10.js';
import { loadCsv } from './csv.js';
import { loadFashionMnist } from './fashion-mnist.js';
import { loadMnist } from './mnist.js';
import { loadNpy } from './npy.js';
import { parseDataSpec, type DataSpec, type Split } from './spec.js';
import { generateSynthetic } from './synthetic.js';
import { pairTrainTest, type TrainTest, type TrainTestOptions } from './train-test.js';
import type { Dataset } from './types.js';
import type { SetupListener } from '../setup-progress.js';

export type { Dataset, Partition } from './types.js';
export { parseDataSpec, type DataSpec, type Split, type SyntheticKind } from './spec.js';
export { isShared, sharedFloat32, sharedUint8, subsetDataset, limitDataset } from './shared.js';
export { partition, parsePartitionSpec, parseVolumeSpec, volumeSizes, type PartitionSpec, type VolumeSpec, type PartitionOptions } from './partition/index.js';
export { classHistogram } from './partition/histogram.js';
export { DEFAULT_HOLDOUT, holdOut, pairTrainTest, standardize, type DatasetLoader, type TrainTest, type TrainTestOptions } from './train-test.js';

export interface LoadOptions {
  /** Which split; a `:train` / `:test` suffix in the spec wins. csv/npy files are read whole. */
  readonly split: Split;
  /** Seeds generated data (synthetic); packaged datasets do not depend on it. */
  readonly seed: number;
  /** Folder of the binary cache (default <package root>/.cache/sparsepush, or $SPARSEPUSH_CACHE). */
  readonly cacheDir?: string;
  /** Keep only the first `limit` samples (0 or absent = all). */
  readonly limit?: number;
  /** csv/npy: number of classes (labels must be below it); default max label + 1. */
  readonly classes?: number;
  /** Progress of slow loads: package conversion into the cache, CIFAR-10 batches, synthetic generation. */
  readonly onProgress?: SetupListener;
}

function splitOf(spec: DataSpec, asked: Split): Split {
  return 'split' in spec && spec.split ? spec.split : asked;
}

/** Loads a dataset from its spec string. SpecError for a bad spec, DataError for bad files. */
export async function loadDataset(spec: string, opts: LoadOptions): Promise<Dataset> {
  const parsed = parseDataSpec(spec);
  const split = splitOf(parsed, opts.split);
  const limit = opts.limit;
  switch (parsed.kind) {
    case 'mnist':
      return loadMnist(split, { cacheDir: opts.cacheDir, limit, onProgress: opts.onProgress });
    case 'fashion-mnist':
      return loadFashionMnist(split, { cacheDir: opts.cacheDir, limit, onProgress: opts.onProgress });
    case 'csv':
      return loadCsv(parsed.path, { classes: opts.classes, limit });
    case 'npy':
      return loadNpy(parsed.xPath, parsed.yPath, { classes: opts.classes, limit });
    case 'cifar10':
      return loadCifar10(parsed.dir, split, { limit, onProgress: opts.onProgress });
    case 'synthetic':
      return generateSynthetic(parsed, split, opts.seed, limit, opts.onProgress);
  }
}

/**
 * Training and test sets for a run. Without a test spec, packaged datasets, cifar10 and synthetic
 * use their own test split; csv and npy hold out `holdout` (default 20%) of the training file.
 */
export function loadTrainTest(trainSpec: string, testSpec: string | null | undefined, opts: TrainTestOptions): Promise<TrainTest> {
  return pairTrainTest(loadDataset, trainSpec, testSpec, opts);
}
