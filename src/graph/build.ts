/** Shared machinery for topologies: validating n, building RoundGraphs, caching schedules. */
import { ConfigError, GraphError } from '../errors.js';
import type { RoundGraph, Topology } from './types.js';

/** Every topology needs an integer number of devices >= 2. */
export function checkDevices(n: number, spec: string): void {
  if (!Number.isSafeInteger(n) || n < 2) {
    throw new ConfigError('devices', `topology '${spec}' needs an integer number of devices >= 2, got ${String(n)}`);
  }
}

/**
 * A RoundGraph from each node's out-peers (any order). Sorts them, derives ascending in-peers and
 * the uniform push-sum weights a_i = 1/(|O_i|+1). Rejects self-loops, duplicates and out-of-range
 * peers (they would be bugs in a topology, so the message names the spec).
 */
export function roundGraphFromOutPeers(spec: string, round: number, outPeers: number[][]): RoundGraph {
  const n = outPeers.length;
  const inPeers: number[][] = Array.from({ length: n }, () => []);
  const selfWeight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const peers = outPeers[i]!;
    peers.sort((a, b) => a - b);
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      if (!Number.isInteger(j) || j < 0 || j >= n) throw new GraphError(`topology '${spec}' round ${round}: node ${i} has out-peer ${j} outside 0..${n - 1}`);
      if (j === i) throw new GraphError(`topology '${spec}' round ${round}: node ${i} lists itself as an out-peer`);
      if (k > 0 && peers[k - 1] === j) throw new GraphError(`topology '${spec}' round ${round}: node ${i} lists out-peer ${j} twice`);
    }
    selfWeight[i] = 1 / (peers.length + 1);
  }
  // Senders visited in ascending order, so every in-peer list comes out ascending.
  for (let i = 0; i < n; i++) for (const j of outPeers[i]!) inPeers[j]!.push(i);
  return { round, outPeers, inPeers, selfWeight };
}

/** True when every edge of the round has its reverse (outPeers[i] equals inPeers[i] for all i). */
export function isSymmetricRound(g: RoundGraph): boolean {
  for (let i = 0; i < g.outPeers.length; i++) {
    const out = g.outPeers[i]!;
    const inn = g.inPeers[i]!;
    if (out.length !== inn.length) return false;
    for (let k = 0; k < out.length; k++) if (out[k] !== inn[k]) return false;
  }
  return true;
}

/** The same graph relabelled with round t (arrays shared, never copied). */
function atRound(g: RoundGraph, t: number): RoundGraph {
  return g.round === t ? g : { round: t, outPeers: g.outPeers, inPeers: g.inPeers, selfWeight: g.selfWeight };
}

function checkRound(spec: string, t: number): void {
  if (!Number.isSafeInteger(t) || t < 0) throw new GraphError(`topology '${spec}': round must be an integer >= 0, got ${String(t)}`);
}

/**
 * A schedule that repeats every `period` rounds. Each distinct round graph is built once and
 * cached; round(t) returns the cached graph of t mod period (relabelled with round t).
 * `directed` is derived from the graphs themselves unless given.
 */
export class PeriodicTopology implements Topology {
  private readonly cache: (RoundGraph | undefined)[];
  private directedCache: boolean | undefined;

  constructor(
    readonly spec: string,
    readonly n: number,
    readonly period: number,
    private readonly build: (phase: number) => RoundGraph,
    directed?: boolean,
  ) {
    if (!Number.isSafeInteger(period) || period < 1) throw new GraphError(`topology '${spec}': period must be a positive integer, got ${period}`);
    this.cache = new Array<RoundGraph | undefined>(period);
    this.directedCache = directed;
  }

  get directed(): boolean {
    if (this.directedCache === undefined) {
      let symmetric = true;
      for (let p = 0; p < this.period && symmetric; p++) symmetric = isSymmetricRound(this.round(p));
      this.directedCache = !symmetric;
    }
    return this.directedCache;
  }

  round(t: number): RoundGraph {
    checkRound(this.spec, t);
    const phase = t % this.period;
    let g = this.cache[phase];
    if (g === undefined) {
      g = this.build(phase);
      this.cache[phase] = g;
    }
    return atRound(g, t);
  }
}

/**
 * A schedule resampled every round: round(t) is a pure function of (seed, t). It never repeats,
 * so `period` is Infinity (t % Infinity === t). The last few rounds are kept because the engine
 * asks for the same round in several phases.
 */
export class ResampledTopology implements Topology {
  readonly period = Number.POSITIVE_INFINITY;
  readonly directed = true;
  private readonly recent = new Map<number, RoundGraph>();

  constructor(readonly spec: string, readonly n: number, private readonly build: (t: number) => RoundGraph) {}

  round(t: number): RoundGraph {
    checkRound(this.spec, t);
    let g = this.recent.get(t);
    if (g === undefined) {
      g = this.build(t);
      if (this.recent.size >= 4) this.recent.delete(this.recent.keys().next().value as number);
      this.recent.set(t, g);
    }
    return g;
  }
}

/** Rounds whose union / average stands for a schedule: its period, or a fixed window when it never repeats. */
export const RESAMPLED_WINDOW = 32;
export function representativeRounds(topo: Topology): number {
  return Number.isFinite(topo.period) ? topo.period : RESAMPLED_WINDOW;
}
