/**
 * The graph layer's only source of randomness: a counter-based stream keyed by
 * (seed, device, round, purpose = graph), so a random topology is a pure function of its seed.
 *
 * TEMPORARY: src/kernels/rng.ts (rngKey / rngU32 / rngUniform) is not in the repo yet; until it
 * lands this file uses a private hash. Switching only touches the two functions below.
 */

/** murmur3's 32-bit finalizer: a bijection with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const GRAPH_PURPOSE = 0x67726170; // 'grap'

function hashKey(seed: number, device: number, round: number): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  h = fmix32(h ^ Math.imul((device >>> 0) + 1, 0x85ebca77));
  h = fmix32(h ^ Math.imul((round >>> 0) + 1, 0xc2b2ae3d));
  return fmix32(h ^ GRAPH_PURPOSE);
}

/** A uniform 32-bit draw number `counter` of the (seed, device, round, graph) stream. */
export function graphU32(seed: number, device: number, round: number, counter: number): number {
  const key = hashKey(seed, device, round);
  return fmix32(fmix32(key ^ Math.imul((counter >>> 0) + 1, 0x27d4eb2f)) ^ (key >>> 7));
}

/** A uniform draw in (0, 1) (never exactly 0 or 1, so log() is finite). */
export function graphUniform(seed: number, device: number, round: number, counter: number): number {
  return (graphU32(seed, device, round, counter) + 0.5) / 4294967296;
}

/** Sequential draws from one (seed, device, round) stream. */
export class GraphStream {
  private counter = 0;
  constructor(private readonly seed: number, private readonly device: number, private readonly round: number) {}
  /** Uniform in (0, 1). */
  uniform(): number { return graphUniform(this.seed, this.device, this.round, this.counter++); }
  /** Uniform integer in [0, m). */
  below(m: number): number { return Math.floor(this.uniform() * m); }
}
