/**
 * Random numbers for the data layer: counter-based streams keyed by (seed, device, round, purpose),
 * plus the distributions partitioners and generators need (normal, gamma, Dirichlet).
 * Nothing here keeps global state; the same key always gives the same sequence.
 */

import { Purpose, RandomStream } from '../kernels/rng.js';

/** Stream purposes used by the data layer (codes of src/kernels/rng.ts `Purpose`). */
export const DataPurpose = {
  partition: Purpose.partition,
  data: Purpose.data,
} as const;

export interface UniformSource {
  /** Next uniform u32. */
  nextU32(): number;
  /** Next float in [0, 1) with 53 random bits (two u32 draws). */
  nextUniform(): number;
  /** Next integer in [0, n), unbiased (RandomStream.nextInt: Lemire with rejection). */
  nextInt(n: number): number;
}

class DataStream implements UniformSource {
  constructor(private readonly stream: RandomStream) {}
  nextU32(): number {
    return this.stream.next();
  }
  nextUniform(): number {
    // Finer than RandomStream's 24-bit uniform: Box-Muller and Gamma tails need it.
    const hi = this.stream.next() >>> 5;
    const lo = this.stream.next() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }
  nextInt(n: number): number {
    return this.stream.nextInt(n);
  }
}

/** The deterministic stream of (seed, device, round, purpose) (src/kernels/rng.ts). */
export function openStream(seed: number, device: number, round: number, purpose: number): UniformSource {
  return new DataStream(RandomStream.of(seed, device, round, purpose));
}

/** Standard normal (Box–Muller; one value per call, the second is discarded for simplicity). */
export function normal(rng: UniformSource): number {
  const u1 = 1 - rng.nextUniform(); // (0, 1]
  const u2 = rng.nextUniform();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** log of a Gamma(shape, 1) draw (Marsaglia–Tsang); log-space so tiny shapes do not underflow. */
export function logGamma(rng: UniformSource, shape: number): number {
  if (!(shape > 0) || !Number.isFinite(shape)) throw new RangeError(`gamma shape ${shape}`);
  if (shape < 1) {
    // Gamma(a) = Gamma(a + 1) * U^(1/a)
    const u = 1 - rng.nextUniform();
    return logGamma(rng, shape + 1) + Math.log(u) / shape;
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const x = normal(rng);
    const t = 1 + c * x;
    if (t <= 0) continue;
    const v = t * t * t;
    const u = 1 - rng.nextUniform();
    if (u < 1 - 0.0331 * x * x * x * x) return Math.log(d * v);
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return Math.log(d * v);
  }
}

/** A Dirichlet(alpha, ..., alpha) draw of length n (sums to 1). */
export function dirichlet(rng: UniformSource, alpha: number, n: number): Float64Array {
  const logs = new Float64Array(n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    logs[i] = logGamma(rng, alpha);
    if (logs[i]! > max) max = logs[i]!;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    logs[i] = Math.exp(logs[i]! - max);
    sum += logs[i]!;
  }
  for (let i = 0; i < n; i++) logs[i] = logs[i]! / sum;
  return logs;
}
