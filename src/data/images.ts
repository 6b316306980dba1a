/**
 * Cached image bytes (src/data/cache-format.ts) -> Dataset, with no I/O: used by the packaged
 * datasets in Node and by the browser page for its MNIST asset, so both see the same rows.
 *
 * Sample order: the cache keeps the package's class-major order; rows are put in a fixed
 * pseudo-random order (independent of the run seed), so that `limit` or an evaluation over the
 * first rows sees all classes, and every run with any seed sees the same dataset.
 */
import type { CachedImages } from './cache-format.js';
import { DataPurpose, openStream } from './random.js';
import { shuffle } from '../kernels/rng.js';
import { sharedFloat32, sharedUint8 } from './shared.js';
import type { Split } from './spec.js';
import type { Dataset } from './types.js';

/** Fixed key of the canonical row order (deliberately not the run seed). */
const ORDER_SEED = 0x0bde5;

/** Cached bytes -> Dataset (floats in [0, 1] in shared memory, canonical row order, limit applied). */
export function bytesToDataset(name: string, data: CachedImages, split: Split, limit?: number): Dataset {
  const order = new Uint32Array(data.count);
  for (let i = 0; i < order.length; i++) order[i] = i;
  shuffle(order, openStream(ORDER_SEED, 0, split === 'train' ? 0 : 1, DataPurpose.data));
  const count = limit && limit < data.count ? limit : data.count;
  const f = data.features;
  const x = sharedFloat32(count * f);
  const y = sharedUint8(count);
  const scale = 1 / 255;
  for (let r = 0; r < count; r++) {
    const src = order[r]! * f;
    const dst = r * f;
    for (let j = 0; j < f; j++) x[dst + j] = data.pixels[src + j]! * scale;
    y[r] = data.labels[order[r]!]!;
  }
  return { name, count, features: f, shape: data.shape, classes: data.classes, x, y };
}
