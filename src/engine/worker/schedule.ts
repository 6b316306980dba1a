/**
 * The round protocol of a `round` task in one worker: which device to train or mix when, for
 * decentralized algorithms (pipelined rounds, several per task) and server algorithms (train,
 * server, mix stages). Everything shared with other workers or devices (claims, readiness, the
 * barriers, the stop / abort decisions, messages) goes through the Exchange; device work goes
 * through the runtime's trainDevice / mixDevice and phase functions.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import { RunError } from '../../errors.js';
import { ROUNDS_PER_TASK, Stat, STATS } from '../layout.js';
import type { Phase, PhaseTask } from '../protocol.js';
import type { RoundView } from '../round.js';
import { DeviceCtx } from './contexts.js';
import type { Exchange } from './exchange.js';
import type { WorkerRuntime } from './runtime.js';
import { State, type WorkerStatus } from './status.js';

/** Hook stages in round order; an error in an earlier stage is reported first. */
const STAGE_TRAIN = 0;
const STAGE_SERVER = 1;
const STAGE_MIX = 2;

/** Where the error a `round` task reports happened. */
export interface FailurePoint { readonly stage: number; readonly device: number }

export class RoundSchedule {
  /** Stage and device of the error the current task reports (null: none, or not in a device hook). */
  failure: FailurePoint | null = null;
  /** Slowest round time among the devices trained so far in the current round. */
  private roundMax = 0;
  /** Devices of a pipelined round waiting for their in-peers (re-used). */
  private readonly pending: number[] = [];
  /** Processing order of a round graph's devices (see deviceOrder), per out-peer table and chunk size. */
  private readonly orderCache = new WeakMap<readonly (readonly number[])[], { chunk: number; order: Int32Array }>();

  constructor(private readonly rt: WorkerRuntime, private readonly exchange: Exchange, private readonly status: WorkerStatus) {}

  /** Runs a `round` task, keeping the status words up to date for the watchdog. */
  async run(task: PhaseTask): Promise<void> {
    this.status.begin(task.round);
    try {
      if (this.rt.algorithm.kind === 'server') await this.roundStaged(task);
      else await this.roundsPipelined(task);
    } finally {
      this.status.end();
    }
  }

  /**
   * The rounds of a decentralized `round` task: pipelined rounds separated by a barrier of the
   * task's parties (a device's next local step overwrites its outbox, which its out-peers read
   * while mixing this round). Each round's slowest device time goes to `slowest` for the main
   * thread's virtual clock. A device error ends the task after the round it happened in, for every
   * worker, so the error reported is the one a sequential run meets first.
   */
  private async roundsPipelined(task: PhaseTask): Promise<void> {
    const count = task.rounds ?? 1;
    const parties = task.parties ?? 1;
    const chunk = Math.max(1, task.chunk ?? task.to - task.from);
    const slots = this.rt.meta.slots;
    const { from, to } = this.rt.meta.owned;
    if (task.from !== from || task.to !== to) throw new RunError(`a round task over devices [${task.from}, ${task.to}) in a process holding [${from}, ${to})`);
    if (!Number.isInteger(count) || count < 1 || count > ROUNDS_PER_TASK) throw new RunError(`a round task of ${count} rounds (1..${ROUNDS_PER_TASK})`);
    const status = this.status;
    for (let k = 0; k < count; k++) {
      const round = task.round + k;
      status.round(round);
      const failed = await this.roundPipelined(round, chunk, task.from, task.to);
      this.rt.views.slowest[k * slots + status.slot] = this.roundMax;
      const last = k + 1 === count;
      if (!last) status.waiting(State.barrier);
      const goOn = this.exchange.endRound(parties, round, failed !== null, last);
      if (!last) status.working();
      if (failed) throw failed.error;
      if (!goOn) return;
    }
  }

  /**
   * One round of a decentralized algorithm in this worker over devices [from, to) (all n, or a
   * host's range), without a barrier between train and
   * mix: claim chunks of the round's device order (deviceOrder) and train each device; mix a
   * device as soon as it and its online in-peers have trained this round, which for most devices
   * is right after its own local steps, while x_i and the in-message are still in cache; the
   * others wait in `pending` and are mixed when their in-peers are done (at the latest after this
   * worker's last chunk). Mixing device i reads only its own state and its in-peers' outboxes,
   * which nothing writes again this round, so the result is the same as train-everything-then-
   * mix-everything, for any pool size and order.
   *
   * Errors do not stop the round: every device is trained, and every device whose own training
   * succeeded is mixed, so the error reported (earliest stage, then lowest device, over all
   * workers) is the one a sequential run would have met first.
   */
  private async roundPipelined(round: number, chunk: number, from: number, to: number): Promise<{ error: unknown } | null> {
    const rt = this.rt;
    const ex = this.exchange;
    const stats = rt.views.stats;
    const view = rt.roundView(round);
    const chunks = Math.ceil((to - from) / chunk);
    const order = this.deviceOrder(view, chunk, from, to);
    const trainCtx = new DeviceCtx(rt, view);
    const mixCtx = new DeviceCtx(rt, view);
    const pending = this.pending;
    pending.length = 0;
    let head = 0;
    let error: unknown = null;
    const record = (err: unknown, stage: number, device: number): void => {
      const f = this.failure;
      if (!f || stage < f.stage || (stage === f.stage && device < f.device)) {
        error = err;
        this.failure = { stage, device };
      }
    };
    const status = this.status;
    const mixOne = (i: number): void => {
      try { rt.mixDevice(mixCtx, view, i); } catch (err) { record(err, STAGE_MIX, i); }
      status.beat();
    };
    this.roundMax = 0;
    for (;;) {
      if (ex.aborted()) return error !== null ? { error } : null;
      const c = ex.claim(STAGE_TRAIN);
      if (c >= chunks) break;
      const end = Math.min(to - from, (c + 1) * chunk);
      status.claimed(from + c * chunk, from + end);
      for (let pos = c * chunk; pos < end; pos++) {
        const i = order ? order[pos]! : from + pos;
        let trained = !view.isOffline(i);
        try {
          await rt.trainDevice(trainCtx, view, i);
        } catch (err) {
          record(err, STAGE_TRAIN, i);
          trained = false;
        }
        status.beat();
        if (trained || view.isOffline(i)) this.roundMax = Math.max(this.roundMax, stats[i * STATS + Stat.roundTime]!);
        ex.markTrained(i, round);
        if (trained) {
          if (this.inputsReady(view, i)) mixOne(i);
          else pending.push(i);
        }
        while (head < pending.length && this.inputsReady(view, pending[head]!)) mixOne(pending[head++]!);
      }
      // After each chunk: mix every waiting device whose in-peers are done by now (keeps the rest in order).
      let kept = head;
      for (let k = head; k < pending.length; k++) {
        const i = pending[k]!;
        if (this.inputsReady(view, i)) mixOne(i);
        else pending[kept++] = i;
      }
      pending.length = kept;
    }
    for (; head < pending.length; head++) {
      const i = pending[head]!;
      if (!this.awaitInputs(view, i)) break;
      mixOne(i);
    }
    return error !== null ? { error } : null;
  }

