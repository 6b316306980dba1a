/**
 * The round watchdog (main thread): no round task may wait forever. While a round task is out,
 * the watchdog samples the workers' status words (worker/status.ts) every few hundred ms; when no
 * worker has made progress for the limit, the task is stuck: it is aborted (waiting workers leave
 * their waits) and the round fails with a RunError naming each worker that stopped answering (its
 * device range and round) and what the others wait for.
 *
 * The limit follows the run's own pace, so a slow but live run never trips it: it is the larger of
 * `minMs` and `factor` x the longest unit of work (a gradient, a device's mixing, a server message)
 * any worker has reported so far. Workers report progress after every such unit, so a live worker
 * is silent for at most one unit.
 *
 * Portable: no Node built-ins (timers only).
 */
import { RunError } from '../errors.js';
import { readStatus, State, type StatusSnapshot } from './worker/status.js';

export interface WatchdogLimits {
  /** Silence always allowed (ms): covers the first units of a run, before their length is known. */
  readonly minMs: number;
  /** Silence allowed as a multiple of the longest unit of work seen so far. */
  readonly factor: number;
}

export const DEFAULT_WATCHDOG: WatchdogLimits = { minMs: 60_000, factor: 20 };

const STAGE_NAMES = ['train', 'server', 'mix'];

/** One dispatch's watch: feed it the time (ms) and it says when the task is stuck. */
export class Watchdog {
  private readonly beats: number[];
  private lastProgress: number;
  private lastOutside: number;

  /**
   * @param round   the task's first round
   * @param outside progress made outside this process's workers that they may be waiting for (a
   *                host of a multi-host run counts the other hosts' messages and round notices)
   */
  constructor(
    private readonly region: Int32Array, private readonly slots: number, private readonly limits: WatchdogLimits, private readonly round: number, start: number,
    private readonly outside: () => number = () => 0,
  ) {
    this.beats = Array.from({ length: slots }, (_, s) => readStatus(region, s).beat);
    this.lastProgress = start;
    this.lastOutside = outside();
  }

  /** The silence allowed now (ms). */
  limitMs(): number {
    let longest = 0;
    for (let s = 0; s < this.slots; s++) longest = Math.max(longest, readStatus(this.region, s).longestMs);
    return Math.max(this.limits.minMs, this.limits.factor * longest);
  }

  /** How often to call check (ms). */
  intervalMs(): number {
    return Math.max(10, Math.min(500, this.limits.minMs / 4));
  }

  /** Null while the task is live (or finished), else the error naming the stuck workers. */
  check(t: number): RunError | null {
    const snaps: StatusSnapshot[] = [];
    let moved = false;
    let out = false;
    for (let s = 0; s < this.slots; s++) {
      const snap = readStatus(this.region, s);
      snaps.push(snap);
      if (snap.beat !== this.beats[s]) { this.beats[s] = snap.beat; moved = true; }
      if (snap.state !== State.done) out = true;
    }
    const outside = this.outside();
    if (outside !== this.lastOutside) { this.lastOutside = outside; moved = true; }
    if (moved || !out) { this.lastProgress = t; return null; }
    const silent = t - this.lastProgress;
    const limit = this.limitMs();
    if (silent <= limit) return null;
    const waiting = (s: StatusSnapshot): boolean => s.state === State.barrier || s.state === State.inputs || s.state === State.stage;
    const stuck = snaps.filter((s) => s.state === State.working || s.state === State.dispatched);
    const others = snaps.filter((s) => !stuck.includes(s) && (waiting(s) || s.state === State.done));
    const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
    const head = stuck.length > 0
      ? `${stuck.map((s) => `worker ${s.slot} stopped answering (${this.describe(s)})`).join('; ')}`
      : 'the workers wait for each other';
    return new RunError(`round task from round ${this.round}: ${head}; no progress for ${secs(silent)} (watchdog limit ${secs(limit)})${others.length ? `; ${others.map((s) => `worker ${s.slot} ${this.describe(s)}`).join(', ')}` : ''}`);
  }

  private describe(s: StatusSnapshot): string {
    const devices = s.to > s.from ? `devices ${s.from}-${s.to - 1}` : null;
    switch (s.state) {
      case State.dispatched: return `never started the task${devices ? `; it last ran ${devices}` : ''}`;
      case State.working: return devices ? `working on ${devices} of round ${s.round}` : `working in round ${s.round}, no devices claimed yet`;
      case State.barrier: return `waits at the barrier after round ${s.round}`;
      case State.inputs: return `waits for device ${s.waitFor} to train in round ${s.round}`;
      case State.stage: return `waits for the ${STAGE_NAMES[s.waitFor] ?? s.waitFor} stage of round ${s.round}`;
      case State.done: return `has left the task (after round ${s.round})`;
      default: return 'idle';
    }
  }
}

/**
 * Resolves with `task` unless the watchdog finds it stuck first: then `onStuck` gets the error (to
 * abort the round) and the promise rejects with it. `now` is the clock in ms.
 */
export function watch<T>(task: Promise<T>, dog: Watchdog, onStuck: (err: RunError) => void, now: () => number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setInterval(() => {
      const err = dog.check(now());
      if (!err) return;
      clearInterval(timer);
      onStuck(err);
      reject(err);
    }, dog.intervalMs());
    task.then((v) => { clearInterval(timer); resolve(v); }, (e: unknown) => { clearInterval(timer); reject(e); });
  });
}
