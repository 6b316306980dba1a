/**
 * The exchange: every point where a worker's round meets other devices or other workers goes
 * through this interface: posting and reading messages (the outboxes), marking a device trained
 * and waiting for a device's in-peers, claiming work, and the barriers between the stages of a
 * server round and between the rounds of a multi-round task (with the decision to stop after a
 * device error). The schedule (schedule.ts) and the algorithm contexts (contexts.ts) never touch
 * the shared words themselves.
 *
 * `LocalExchange` is the in-arena implementation: messages are outboxes in the arena, readiness is
 * a per-device stamp word, claims and barriers are Atomics on the `ctl` words. A transport across
 * processes or machines implements the same interface: it delivers a remote sender's message into
 * the receiver's outbox slot and stamps it trained (so reads and waits stay local and synchronous),
 * extends the barriers to the other hosts and carries their stop / abort decisions. The
 * algorithms see none of it.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import type { Arena } from '../../arena/arena.js';
import { OUTBOX_HEADER_BYTES, Outboxes } from './outbox.js';

/**
 * Words of the `ctl` region (i32, used with Atomics). A `round` task runs the whole round in every
 * pool worker; workers claim device chunks from a claim counter. Server algorithms run train,
 * server, mix as stages and count finished chunks in each stage's done counter (the barrier between
 * stages). Decentralized algorithms need no barrier inside the round: a device is mixed as soon as
 * it and its in-peers have trained this round (their `ready` stamps), mostly right after its own
 * local steps while its vectors are still in cache. One decentralized task runs several rounds
 * (one dispatch, not one per round: a dispatch costs a few hundred us of thread wake-ups); between
 * two rounds the workers meet at a barrier (arrive / gen words), whose last arriver re-arms the
 * claim counter. The main thread zeroes the words (but the slot counter) before each task
 * (resetRoundControl; no task is running then).
 */
export const Ctl = {
  /** Scratch slot counter (workers claim a slot at start-up; never reset). */
  slot: 0,
  /** Claim counters of stages 0..2 (words 1..3). */
  claim: 1,
  /** Done counters of stages 0..2 (words 4..6). */
  done: 4,
  /** Non-zero: a worker failed (staged rounds) or was lost; the others stop claiming and leave their waits. */
  abort: 7,
  /** Workers waiting on a `ready` stamp (trainers notify only when some are). */
  waiters: 8,
  /** Workers arrived at the between-rounds barrier of a multi-round task. */
  arrive: 9,
  /** Barrier generation: bumped (and notified) by the last arriver. */
  gen: 10,
  /**
   * round + 1 of the round a device failed in (0: none). After that round's barrier every worker
   * returns; a worker leaving an earlier barrier late may see it set and must go on (the round is
   * compared, not just the word).
   */
  stop: 11,
  /** Devices this process has marked trained in the current task (a host's main thread waits on it to ship messages). */
  trained: 12,
  /** round + 1 once every worker arrived at that round's barrier (a host's main thread then extends the barrier to the other hosts). */
  arrived: 13,
} as const;
export const CTL_WORDS = 16;

/** Longest single Atomics.wait of a waiting worker (ms): waits are timed, so a raised abort is seen. */
const WAIT_SLICE_MS = 50;

export interface Exchange {
  /** One outbox per device. */
  readonly outboxes: Outboxes;
  /** The server's broadcast (server algorithms; null otherwise). */
  readonly serverOutbox: Outboxes | null;
  /** Milliseconds this worker spent waiting in the exchange since the caller last zeroed it. */
  waitMs: number;
  /** Index of the next chunk of `stage` (0 train, 1 server, 2 mix) this worker runs; >= the stage's chunk count when none is left. */
  claim(stage: number): number;
  /** True once the task was aborted (a worker failed in a staged round, or a worker was lost). */
  aborted(): boolean;
  /** Aborts the task for every worker and wakes them. */
  abort(): void;
  /** Device i has trained in `round` (its message, if any, is posted). */
  markTrained(i: number, round: number): void;
  /** True when device j has trained in `round`. */
  isTrained(j: number, round: number): boolean;
  /** Waits until device j has trained in `round`; false when the task was aborted. */
  awaitTrained(j: number, round: number): boolean;
  /** Counts one finished chunk of `stage` (of `total` chunks). */
  chunkDone(stage: number, total: number): void;
  /** Waits until all `total` chunks of `stage` are done; false when the task was aborted. */
  awaitStage(stage: number, total: number): boolean;
  /**
   * End of one round of a multi-round task: records whether this worker met a device error in
   * it, then (unless it was the task's last round) waits for the other `parties` workers. True
   * when the task goes on with the next round.
   */
  endRound(parties: number, round: number, failed: boolean, last: boolean): boolean;
}

const now = (): number => performance.now();

/** The in-arena exchange (one per worker; every worker of a run maps the same words). */
export class LocalExchange implements Exchange {
  readonly outboxes: Outboxes;
  readonly serverOutbox: Outboxes | null;
  waitMs = 0;
  protected readonly ctl: Int32Array;
  private readonly ready: Int32Array;

