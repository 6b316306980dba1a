/**
 * Worker status words: what each worker of a round task is doing, written by the worker and read
 * by the main thread's watchdog (../watchdog.ts). One block of STATUS_WORDS i32 per worker slot in
 * the arena's `status` region:
 *
 *   beat       progress counter: bumped after every device trained or mixed, every gradient, every
 *              server message read and every barrier passed
 *   state      State below
 *   round      the round being run (or waited at)
 *   from, to   the device chunk last claimed, [from, to)
 *   waitFor    the device whose training this worker waits for (State.inputs), or the stage (State.stage)
 *   longestMs  the longest time between two beats while working (not waiting), over the run
 *
 * The main thread sets a worker's state to `dispatched` before each round task and the worker sets
 * `done` when it returns, so a task that never started and one that already ended are told apart.
 *
 * Portable: no Node built-ins.
 */
export const STATUS_WORDS = 8;

const W = { beat: 0, state: 1, round: 2, from: 3, to: 4, waitFor: 5, longestMs: 6 } as const;

export const State = {
  /** No round task dispatched since the run started. */
  idle: 0,
  /** The main thread dispatched a round task; the worker has not picked it up yet. */
  dispatched: 1,
  working: 2,
  /** At the barrier between two rounds of a task. */
  barrier: 3,
  /** Waiting for device `waitFor` to train this round (its in-peer). */
  inputs: 4,
  /** Waiting for every chunk of stage `waitFor` (0 train, 1 server, 2 mix) of a server round. */
  stage: 5,
  /** Returned from its last round task. */
  done: 6,
} as const;
export type StateCode = (typeof State)[keyof typeof State];

/** The owner's side: one per worker. */
export class WorkerStatus {
  private readonly words: Int32Array;
  private beats = 0;
  private lastBeat = 0;
  private longest = 0;

  /** @param now clock in ms (the worker's own; only differences are used) */
  constructor(region: Int32Array, readonly slot: number, private readonly now: () => number = () => performance.now()) {
    this.words = region.subarray(slot * STATUS_WORDS, (slot + 1) * STATUS_WORDS);
  }

  /** A round task starts (at `round`). */
  begin(round: number): void {
    this.lastBeat = this.now();
    Atomics.store(this.words, W.round, round);
    this.set(State.working);
    this.beat();
  }

  /** The task returns (normally or with an error). */
  end(): void {
    this.set(State.done);
  }

  /** Now running round `round`. */
  round(round: number): void {
    Atomics.store(this.words, W.round, round);
  }

  /** Claimed devices [from, to). */
  claimed(from: number, to: number): void {
    Atomics.store(this.words, W.from, from);
    Atomics.store(this.words, W.to, to);
  }

  /** One unit of work done. */
  beat(): void {
    const t = this.now();
    const gap = t - this.lastBeat;
    this.lastBeat = t;
    if (gap > this.longest) {
      this.longest = gap;
      Atomics.store(this.words, W.longestMs, Math.min(0x7fffffff, Math.ceil(gap)));
    }
    Atomics.store(this.words, W.beat, ++this.beats | 0);
  }

  /** Starts waiting (State.barrier, inputs or stage; `what` is the device or stage waited for). */
  waiting(state: StateCode, what = -1): void {
    Atomics.store(this.words, W.waitFor, what);
    this.set(state);
  }

  /** Back to work after a wait (the wait does not count as a unit of work). */
  working(): void {
    this.set(State.working);
    this.lastBeat = this.now();
    this.beat();
  }

  private set(state: StateCode): void {
    Atomics.store(this.words, W.state, state);
  }
}

/** What the watchdog reads of one worker. */
export interface StatusSnapshot {
  readonly slot: number;
  readonly beat: number;
  readonly state: StateCode;
  readonly round: number;
  readonly from: number;
  readonly to: number;
  readonly waitFor: number;
  readonly longestMs: number;
}

export function readStatus(region: Int32Array, slot: number): StatusSnapshot {
  const at = slot * STATUS_WORDS;
  const w = (k: number): number => Atomics.load(region, at + k);
  return {
    slot, beat: w(W.beat), state: w(W.state) as StateCode, round: w(W.round), from: w(W.from), to: w(W.to),
    waitFor: w(W.waitFor), longestMs: w(W.longestMs),
  };
}

/** Main thread, before a round task: every worker slot is `dispatched`. */
export function markDispatched(region: Int32Array, slots: number): void {
  for (let s = 0; s < slots; s++) Atomics.store(region, s * STATUS_WORDS + W.state, State.dispatched);
}