  /**
   * The order a pipelined round trains devices in. Chunks stay contiguous device ranges (so two
   * workers never write neighbouring devices' small per-device state, which shares cache lines);
   * inside a chunk, walks follow each device's first not yet visited out-peer in the chunk (the
   * device its message feeds), started from the lowest unvisited device. Along a walk each
   * device's in-peer was trained just before it, so its mixing finds both x_i and the message in
   * cache: with one worker (one chunk) a one-peer exponential round (a permutation) becomes its
   * cycles, a ring stays ascending. Null (ascending order) without a topology. The order never
   * changes results, only where the bytes are when they are read. Chunks start at `from`; entry
   * pos of the order is the device at position pos of [from, to).
   */
  private deviceOrder(view: RoundView, chunk: number, from: number, to: number): Int32Array | null {
    const table = view.outPeerTable();
    if (!table) return null;
    const cached = this.orderCache.get(table);
    if (cached && cached.chunk === chunk) return cached.order;
    const order = new Int32Array(to - from);
    const visited = new Uint8Array(table.length);
    let k = 0;
    for (let lo = from; lo < to; lo += chunk) {
      const hi = Math.min(to, lo + chunk);
      for (let start = lo; start < hi; start++) {
        let cur = start;
        while (cur >= 0 && !visited[cur]) {
          visited[cur] = 1;
          order[k++] = cur;
          const out = table[cur]!;
          let next = -1;
          for (let q = 0; q < out.length; q++) {
            const j = out[q]!;
            if (j >= lo && j < hi && !visited[j]) { next = j; break; }
          }
          cur = next;
        }
      }
    }
    this.orderCache.set(table, { chunk, order });
    return order;
  }

  /** True when every online in-peer of i has trained in this round. */
  private inputsReady(view: RoundView, i: number): boolean {
    const peers = view.inPeers(i);
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      if (!this.exchange.isTrained(j, view.round) && !view.isOffline(j)) return false;
    }
    return true;
  }

  /** Waits until every online in-peer of i has trained; false when the task was aborted. */
  private awaitInputs(view: RoundView, i: number): boolean {
    const ex = this.exchange;
    const peers = view.inPeers(i);
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      if (view.isOffline(j) || ex.isTrained(j, view.round)) continue;
      this.status.waiting(State.inputs, j);
      const ok = ex.awaitTrained(j, view.round);
      this.status.working();
      if (!ok) return false;
    }
    return true;
  }

  /**
   * One round of a server algorithm in this worker: for each stage (train, server, mix), claim
   * device chunks (ascending, from the stage's claim counter) until none are left, then wait until
   * every claimed chunk is done. On an error the worker aborts the task; the others finish the
   * chunk they hold (chunks are claimed in ascending order, so the lowest failing device is among
   * the ones that ran) and return.
   */
  private async roundStaged(task: PhaseTask): Promise<void> {
    const rt = this.rt;
    const ex = this.exchange;
    const stages: readonly Phase[] = ['train', 'server', 'mix'];
    const n = rt.meta.n;
    const chunk = Math.max(1, task.chunk ?? n);
    const chunks = Math.ceil(n / chunk);
    for (let s = 0; s < stages.length; s++) {
      const stage = stages[s]!;
      const total = s === STAGE_SERVER ? 1 : chunks;
      for (;;) {
        if (ex.aborted()) return;
        const c = ex.claim(s);
        if (c >= total) break;
        const part: PhaseTask = { phase: stage, round: task.round, from: c * chunk, to: Math.min(n, (c + 1) * chunk) };
        this.status.claimed(part.from, part.to);
        try {
          if (s === STAGE_TRAIN) await rt.train(part);
          else if (s === STAGE_SERVER) rt.server(part);
          else rt.mix(part);
        } catch (err) {
          this.failure = { stage: s, device: rt.currentDevice };
          ex.abort();
          throw err;
        }
        this.status.beat();
        ex.chunkDone(s, total);
      }
      this.status.waiting(State.stage, s);
      const ok = ex.awaitStage(s, total);
      this.status.working();
      if (!ok) return;
    }
  }
}
