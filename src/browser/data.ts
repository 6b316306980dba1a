/**
 * Datasets in the browser: `synthetic:*` is generated exactly as in Node, `mnist` is read from the
 * dataset cache files (src/data/cache-format.ts) at URLs the caller gives (the page ships them), and
 * the train/test pairing is Node's (src/data/train-test.ts), so a run sees the same rows as the CLI.
 * Every other source needs a file system or an npm package and is an error naming the spec.
 */
import type { RunConfig } from '../config/types.js';
import { decodeCache } from '../data/cache-format.js';
import { bytesToDataset } from '../data/images.js';
import { parseDataSpec, type Split } from '../data/spec.js';
import { generateSynthetic } from '../data/synthetic.js';
import { pairTrainTest, type DatasetLoader, type TrainTest } from '../data/train-test.js';
import type { Dataset } from '../data/types.js';
import { DataError } from '../errors.js';

export interface BrowserDataSources {
  /** The `mnist` cache files of both splits (what `npm run build:browser` copies next to the page). */
  readonly mnist?: { readonly train: string | URL; readonly test: string | URL };
}

async function fetchBytes(url: string | URL, spec: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new DataError(`cannot fetch ${String(url)}: ${(err as Error).message}`, spec);
  }
  if (!res.ok) throw new DataError(`cannot fetch ${String(url)}: HTTP ${res.status}`, spec);
  return new Uint8Array(await res.arrayBuffer());
}

/** A DatasetLoader for the browser (see the module comment). */
export function browserDatasetLoader(sources: BrowserDataSources): DatasetLoader {
  return async (spec: string, opts: { readonly split: Split; readonly seed: number }): Promise<Dataset> => {
    const parsed = parseDataSpec(spec);
    const split: Split = 'split' in parsed && parsed.split ? parsed.split : opts.split;
    switch (parsed.kind) {
      case 'synthetic':
        return generateSynthetic(parsed, split, opts.seed);
      case 'mnist': {
        const url = sources.mnist?.[split];
        if (url === undefined) throw new DataError('no URL for the mnist files was given (BrowserDataSources.mnist)', spec);
        const data = decodeCache(await fetchBytes(url, spec), null);
        if (!data) throw new DataError(`${String(url)} is not a dataset cache file (bad header, size or CRC)`, spec);
        return bytesToDataset(split === 'test' ? 'mnist:test' : 'mnist', data, split);
      }
      default:
        throw new DataError(`'${parsed.kind}' data needs a file system or an npm package; in the browser use mnist or synthetic:N,D,C`, spec);
    }
  };
}

/** The run's training and test sets, as Node's loadTrainTest gives them for the same config. */
export function loadBrowserTrainTest(config: RunConfig, sources: BrowserDataSources): Promise<TrainTest> {
  return pairTrainTest(browserDatasetLoader(sources), config.data.train, config.data.test, { seed: config.seed, limit: config.data.limit });
}
