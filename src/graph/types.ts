/** A (possibly time-varying, possibly directed) communication graph with push-sum mixing weights. */
export interface RoundGraph {
  readonly round: number;
  /** outPeers[i]: i's out-peers this round, ascending, never containing i. */
  readonly outPeers: readonly (readonly number[])[];
  /** inPeers[i]: i's in-peers this round, ascending (so mixing sums are deterministic). */
  readonly inPeers: readonly (readonly number[])[];
  /** selfWeight[i] = a_i(t) = 1 / (|O_i(t)| + 1): what i keeps, and what it sends to each out-peer. */
  readonly selfWeight: Float64Array;
}

export interface Topology {
  /** The spec string it was built from (e.g. `exponential:1`). */
  readonly spec: string;
  readonly n: number;
  /** False when every edge has its reverse in the same round (ring, torus, complete, ...). */
  readonly directed: boolean;
  /** Rounds after which the schedule repeats (1 for static graphs). */
  readonly period: number;
  /** The graph of round t (pure function of t and the seed). */
  round(t: number): RoundGraph;
}
