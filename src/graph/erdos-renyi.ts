/**
 * `erdos-renyi:p` / `erdos-renyi:p:fixed`: directed G(n, p); each ordered pair (i, j), i != j, is an
 * edge with probability p, independently. Node i's out-peers in round t come from the graph
 * stream (seed, device i, round t), so each round is a pure function of (seed, t). `:fixed`
 * samples once (round 0's draw) and keeps that graph.
 *
 * Sampling skips geometrically over non-edges, so a round costs O(n + edges), not O(n^2).
 */
import { GraphError } from '../errors.js';
import type { RoundGraph, Topology } from './types.js';
import { PeriodicTopology, ResampledTopology, checkDevices, roundGraphFromOutPeers } from './build.js';
import { GraphStream } from './random.js';

export function sampleErdosRenyiOutPeers(n: number, p: number, seed: number, round: number): number[][] {
  const logMiss = Math.log1p(-p);
  return Array.from({ length: n }, (_, i) => {
    const stream = new GraphStream(seed, i, round);
    const peers: number[] = [];
    // c indexes the n-1 candidates other than i; skip ~ Geometric(p) non-edges before each edge.
    for (let c = -1; ;) {
      c += 1 + (p >= 1 ? 0 : Math.floor(Math.log(stream.uniform()) / logMiss));
      if (c >= n - 1) break;
      peers.push(c < i ? c : c + 1);
    }
    return peers;
  });
}

export function createErdosRenyi(n: number, p: number, fixed: boolean, seed: number, spec = `erdos-renyi:${p}${fixed ? ':fixed' : ''}`): Topology {
  checkDevices(n, spec);
  if (!(p > 0 && p <= 1)) throw new GraphError(`topology '${spec}': edge probability p must be in (0, 1], got ${p}`);
  const build = (t: number): RoundGraph => roundGraphFromOutPeers(spec, t, sampleErdosRenyiOutPeers(n, p, seed, t));
  if (fixed) {
    const graph = build(0);
    return new PeriodicTopology(spec, n, 1, () => graph);
  }
  return new ResampledTopology(spec, n, build);
}
