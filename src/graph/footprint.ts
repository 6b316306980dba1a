/**
 * Memory a topology's round graphs take, from its spec and n alone (nothing is built), so a graph
 * too large for the JavaScript heap is refused before it is built. A round graph holds, per node,
 * two JS arrays (out-peers, in-peers) and a float64 self weight, and per edge one entry in each
 * array; V8 stores array elements as 8-byte values and each array needs at least a 16-byte header,
 * so the estimate is a lower bound.
 */
import { exponentialPeriod } from './exponential.js';
import type { TopologySpec } from './registry.js';

/** Heap bytes per directed edge of a round graph (an out-peer and an in-peer entry). */
export const GRAPH_BYTES_PER_EDGE = 16;
/** Heap bytes per node of a round graph (two array headers and a float64 weight). */
export const GRAPH_BYTES_PER_NODE = 40;

export interface GraphFootprint {
  /** Directed edges of one round graph (the expected count for erdos-renyi; 0 when unknown before reading a file). */
  readonly edgesPerRound: number;
  /** Distinct round graphs kept at once over a long run (the schedule's period, or the resampled cache). */
  readonly cachedRounds: number;
  /** Heap bytes of one round graph. */
  readonly bytesPerRound: number;
}

/** Round graphs a resampled schedule keeps (src/graph/build.ts ResampledTopology). */
const RESAMPLED_CACHE = 4;

/** The footprint of the parsed topology `t` on n nodes (parseTopologySpec). */
export function graphFootprint(t: TopologySpec, n: number): GraphFootprint {
  let edges: number;
  let cached = 1;
  switch (t.kind) {
    case 'ring': edges = 2 * n; break;
    case 'directed-ring': edges = n; break;
    case 'complete': edges = n * (n - 1); break;
    case 'star': edges = 2 * (n - 1); break;
    case 'torus': edges = 4 * n; break;
    case 'random-regular': edges = t.k * n; break;
    case 'erdos-renyi': edges = t.p * n * (n - 1); cached = t.fixed ? 1 : RESAMPLED_CACHE; break;
    case 'edges': edges = 0; break;
    case 'exponential': {
      const p = Math.min(t.p, n - 1);
      edges = p * n;
      cached = p >= 1 ? exponentialPeriod(n, p) : 1;
      break;
    }
  }
  return { edgesPerRound: edges, cachedRounds: cached, bytesPerRound: edges * GRAPH_BYTES_PER_EDGE + n * GRAPH_BYTES_PER_NODE };
}
