/** Helpers shared by the models tests: deterministic synthetic data and tolerances. */
import { Purpose, rngKey, rngUniform } from '../src/kernels/rng.js';
import type { Dataset } from '../src/data/types.js';
import type { Batch, Learner } from '../src/models/types.js';

/** Uniform values in [-scale, scale) from stream (seed, purpose data). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const key = rngKey(seed, 0, 0, Purpose.data);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * (2 * rngUniform(key, i) - 1);
  return a;
}

/**
 * A learnable synthetic image set: sample i has class i mod classes; pixels are that class's fixed
 * template plus uniform noise of amplitude `noise`.
 */
export function syntheticImages(count: number, shape: readonly number[], classes: number, seed: number, noise = 0.5): Dataset {
  const features = shape.reduce((a, b) => a * b, 1);
  const templates = randomArray(classes * features, seed + 1000);
  const jitter = randomArray(count * features, seed, noise);
  const x = new Float32Array(count * features);
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = (i * 7 + (i >> 3)) % classes;
    y[i] = c;
    for (let j = 0; j < features; j++) x[i * features + j] = templates[c * features + j]! + jitter[i * features + j]!;
  }
  return { name: `synthetic-${shape.join('x')}`, count, features, shape: [...shape], classes, x, y };
}

export function batchOf(data: Dataset, start: number, count: number): Batch {
  return {
    x: data.x.subarray(start * data.features, (start + count) * data.features),
    y: data.y.subarray(start, start + count),
    count,
  };
}

export interface Vectors { params: Float32Array; state: Float32Array; grad: Float32Array }
export function vectorsFor(l: Learner, seed: number): Vectors {
  const v = { params: new Float32Array(l.paramCount), state: new Float32Array(l.stateCount), grad: new Float32Array(l.paramCount) };
  l.init(v.params, v.state, seed);
  return v;
}

/** max |a - b| / (atol + rtol * max |b|): <= 1 means close. */
export function closeness(a: Float32Array, b: Float32Array, rtol: number, atol: number): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let maxB = 0;
  for (const v of b) maxB = Math.max(maxB, Math.abs(v));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / (atol + rtol * maxB));
  return worst;
}