  constructor(arena: Arena, meta: { readonly n: number; readonly outboxStride: number; readonly outboxPayload: number }) {
    const buffer = arena.buffer;
    this.ctl = roundControl(arena);
    this.ready = arena.i32('ready');
    this.outboxes = new Outboxes(buffer, arena.region('outbox').offset, meta.n, meta.outboxStride, meta.outboxPayload);
    if (arena.has('srv.outbox')) {
      const r = arena.region('srv.outbox');
      this.serverOutbox = new Outboxes(buffer, r.offset, 1, r.bytes, r.bytes - OUTBOX_HEADER_BYTES);
    } else {
      this.serverOutbox = null;
    }
  }

  claim(stage: number): number {
    return Atomics.add(this.ctl, Ctl.claim + stage, 1);
  }

  aborted(): boolean {
    return Atomics.load(this.ctl, Ctl.abort) !== 0;
  }

  abort(): void {
    abortRound(this.ctl);
  }

  markTrained(i: number, round: number): void {
    Atomics.store(this.ready, i, round + 1);
    if (Atomics.load(this.ctl, Ctl.waiters) !== 0) Atomics.notify(this.ready, i);
  }

  isTrained(j: number, round: number): boolean {
    return Atomics.load(this.ready, j) === round + 1;
  }

  awaitTrained(j: number, round: number): boolean {
    const ctl = this.ctl;
    const stamp = round + 1;
    let seen = Atomics.load(this.ready, j);
    if (seen === stamp) return true;
    const t0 = now();
    while (seen !== stamp) {
      if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return false; }
      Atomics.add(ctl, Ctl.waiters, 1);
      Atomics.wait(this.ready, j, seen, WAIT_SLICE_MS);
      Atomics.sub(ctl, Ctl.waiters, 1);
      seen = Atomics.load(this.ready, j);
    }
    this.waitMs += now() - t0;
    return true;
  }

  chunkDone(stage: number, total: number): void {
    if (Atomics.add(this.ctl, Ctl.done + stage, 1) + 1 === total) Atomics.notify(this.ctl, Ctl.done + stage);
  }

  awaitStage(stage: number, total: number): boolean {
    const ctl = this.ctl;
    const t0 = now();
    for (;;) {
      const done = Atomics.load(ctl, Ctl.done + stage);
      if (done >= total) break;
      if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return false; }
      Atomics.wait(ctl, Ctl.done + stage, done, WAIT_SLICE_MS);
    }
    this.waitMs += now() - t0;
    return true;
  }

  endRound(parties: number, round: number, failed: boolean, last: boolean): boolean {
    const ctl = this.ctl;
    if (failed) Atomics.store(ctl, Ctl.stop, round + 1);
    if (Atomics.load(ctl, Ctl.abort) !== 0 || last || !this.barrier(parties, round)) return false;
    // Only a failure in this round stops the task: once the barrier is passed, a faster worker may
    // already have failed in the next round, and it will wait for this one at that round's barrier.
    const stop = Atomics.load(ctl, Ctl.stop);
    return stop === 0 || stop > round + 1;
  }

  /**
   * The last worker at `round`'s barrier: releases it (true), or hands the release to someone
   * else and waits with the others (false; a host's main thread extends the barrier to other hosts).
   */
  protected allArrived(_round: number): boolean {
    releaseBarrier(this.ctl);
    return true;
  }

  /** Waits until `parties` workers have arrived and the barrier is released. False when aborted. */
  private barrier(parties: number, round: number): boolean {
    const ctl = this.ctl;
    const gen = Atomics.load(ctl, Ctl.gen);
    if (Atomics.add(ctl, Ctl.arrive, 1) + 1 === parties && this.allArrived(round)) return true;
    const t0 = now();
    while (Atomics.load(ctl, Ctl.gen) === gen) {
      if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return false; }
      Atomics.wait(ctl, Ctl.gen, gen, WAIT_SLICE_MS);
    }
    this.waitMs += now() - t0;
    return true;
  }
}

/** The `ctl` words of an arena. */
export function roundControl(arena: Arena): Int32Array {
  return new Int32Array(arena.buffer, arena.ptr('ctl'), CTL_WORDS);
}

/** Main thread, before each round task: zeroes every word but the slot counter. */
export function resetRoundControl(ctl: Int32Array): void {
  for (let k = Ctl.slot + 1; k < CTL_WORDS; k++) Atomics.store(ctl, k, 0);
}

/** Releases the between-rounds barrier: re-arms the arrival and claim counters and wakes the waiting workers. */
export function releaseBarrier(ctl: Int32Array): void {
  Atomics.store(ctl, Ctl.arrive, 0);
  Atomics.store(ctl, Ctl.claim, 0);
  Atomics.add(ctl, Ctl.gen, 1);
  Atomics.notify(ctl, Ctl.gen);
}

/** Raises abort and wakes the stage and barrier waiters (waiters on `ready` stamps see it within a wait slice). */
export function abortRound(ctl: Int32Array): void {
  Atomics.store(ctl, Ctl.abort, 1);
  for (let k = 0; k < 3; k++) Atomics.notify(ctl, Ctl.done + k);
  Atomics.notify(ctl, Ctl.gen);
}
