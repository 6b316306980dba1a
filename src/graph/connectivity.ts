/** Strong connectivity of the union of a schedule's rounds over one period. */
import { GraphError } from '../errors.js';
import type { RoundGraph, Topology } from './types.js';
import { representativeRounds } from './build.js';

/** Nodes reachable from `start` along out-edges (forward) or in-edges (backward) of any round. */
function reach(rounds: readonly RoundGraph[], n: number, start: number, forward: boolean): Uint8Array {
  const seen = new Uint8Array(n);
  const stack = [start];
  seen[start] = 1;
  while (stack.length > 0) {
    const u = stack.pop()!;
    for (const g of rounds) {
      for (const v of (forward ? g.outPeers : g.inPeers)[u]!) {
        if (!seen[v]) { seen[v] = 1; stack.push(v); }
      }
    }
  }
  return seen;
}

/**
 * A pair (from, to) with no directed path from -> to in the union of the period's rounds (the
 * first RESAMPLED_WINDOW rounds for schedules resampled every round), or undefined when the union
 * is strongly connected. Strongly connected iff node 0 reaches everyone and everyone reaches 0.
 */
export function findUnreachablePair(topo: Topology): { from: number; to: number } | undefined {
  const rounds: RoundGraph[] = [];
  for (let t = 0; t < representativeRounds(topo); t++) rounds.push(topo.round(t));
  const fromZero = reach(rounds, topo.n, 0, true);
  for (let v = 0; v < topo.n; v++) if (!fromZero[v]) return { from: 0, to: v };
  const toZero = reach(rounds, topo.n, 0, false);
  for (let u = 0; u < topo.n; u++) if (!toZero[u]) return { from: u, to: 0 };
  return undefined;
}

export function isStronglyConnected(topo: Topology): boolean {
  return findUnreachablePair(topo) === undefined;
}

/** Throws GraphError naming the spec, n and an unreachable pair unless the union is strongly connected. */
export function assertStronglyConnected(topo: Topology): void {
  const pair = findUnreachablePair(topo);
  if (pair === undefined) return;
  const over = Number.isFinite(topo.period)
    ? `its period of ${topo.period} round${topo.period === 1 ? '' : 's'}`
    : `its first ${representativeRounds(topo)} rounds`;
  throw new GraphError(`topology '${topo.spec}' with devices = ${topo.n} is not strongly connected over ${over}: no path from node ${pair.from} to node ${pair.to}`);
}
