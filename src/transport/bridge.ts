/**
 * The worker half of a multi-host run's exchange. Workers stay in their arena: local devices go
 * through the in-arena exchange unchanged, and a remote in-peer's message is read from the slot
 * the host's main thread delivered it into (outbox + `ready` stamp, as a local sender would have
 * written it), so reads and waits stay local and synchronous. The bridge adds two signals for the
 * main thread, and leaves it the between-rounds barrier:
 *   - `trained` counts the held devices marked trained in the task (notified after each whole
 *     round's worth): the main thread then ships their messages to the other hosts;
 *   - the last worker at a round's barrier stores round + 1 in `arrived` and waits with the
 *     others; the main thread releases the barrier (releaseBarrier) once every host has finished
 *     the round, after setting `stop` to round + 1 when any of them met a device error in it.
 * The main thread's side of these words is at the end of this file.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import type { Arena } from '../arena/arena.js';
import type { EngineMeta } from '../engine/protocol.js';
import { Ctl, LocalExchange, releaseBarrier } from '../engine/worker/exchange.js';

export class BridgeExchange extends LocalExchange {
  private readonly held: number;

  constructor(arena: Arena, meta: EngineMeta) {
    super(arena, meta);
    this.held = meta.owned.to - meta.owned.from;
  }

  override markTrained(i: number, round: number): void {
    super.markTrained(i, round);
    if ((Atomics.add(this.ctl, Ctl.trained, 1) + 1) % this.held === 0) Atomics.notify(this.ctl, Ctl.trained);
  }

  protected override allArrived(round: number): boolean {
    Atomics.store(this.ctl, Ctl.arrived, round + 1);
    Atomics.notify(this.ctl, Ctl.arrived);
    return false;
  }
}

// ---------------------------------------------------------------- the main thread's side

/** Atomics.waitAsync (ES2024; Node >= 16 has it, the project's lib setting predates its types). */
type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) =>
  { readonly async: false; readonly value: string } | { readonly async: true; readonly value: Promise<string> };
const waitAsync: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Longest single asynchronous wait of the main thread on a ctl word (ms): it also re-checks its other conditions. */
const WAIT_SLICE_MS = 20;

/**
 * Waits (without blocking the main thread's event loop) until `done()` is true, re-checking it
 * whenever ctl word `word` changes, `wake` fires, or every WAIT_SLICE_MS.
 */
export async function waitFor(ctl: Int32Array, word: number, done: () => boolean, wake?: () => Promise<void>): Promise<void> {
  while (!done()) {
    const seen = Atomics.load(ctl, word);
    if (done()) return;
    const w = waitAsync(ctl, word, seen, WAIT_SLICE_MS);
    if (w.async) await (wake ? Promise.race([w.value, wake()]) : w.value);
  }
}

/** Held devices marked trained in the current task. */
export function trainedCount(ctl: Int32Array): number {
  return Atomics.load(ctl, Ctl.trained);
}

/** The round whose barrier every local worker has reached (-1: none yet in this task). */
export function arrivedRound(ctl: Int32Array): number {
  return Atomics.load(ctl, Ctl.arrived) - 1;
}

/** Releases the local workers from `round`'s barrier; `stop` ends the task after it (a device error somewhere). */
export function releaseRound(ctl: Int32Array, round: number, stop: boolean): void {
  if (stop) Atomics.store(ctl, Ctl.stop, round + 1);
  releaseBarrier(ctl);
}

/** True when a local worker met a device error in `round` (read once the workers are at its barrier, or done). */
export function failedIn(ctl: Int32Array, round: number): boolean {
  return Atomics.load(ctl, Ctl.stop) === round + 1;
}
