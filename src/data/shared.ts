/** Typed arrays backed by a SharedArrayBuffer (so worker threads can read the same bytes). */
import type { Dataset } from './types.js';

const hasShared = typeof SharedArrayBuffer !== 'undefined';

export function sharedFloat32(length: number): Float32Array {
  return new Float32Array(hasShared ? new SharedArrayBuffer(length * 4) : new ArrayBuffer(length * 4));
}

export function sharedUint8(length: number): Uint8Array {
  return new Uint8Array(hasShared ? new SharedArrayBuffer(length) : new ArrayBuffer(length));
}

/** True when a typed array's bytes live in a SharedArrayBuffer. */
export function isShared(a: ArrayBufferView): boolean {
  return hasShared && a.buffer instanceof SharedArrayBuffer;
}

/** A new dataset of the given rows (in the given order), copied into shared memory. */
export function subsetDataset(data: Dataset, rows: ArrayLike<number>, name = data.name): Dataset {
  const f = data.features;
  const x = sharedFloat32(rows.length * f);
  const y = sharedUint8(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const src = rows[r]!;
    x.set(data.x.subarray(src * f, src * f + f), r * f);
    y[r] = data.y[src]!;
  }
  return { name, count: rows.length, features: f, shape: data.shape, classes: data.classes, x, y };
}

/** The first `limit` samples (all when limit is 0, undefined or >= count); no copy when nothing is cut. */
export function limitDataset(data: Dataset, limit: number | undefined): Dataset {
  if (!limit || limit >= data.count) return data;
  const f = data.features;
  return {
    ...data,
    count: limit,
    x: data.x.subarray(0, limit * f),
    y: data.y.subarray(0, limit),
  };
}
