/**
 * The effective graph of one round: the topology's graph with this round's faults applied.
 *
 * - Offline devices (probability faults.offline, stream (seed, i, round, offline)) neither send
 *   nor receive and keep their mass: every device can compute who is offline, so senders leave
 *   offline peers out of their out-set and split their mass over the online ones
 *   (a_i = 1 / (|O_i online| + 1)); a device whose peers are all offline keeps everything.
 * - Link drops (probability faults.linkDrop, stream (seed, sender, round, linkDrop), counter =
 *   receiver) are decided by the receiver when it reads the sender's outbox. The sender does not
 *   know: the dropped share of x and w is lost, which the massX / massW metrics expose.
 */
import type { RoundGraph, Topology } from '../graph/types.js';
import { Purpose, rngKey, rngUniform } from '../kernels/rng.js';

export interface Faults { readonly linkDrop: number; readonly offline: number }

export class RoundView {
  readonly round: number;
  private readonly graph: RoundGraph | null;
  private readonly offlineFlags: Uint8Array | null;
  private readonly outCache = new Map<number, readonly number[]>();

  constructor(round: number, topology: Topology | null, n: number, private readonly seed: number, private readonly faults: Faults) {
    this.round = round;
    this.graph = topology ? topology.round(round) : null;
    if (faults.offline > 0) {
      const flags = new Uint8Array(n);
      for (let i = 0; i < n; i++) flags[i] = rngUniform(rngKey(seed, i, round, Purpose.offline), 0) < faults.offline ? 1 : 0;
      this.offlineFlags = flags;
    } else {
      this.offlineFlags = null;
    }
  }

  isOffline(i: number): boolean {
    return this.offlineFlags !== null && this.offlineFlags[i] === 1;
  }

  /** Out-peers of i this round, ascending, offline peers removed ([] without a topology). */
  outPeers(i: number): readonly number[] {
    if (!this.graph) return [];
    const peers = this.graph.outPeers[i]!;
    if (!this.offlineFlags) return peers;
    let cached = this.outCache.get(i);
    if (!cached) {
      cached = peers.filter((j) => !this.isOffline(j));
      this.outCache.set(i, cached);
    }
    return cached;
  }

  /** a_i = 1 / (|O_i(t)| + 1) with offline peers removed. */
  selfWeight(i: number): number {
    if (this.graph && !this.offlineFlags) return this.graph.selfWeight[i]!;
    return 1 / (this.outPeers(i).length + 1);
  }

  /**
   * The topology's out-peer lists this round (before faults; null without a topology). The same
   * array object for every round of the same phase of a periodic schedule (a cache key).
   */
  outPeerTable(): readonly (readonly number[])[] | null {
    return this.graph ? this.graph.outPeers : null;
  }

  /** In-peers of i in the topology's graph (ascending); offline senders are filtered by outbox stamps. */
  inPeers(i: number): readonly number[] {
    return this.graph ? this.graph.inPeers[i]! : [];
  }

  /** True when the message from -> to is lost this round. */
  dropped(from: number, to: number): boolean {
    if (this.faults.linkDrop <= 0) return false;
    return rngUniform(rngKey(this.seed, from, this.round, Purpose.linkDrop), to) < this.faults.linkDrop;
  }
}
