/**
 * The graph layer's only source of randomness: the counter-based stream of
 * (seed, device, round, Purpose.graph) from src/kernels/rng.ts, so a random topology is a pure
 * function of its seed (and, for per-round graphs, of the round).
 */
import { Purpose, RandomStream } from '../kernels/rng.js';

const TWO_POW_32 = 4294967296;

/** Sequential draws from one (seed, device, round, graph) stream. */
export class GraphStream {
  private readonly stream: RandomStream;
  constructor(seed: number, device: number, round: number) {
    this.stream = RandomStream.of(seed, device, round, Purpose.graph);
  }
  /** Uniform in (0, 1) with 32 random bits (never 0 or 1, so log() is finite). */
  uniform(): number { return (this.stream.next() + 0.5) / TWO_POW_32; }
  /** Unbiased integer in [0, m). */
  below(m: number): number { return this.stream.nextInt(m); }
}
