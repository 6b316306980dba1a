/**
 * The per-worker side of the engine: runs one phase for a contiguous batch of devices, in place on
 * the shared arena. A worker caches its kernel instance, learner, compressors, topology and
 * algorithm; everything else is read from the arena, so any worker can run any device and the
 * result does not depend on which worker ran what (bit-identical for any worker count).
 *
 * Also used in-process by tests and by workers/phase.ts (the Piscina entry).
 */
import { Arena, ScratchAllocator } from '../arena/arena.js';
import type { Algorithm, AlgorithmSetup, DeviceContext, EngineKernels, InMessage, ServerContext, Vec } from '../algorithms/types.js';
import { createAlgorithm } from '../algorithms/registry.js';
import { divergenceHint } from '../algorithms/common.js';
import { createCompressorSync } from '../compress/registry.js';
import type { WireCompressor } from '../compress/types.js';
import type { RunConfig } from '../config/types.js';
import type { Dataset } from '../data/types.js';
import { RunError, SparsepushError } from '../errors.js';
import { createTopology } from '../graph/registry.js';
import type { Topology } from '../graph/types.js';
import type { KernelExports } from '../kernels/abi.js';
import { instantiateKernels } from '../kernels/index.js';
import { Purpose, RandomStream, rngKey, rngU32 } from '../kernels/rng.js';
import { NativeLogisticLearner, type NativeKernels } from '../models/logistic.js';
import type { Learner } from '../models/types.js';
import { VirtualClock } from './clock.js';
import { Ctl, CTL_WORDS, OUTBOX_HEADER_BYTES, REDUCE_BLOCK, ROUNDS_PER_TASK, Stat, STATS, TEST_CHUNK } from './layout.js';
import type { EngineMeta, Phase, PhaseResult, PhaseTask, WorkerInit } from './protocol.js';
import { serializeError } from './protocol.js';
import { RoundView } from './round.js';
import { importRelative } from './load-module.js';

const now = (): number => performance.now();

/** Data fractions p_i = |D_i| / sum |D_j| from the shard offsets. */
export function dataFractions(shardOff: Uint32Array, n: number): Float64Array {
  const total = shardOff[n]! - shardOff[0]!;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = (shardOff[i + 1]! - shardOff[i]!) / total;
  return p;
}

/** Builds the learner a worker (or the main thread) uses over the arena. */
export async function createEngineLearner(config: RunConfig, meta: EngineMeta, kernels: KernelExports, scratchPtr: number): Promise<Learner> {
  if (meta.backend === 'native') {
    return new NativeLogisticLearner(meta.features, meta.classes, kernels as NativeKernels, { ptr: scratchPtr, bytes: meta.slot.learnerBytes });
  }
  const { createLearner } = await importRelative<typeof import('../models/registry.js')>('../models/registry.js', import.meta.url);
  return createLearner(config.model, { inputShape: meta.inputShape, classes: meta.classes, backend: config.backend });
}

export class WorkerRuntime {
  readonly arena: Arena;
  readonly kernels: EngineKernels;
  readonly config: RunConfig;
  readonly meta: EngineMeta;
  readonly algorithm: Algorithm;
  readonly setup: AlgorithmSetup;
  readonly slotBase: number;
  readonly learner: Learner;
  readonly native: NativeLogisticLearner | null;
  readonly clock: VirtualClock;
  private readonly compressorCache = new Map<string, WireCompressor>();
  private readonly deviceSpec: string[];
  private view: RoundView | null = null;
  private readonly topology: Topology | null;

  // Views over the whole regions, and per-device views made once and kept (a worker keeps getting
  // the same device range, and making typed-array views is a measurable part of a device's round).
  /** The arena's buffer (the arena never grows; reading memory.buffer is not free on a growable shared memory). */
  readonly buffer: SharedArrayBuffer;
  readonly stats: Float64Array;
  readonly w: Float64Array;
  readonly cursor: Uint32Array;
  readonly shardIdx: Uint32Array;
  readonly shardOff: Uint32Array;
  readonly outboxes: OutboxViews;
  readonly serverOutbox: OutboxViews | null;
  private readonly datasets: { train: Dataset; test: Dataset; evalSet: Dataset };
  private readonly vecCache = new Map<string, { length: number; list: (Vec | undefined)[] }>();
  private readonly scratchVecs: Vec[] = [];
  private readonly weightViews: (Float64Array | undefined)[];
  private readonly outboxPayloads: (Uint8Array | undefined)[];
  /** Per sender: the last payload view handed out (re-used while the payload length stays the same). */
  private readonly messageViews: (Uint8Array | undefined)[];
  private readonly deviceCompressors: (WireCompressor | undefined)[];
  private rowsView: Uint32Array | undefined;

  // Per-task accounting.
  learnMs = 0;
  localMs = 0;
  /** Milliseconds this task waited at in-task barriers (`round`). */
  private waitMs = 0;
  /** Device whose hooks run now (-1 outside device loops): errors report it. */
  private currentDevice = -1;
  /** Stage and device of the error a `round` task reports. */
  private failure: { stage: number; device: number } | null = null;
  private readonly ctl: Int32Array;
  private readonly ready: Int32Array;
  /** This worker's scratch slot (also its column of `slowest`). */
  private readonly slotIndex: number;
  /** Per (round of the task, worker slot): slowest round time among the devices the worker trained. */
  private readonly slowest: Float64Array;
  /** Slowest round time among the devices trained so far in the current round. */
  private roundMax = 0;
  /** Devices of a pipelined round waiting for their in-peers (re-used). */
  private readonly pending: number[] = [];
  /** Processing order of a round graph's devices (see deviceOrder), per out-peer table and chunk size. */
  private readonly orderCache = new WeakMap<readonly (readonly number[])[], { chunk: number; order: Int32Array }>();

  private constructor(init: WorkerInit, kernels: EngineKernels, slot: number, learner: Learner, topology: Topology | null) {
    this.arena = Arena.attach(init.memory, init.layout);
    this.kernels = kernels;
    this.config = init.config;
    this.meta = init.meta;
    this.topology = topology;
    this.slotBase = this.arena.ptr('scratch') + slot * init.meta.slot.bytes;
    this.slotIndex = slot;
    this.learner = learner;
    this.native = learner instanceof NativeLogisticLearner ? learner : null;
    this.algorithm = createAlgorithm(init.config.algorithm.name);
    const a = this.arena;
    this.buffer = a.buffer;
    this.ctl = new Int32Array(this.buffer, a.ptr('ctl'), CTL_WORDS);
    this.ready = a.i32('ready');
    this.slowest = a.f64('slowest');
    this.stats = a.f64('stats');
    this.w = a.f64('w');
    this.cursor = a.u32('cursor');
    this.shardIdx = a.u32('shardIdx');
    this.shardOff = a.u32('shardOff');
    this.outboxes = outboxViews(a, 'outbox');
    this.serverOutbox = a.has('srv.outbox') ? outboxViews(a, 'srv.outbox') : null;
    const n = init.meta.n;
    this.weightViews = new Array<Float64Array | undefined>(n);
    this.outboxPayloads = new Array<Uint8Array | undefined>(n);
    this.messageViews = new Array<Uint8Array | undefined>(n);
    this.deviceCompressors = new Array<WireCompressor | undefined>(n);
    this.setup = {
      config: init.config, d: init.meta.d, n, dataFractions: dataFractions(this.shardOff, n),
      topology: topology ?? placeholderTopology(n),
    };
    this.deviceSpec = [];
    for (let i = 0; i < n; i++) this.deviceSpec.push(this.algorithm.compressorSpec(this.setup, i));
    this.clock = new VirtualClock(init.config.clock, init.config.seed, n);
    const m = init.meta;
    const mk = (name: string, xr: string, yr: string, count: number): Dataset => ({
      name, count, features: m.features, shape: m.inputShape, classes: m.classes,
      x: a.f32(xr, 0, count * m.features), y: a.u8(yr, 0, count),
    });
    const test = mk('test', 'testX', 'testY', m.testCount);
    this.datasets = {
      train: mk('train', 'trainX', 'trainY', m.trainCount),
      test,
      evalSet: a.has('evalX') ? mk('eval', 'evalX', 'evalY', m.evalCount) : test,
    };
  }

  /** Instantiates the kernels over the arena, claims a scratch slot, builds the learner and topology. */
  static async create(init: WorkerInit, slot?: number): Promise<WorkerRuntime> {
    const kernels = instantiateKernels(init.module, init.memory) as EngineKernels;
    if (typeof kernels.momentum_step !== 'function' || typeof kernels.logistic_grad_rows !== 'function') {
      throw new RunError('the kernel build lacks the engine kernels (momentum_step, logistic_*): run npm run build:wasm');
    }
    const arena = Arena.attach(init.memory, init.layout);
    const ctl = new Int32Array(arena.buffer, arena.ptr('ctl'), CTL_WORDS);
    const claimed = slot ?? Atomics.add(ctl, Ctl.slot, 1);
    if (claimed >= init.meta.slots) throw new RunError(`worker scratch slot ${claimed} >= ${init.meta.slots}: more workers started than planned (a worker was restarted?)`);
    const slotBase = arena.ptr('scratch') + claimed * init.meta.slot.bytes;
    const learner = await createEngineLearner(init.config, init.meta, kernels, slotBase + init.meta.slot.learnerOffset);
    const algorithm = createAlgorithm(init.config.algorithm.name);
    const topology = algorithm.kind === 'decentralized' ? createTopology(init.config.topology, init.meta.n, { seed: init.config.seed }) : null;
    return new WorkerRuntime(init, kernels, claimed, learner, topology);
  }

  compressor(spec: string): WireCompressor {
    let c = this.compressorCache.get(spec);
    if (!c) {
      const s = this.meta.slot;
      c = createCompressorSync(spec, {
        kernels: { exports: this.kernels, memory: this.arena.memory, scratch: new ScratchAllocator(this.slotBase + s.compressorOffset, s.compressorBytes) },
      });
      this.compressorCache.set(spec, c);
    }
    return c;
  }

  compressorOf(device: number): WireCompressor {
    return (this.deviceCompressors[device] ??= this.compressor(this.deviceSpec[device]!));
  }

  roundView(round: number): RoundView {
    if (!this.view || this.view.round !== round) {
      this.view = new RoundView(round, this.topology, this.meta.n, this.config.seed, this.config.faults);
    }
    return this.view;
  }

  /** Scratch d-vector `slot` of this worker. */
  scratchVec(slot: number): Vec {
    const cached = this.scratchVecs[slot];
    if (cached) return cached;
    const s = this.meta.slot;
    if (!Number.isInteger(slot) || slot < 0 || slot >= s.vectors) throw new RunError(`scratch vector ${slot} out of [0, ${s.vectors})`);
    const ptr = this.slotBase + s.vectorOffset + slot * s.vectorStride;
    return (this.scratchVecs[slot] = { ptr, view: new Float32Array(this.buffer, ptr, this.meta.d) });
  }

  /** The engine's own scratch vector (the last slot): z for evaluation. */
  engineVec(): Vec {
    return this.scratchVec(this.meta.slot.vectors - 1);
  }

  deviceVec(region: string, device: number, length = this.meta.d): Vec {
    const ptr = this.arena.ptr(region, device * length);
    return { ptr, view: new Float32Array(this.buffer, ptr, length) };
  }

  /**
   * deviceVec of a per-device region (`x`, `m`, or an algorithm's `dev.<name>`: region length / n
   * elements per device), made once per (region, device).
   */
  cachedDeviceVec(region: string, device: number): Vec {
    let c = this.vecCache.get(region);
    if (!c) {
      c = { length: this.arena.region(region).length / this.meta.n, list: new Array<Vec | undefined>(this.meta.n) };
      this.vecCache.set(region, c);
    }
    return (c.list[device] ??= this.deviceVec(region, device, c.length));
  }

  /** Device i's push-sum weight as a one-element view. */
  weightView(i: number): Float64Array {
    return (this.weightViews[i] ??= this.w.subarray(i, i + 1));
  }

  /** Payload area of device i's outbox. */
  outboxPayload(i: number): Uint8Array {
    let v = this.outboxPayloads[i];
    if (!v) {
      const base = i * this.meta.outboxStride + OUTBOX_HEADER_BYTES;
      v = this.outboxes.u8.subarray(base, base + this.meta.outboxPayload);
      this.outboxPayloads[i] = v;
    }
    return v;
  }

  /** The `bytes`-long payload of sender j's outbox. */
  messageView(j: number, bytes: number): Uint8Array {
    let v = this.messageViews[j];
    if (!v || v.length !== bytes) {
      const base = j * this.meta.outboxStride + OUTBOX_HEADER_BYTES;
      v = this.outboxes.u8.subarray(base, base + bytes);
      this.messageViews[j] = v;
    }
    return v;
  }

  async run(task: PhaseTask): Promise<PhaseResult> {
    const t0 = now();
    this.learnMs = 0;
    this.localMs = 0;
    this.waitMs = 0;
    this.currentDevice = -1;
    this.failure = null;
    try {
      switch (task.phase) {
        case 'train': await this.train(task); break;
        case 'server': this.server(task); break;
        case 'mix': this.mix(task); break;
        case 'evalDevices': await this.evalDevices(task); break;
        case 'evalGlobal': await this.evalGlobal(task); break;
        case 'round':
          if (this.algorithm.kind === 'server') await this.roundStaged(task);
          else await this.roundsPipelined(task);
          break;
      }
      return { learnMs: this.learnMs, localMs: this.localMs, busyMs: now() - t0 - this.waitMs };
    } catch (err) {
      const failure = this.failure as { stage: number; device: number } | null;
      const where = failure ? { errorStage: failure.stage, errorDevice: failure.device }
        : this.currentDevice >= 0 ? { errorDevice: this.currentDevice } : {};
      return { learnMs: this.learnMs, localMs: this.localMs, busyMs: now() - t0 - this.waitMs, error: serializeError(err), ...where };
    }
  }

  // ---------------------------------------------------------------- rounds

  /**
   * One round of a decentralized algorithm in this worker, without a barrier between train and
   * mix: claim chunks of the round's device order (deviceOrder) and train each device; mix a
   * device as soon as it and its online in-peers have trained this round (`ready` stamps), which
   * for most devices is right after its own local steps, while x_i and the in-message are still in
   * cache; the others wait in `pending` and are mixed when their in-peers are done (at the latest
   * after this worker's last chunk). Mixing device i reads only its own state and its in-peers'
   * outboxes, which nothing writes again this round, so the result is the same as
   * train-everything-then-mix-everything, for any pool size and order.
   *
   * Errors do not stop the round: every device is trained, and every device whose own training
   * succeeded is mixed, so the error reported (earliest stage, then lowest device, over all
   * workers) is the one a sequential run would have met first.
   */
  private async roundPipelined(round: number, chunk: number): Promise<{ error: unknown } | null> {
    const ctl = this.ctl;
    const ready = this.ready;
    const view = this.roundView(round);
    const stamp = round + 1;
    const n = this.meta.n;
    const chunks = Math.ceil(n / chunk);
    const order = this.deviceOrder(view, chunk);
    const trainCtx = new DeviceCtx(this, view);
    const mixCtx = new DeviceCtx(this, view);
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
    const mixOne = (i: number): void => {
      try { this.mixDevice(mixCtx, view, i); } catch (err) { record(err, 2, i); }
    };
    this.roundMax = 0;
    for (;;) {
      if (Atomics.load(ctl, Ctl.abort) !== 0) return error !== null ? { error } : null;
      const c = Atomics.add(ctl, Ctl.claim, 1);
      if (c >= chunks) break;
      const to = Math.min(n, (c + 1) * chunk);
      for (let pos = c * chunk; pos < to; pos++) {
        const i = order ? order[pos]! : pos;
        let trained = !view.isOffline(i);
        try {
          await this.trainDevice(trainCtx, view, i);
        } catch (err) {
          record(err, 0, i);
          trained = false;
        }
        if (trained || view.isOffline(i)) this.roundMax = Math.max(this.roundMax, this.stats[i * STATS + Stat.roundTime]!);
        Atomics.store(ready, i, stamp);
        if (Atomics.load(ctl, Ctl.waiters) !== 0) Atomics.notify(ready, i);
        if (trained) {
          if (this.inputsReady(view, i, stamp)) mixOne(i);
          else pending.push(i);
        }
        while (head < pending.length && this.inputsReady(view, pending[head]!, stamp)) mixOne(pending[head++]!);
      }
      // After each chunk: mix every waiting device whose in-peers are done by now (keeps the rest in order).
      let kept = head;
      for (let k = head; k < pending.length; k++) {
        const i = pending[k]!;
        if (this.inputsReady(view, i, stamp)) mixOne(i);
        else pending[kept++] = i;
      }
      pending.length = kept;
    }
    for (; head < pending.length; head++) {
      const i = pending[head]!;
      if (!this.awaitInputs(view, i, stamp)) break;
      mixOne(i);
    }
    return error !== null ? { error } : null;
  }

  /**
   * The rounds of a decentralized `round` task: pipelined rounds separated by a barrier of the
   * task's parties (a device's next local step overwrites its outbox, which its out-peers read
   * while mixing this round). Each round's slowest device time goes to `slowest` for the main
   * thread's virtual clock. A device error ends the task after the round it happened in, for every
   * worker (the `stop` word), so the error reported is the one a sequential run meets first.
   */
  private async roundsPipelined(task: PhaseTask): Promise<void> {
    const ctl = this.ctl;
    const count = task.rounds ?? 1;
    const parties = task.parties ?? 1;
    const chunk = Math.max(1, task.chunk ?? this.meta.n);
    const slots = this.meta.slots;
    if (!Number.isInteger(count) || count < 1 || count > ROUNDS_PER_TASK) throw new RunError(`a round task of ${count} rounds (1..${ROUNDS_PER_TASK})`);
    for (let k = 0; k < count; k++) {
      const failed = await this.roundPipelined(task.round + k, chunk);
      this.slowest[k * slots + this.slotIndex] = this.roundMax;
      if (failed) Atomics.store(ctl, Ctl.stop, 1);
      const last = k + 1 === count;
      const aborted = Atomics.load(ctl, Ctl.abort) !== 0 || (!last && !this.barrier(parties));
      if (failed) throw failed.error;
      if (aborted || Atomics.load(ctl, Ctl.stop) !== 0) return;
    }
  }

  /** Waits until `parties` workers have arrived; the last re-arms the claim counter. False when aborted. */
  private barrier(parties: number): boolean {
    const ctl = this.ctl;
    if (parties === 1) { Atomics.store(ctl, Ctl.claim, 0); return true; }
    const gen = Atomics.load(ctl, Ctl.gen);
    if (Atomics.add(ctl, Ctl.arrive, 1) + 1 === parties) {
      Atomics.store(ctl, Ctl.arrive, 0);
      Atomics.store(ctl, Ctl.claim, 0);
      Atomics.add(ctl, Ctl.gen, 1);
      Atomics.notify(ctl, Ctl.gen);
      return true;
    }
    const t0 = now();
    while (Atomics.load(ctl, Ctl.gen) === gen) {
      if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return false; }
      // Timed, so a lost worker (the main thread raises abort) cannot leave this one waiting.
      Atomics.wait(ctl, Ctl.gen, gen, 50);
    }
    this.waitMs += now() - t0;
    return true;
  }

  /**
   * The order a pipelined round trains devices in. Chunks stay contiguous device ranges (so two
   * workers never write neighbouring devices' small per-device state, which shares cache lines);
   * inside a chunk, walks follow each device's first not yet visited out-peer in the chunk (the
   * device its message feeds), started from the lowest unvisited device. Along a walk each
   * device's in-peer was trained just before it, so its mixing finds both x_i and the message in
   * cache: with one worker (one chunk) a one-peer exponential round (a permutation) becomes its
   * cycles, a ring stays ascending. Null (ascending order) without a topology. The order never
   * changes results, only where the bytes are when they are read.
   */
  private deviceOrder(view: RoundView, chunk: number): Int32Array | null {
    const table = view.outPeerTable();
    if (!table) return null;
    const cached = this.orderCache.get(table);
    if (cached && cached.chunk === chunk) return cached.order;
    const n = table.length;
    const order = new Int32Array(n);
    const visited = new Uint8Array(n);
    let k = 0;
    for (let lo = 0; lo < n; lo += chunk) {
      const hi = Math.min(n, lo + chunk);
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
  private inputsReady(view: RoundView, i: number, stamp: number): boolean {
    const peers = view.inPeers(i);
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      if (Atomics.load(this.ready, j) !== stamp && !view.isOffline(j)) return false;
    }
    return true;
  }

  /** Waits until every online in-peer of i has trained; false when the round was aborted. */
  private awaitInputs(view: RoundView, i: number, stamp: number): boolean {
    const ctl = this.ctl;
    const peers = view.inPeers(i);
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      if (view.isOffline(j)) continue;
      let seen = Atomics.load(this.ready, j);
      if (seen === stamp) continue;
      const t0 = now();
      while (seen !== stamp) {
        if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return false; }
        Atomics.add(ctl, Ctl.waiters, 1);
        // Timed, so a lost worker (the main thread raises abort) cannot leave this one waiting.
        Atomics.wait(this.ready, j, seen, 50);
        Atomics.sub(ctl, Ctl.waiters, 1);
        seen = Atomics.load(this.ready, j);
      }
      this.waitMs += now() - t0;
    }
    return true;
  }

  /**
   * One round of a server algorithm in this worker: for each stage (train, server, mix), claim
   * device chunks (ascending, from the stage's claim counter) until none are left, then wait until
   * every claimed chunk is done. On an error the worker raises the abort word; the others finish
   * the chunk they hold (chunks are claimed in ascending order, so the lowest failing device is
   * among the ones that ran) and return.
   */
  private async roundStaged(task: PhaseTask): Promise<void> {
    const ctl = this.ctl;
    const stages: readonly Phase[] = ['train', 'server', 'mix'];
    const n = this.meta.n;
    const chunk = Math.max(1, task.chunk ?? n);
    const chunks = Math.ceil(n / chunk);
    for (let s = 0; s < stages.length; s++) {
      const stage = stages[s]!;
      const total = stage === 'server' ? 1 : chunks;
      for (;;) {
        if (Atomics.load(ctl, Ctl.abort) !== 0) return;
        const c = Atomics.add(ctl, Ctl.claim + s, 1);
        if (c >= total) break;
        const part: PhaseTask = { phase: stage, round: task.round, from: c * chunk, to: Math.min(n, (c + 1) * chunk) };
        try {
          if (stage === 'train') await this.train(part);
          else if (stage === 'server') this.server(part);
          else this.mix(part);
        } catch (err) {
          this.failure = { stage: s, device: this.currentDevice };
          Atomics.store(ctl, Ctl.abort, 1);
          for (let k = 0; k < stages.length; k++) Atomics.notify(ctl, Ctl.done + k);
          throw err;
        }
        if (Atomics.add(ctl, Ctl.done + s, 1) + 1 === total) Atomics.notify(ctl, Ctl.done + s);
      }
      const t0 = now();
      for (;;) {
        const done = Atomics.load(ctl, Ctl.done + s);
        if (done >= total) break;
        if (Atomics.load(ctl, Ctl.abort) !== 0) { this.waitMs += now() - t0; return; }
        // Timed, so a lost worker (the main thread raises abort) cannot leave this one waiting.
        Atomics.wait(ctl, Ctl.done + s, done, 50);
      }
      this.waitMs += now() - t0;
    }
  }

  // ---------------------------------------------------------------- phases

  private async train(task: PhaseTask): Promise<void> {
    const view = this.roundView(task.round);
    const ctx = new DeviceCtx(this, view);
    for (let i = task.from; i < task.to; i++) {
      this.currentDevice = i;
      await this.trainDevice(ctx, view, i);
    }
    this.currentDevice = -1;
  }

  /** Local steps and send of device i (nothing for an offline device but its round time). */
  private async trainDevice(ctx: DeviceCtx, view: RoundView, i: number): Promise<void> {
    const st = i * STATS;
    if (view.isOffline(i)) { this.stats[st + Stat.roundTime] = 0; return; }
    ctx.reset(i);
    try {
      const t0 = now();
      await this.algorithm.local(ctx);
      this.localMs += now() - t0;
      this.algorithm.send(ctx);
    } catch (err) {
      throw this.deviceError(err, i, view.round, 'local steps / send');
    }
    this.stats[st + Stat.roundTime] = this.clock.computeTime(i, ctx.roundFlops) + ctx.maxTransfer;
  }

  private server(task: PhaseTask): void {
    const alg = this.algorithm;
    if (!alg.server) throw new RunError(`algorithm ${alg.name} is a server algorithm without a server hook`);
    alg.server(new ServerCtx(this, this.roundView(task.round)));
  }

  private mix(task: PhaseTask): void {
    const view = this.roundView(task.round);
    const ctx = new DeviceCtx(this, view);
    for (let i = task.from; i < task.to; i++) {
      this.currentDevice = i;
      this.mixDevice(ctx, view, i);
    }
    this.currentDevice = -1;
  }

  /** Mixing of device i and the finiteness check of its result (nothing for an offline device). */
  private mixDevice(ctx: DeviceCtx, view: RoundView, i: number): void {
    if (view.isOffline(i)) return;
    ctx.reset(i);
    try {
      this.algorithm.mix(ctx);
    } catch (err) {
      throw this.deviceError(err, i, view.round, 'mixing');
    }
    this.checkFinite(i, view.round, 'mixing', ctx.xChecked);
  }

  /**
   * An error from a hook, with the device and round: a NaN/Inf in x_i (e.g. a compressor refusing
   * a non-finite vector) becomes the NaN RunError; other typed errors get the device and round prefixed.
   */
  private deviceError(err: unknown, i: number, round: number, when: string): unknown {
    this.checkFinite(i, round, when);
    if (err instanceof SparsepushError && !/\bdevice \d+\b/.test(err.message)) {
      err.message = `device ${i}, round ${round}: ${err.message}`;
    }
    return err;
  }

  /** NaN/Inf anywhere in x_i or w_i stops the run (count_nonfinite: one pass over d floats). */
  private checkFinite(i: number, round: number, when: string, xChecked = false): void {
    const bad = xChecked ? 0 : this.kernels.count_nonfinite(this.meta.d, this.cachedDeviceVec('x', i).ptr);
    const w = this.w[i]!;
    if (bad > 0 || !Number.isFinite(w)) {
      throw new RunError(`NaN/Inf in device ${i}'s parameters at round ${round} after ${when} (${bad} non-finite entries in x, w = ${w}); ${divergenceHint(this.config)}`);
    }
  }

  /** z_i = x_i / w_i: x_i itself when w_i = 1, else written into the engine's scratch vector. */
  private deBiased(i: number): Vec {
    const d = this.meta.d;
    const w = this.w[i]!;
    const x = this.cachedDeviceVec('x', i);
    if (w === 1) return x;
    const z = this.engineVec();
    this.kernels.scale_into(d, 1 / w, x.ptr, z.ptr);
    return z;
  }

  private async evaluate(params: Vec, data: Dataset, start: number, count: number): Promise<{ lossSum: number; correct: number }> {
    if (this.native) {
      const f = this.meta.features;
      const r = this.native.evaluatePtr(params.ptr, data.x.byteOffset + 4 * start * f, data.y.byteOffset + start, count);
      return { lossSum: r.loss * count, correct: r.correct };
    }
    const st = this.arena.f32('state', 0, 0);
    const r = await this.learner.evaluate(params.view, st, data, start, count);
    return { lossSum: r.loss * count, correct: r.correct };
  }

  /** Per device: z_i into its reduction block (tasks are block-aligned) and z_i's accuracy on the eval subset. */
  private async evalDevices(task: PhaseTask): Promise<void> {
    const d = this.meta.d;
    const reduce = this.arena.f64('reduce');
    let last: { device: number; correct: number; lossSum: number } | null = null;
    for (let i = task.from; i < task.to; i++) {
      const z = this.deBiased(i);
      const zv = z.view;
      const base = Math.floor(i / REDUCE_BLOCK) * d;
      if (i % REDUCE_BLOCK === 0) {
        for (let k = 0; k < d; k++) reduce[base + k] = zv[k]!;
      } else {
        for (let k = 0; k < d; k++) reduce[base + k] += zv[k]!;
      }
      // A model bit-identical to the previous device's scores the same: server algorithms give every
      // worker the broadcast model, so one evaluation serves them all.
      const r: { correct: number; lossSum: number } = last !== null && this.sameModel(last.device, i) ? last : await this.evaluate(z, this.datasets.evalSet, 0, this.meta.evalCount);
      last = { device: i, correct: r.correct, lossSum: r.lossSum };
      const st = i * STATS;
      this.stats[st + Stat.massX] = this.kernels.sum(d, this.arena.ptr('x', i * d));
      this.stats[st + Stat.evalCorrect] = r.correct;
      this.stats[st + Stat.evalLoss] = r.lossSum;
    }
  }

  /** Devices j and i evaluate the same model: w = 1 for both (z = x), x and learner state equal bit for bit. */
  private sameModel(j: number, i: number): boolean {
    if (this.w[j] !== 1 || this.w[i] !== 1) return false;
    const { d, stateCount } = this.meta;
    const bits = (region: string, len: number, k: number): Uint32Array => new Uint32Array(this.buffer, this.arena.ptr(region, k * len), len);
    const same = (a: Uint32Array, b: Uint32Array): boolean => {
      for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
      return true;
    };
    return same(bits('x', d, j), bits('x', d, i)) && (stateCount === 0 || same(bits('state', stateCount, j), bits('state', stateCount, i)));
  }

  /** Consensus distance terms for a device range and z_avg's test loss/accuracy for a chunk range. */
  private async evalGlobal(task: PhaseTask): Promise<void> {
    const d = this.meta.d;
    const zavgV = this.arena.f32('zavg');
    for (let i = task.from; i < task.to; i++) {
      const zv = this.deBiased(i).view;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = zv[k]! - zavgV[k]!;
        s += diff * diff;
      }
      this.stats[i * STATS + Stat.consensus] = s;
    }
    const parts = this.arena.f64('testPart');
    const zavg: Vec = { ptr: this.arena.ptr('zavg'), view: zavgV };
    for (let c = task.chunkFrom ?? 0; c < (task.chunkTo ?? 0); c++) {
      const start = c * TEST_CHUNK;
      const count = Math.min(TEST_CHUNK, this.meta.testCount - start);
      const r = await this.evaluate(zavg, this.datasets.test, start, count);
      parts[2 * c] = r.lossSum;
      parts[2 * c + 1] = r.correct;
    }
  }

  // ---------------------------------------------------------------- batches

  /**
   * Pointer to the next batch's row indices of device i (u32[batchSize]): in place in the shard
   * list when the batch does not cross an epoch end, else gathered into the slot's row buffer.
   * Each epoch starts with an in-place Fisher-Yates shuffle of the shard from stream
   * (seed, i, epoch, batch), so sampling depends only on the device's own history.
   */
  sampleRows(i: number): number {
    const B = this.config.algorithm.batchSize;
    const off = this.shardOff[i]!;
    const len = this.shardOff[i + 1]! - off;
    let pos = this.cursor[2 * i]!;
    let epoch = this.cursor[2 * i + 1]!;
    let ptr: number;
    if (pos === len) { this.shuffle(i, off, len, epoch); epoch++; pos = 0; }
    if (pos + B <= len) {
      ptr = this.shardIdx.byteOffset + 4 * (off + pos);
      pos += B;
    } else {
      ptr = this.slotBase + this.meta.slot.rowsOffset;
      const rows = (this.rowsView ??= new Uint32Array(this.buffer, ptr, B));
      for (let s = 0; s < B; s++) {
        if (pos === len) { this.shuffle(i, off, len, epoch); epoch++; pos = 0; }
        rows[s] = this.shardIdx[off + pos]!;
        pos++;
      }
    }
    this.cursor[2 * i] = pos;
    this.cursor[2 * i + 1] = epoch;
    return ptr;
  }

  private shuffle(i: number, off: number, len: number, epoch: number): void {
    shuffleInPlace(this.shardIdx, off, len, rngKey(this.config.seed, i, epoch, Purpose.batch));
  }

  /** Gathers rows into the slot's batch buffers (non-native learners). */
  gather(rowsPtr: number): { x: Float32Array; y: Uint8Array; count: number } {
    const B = this.config.algorithm.batchSize;
    const f = this.meta.features;
    const s = this.meta.slot;
    const rows = new Uint32Array(this.arena.buffer, rowsPtr, B);
    const x = new Float32Array(this.arena.buffer, this.slotBase + s.batchXOffset, B * f);
    const y = new Uint8Array(this.arena.buffer, this.slotBase + s.batchYOffset, B);
    const tx = this.datasets.train.x;
    const ty = this.datasets.train.y;
    for (let r = 0; r < B; r++) {
      const row = rows[r]!;
      x.set(tx.subarray(row * f, row * f + f), r * f);
      y[r] = ty[row]!;
    }
    return { x, y, count: B };
  }

  get trainXPtr(): number { return this.datasets.train.x.byteOffset; }
  get trainYPtr(): number { return this.datasets.train.y.byteOffset; }

  rngKey(node: number, round: number, purpose: number): number {
    return rngKey(this.config.seed, node, round, purpose);
  }
}

/**
 * RandomStream(key).shuffle(a.subarray(off, off + len)), the same swaps without per-draw objects
 * (~3x faster; an epoch's reshuffle is on every device's path). Each draw is rngU32(key, counter);
 * the bound j of Lemire's method is the high word of draw * (i + 1), taken exactly from 16-bit
 * halves; the rare draws that may need rejection (low word < i + 1) go through RandomStream itself.
 */
export function shuffleInPlace(a: Uint32Array, off: number, len: number, key: number): void {
  let counter = 0;
  for (let i = len - 1; i > 0; i--) {
    const m = i + 1;
    const x = rngU32(key, counter);
    let j: number;
    if ((Math.imul(x, m) >>> 0) < m) {
      const s = new RandomStream(key, counter);
      j = s.nextInt(m);
      counter = s.counter;
    } else {
      const hiPart = (x >>> 16) * m;
      const low = hiPart % 65536;
      j = (hiPart - low) / 65536 + Math.floor((low * 65536 + (x & 0xffff) * m) / 4294967296);
      counter++;
    }
    const p = off + i;
    const q = off + j;
    const t = a[p]!;
    a[p] = a[q]!;
    a[q] = t;
  }
}

/** A Topology stand-in for server algorithms (they ignore the graph). */
function placeholderTopology(n: number): Topology {
  const empty = { round: 0, outPeers: [] as number[][], inPeers: [] as number[][], selfWeight: new Float64Array(n) };
  return { spec: 'star', n, directed: true, period: 1, round: () => empty };
}

/** Typed views over an outbox region (headers are 8-byte aligned: strides are multiples of 64). */
interface OutboxViews { readonly u8: Uint8Array; readonly u32: Uint32Array; readonly f64: Float64Array }

function outboxViews(a: Arena, region: string): OutboxViews {
  const r = a.region(region);
  return {
    u8: new Uint8Array(a.buffer, r.offset, r.bytes),
    u32: new Uint32Array(a.buffer, r.offset, r.bytes >>> 2),
    f64: new Float64Array(a.buffer, r.offset, r.bytes >>> 3),
  };
}

/**
 * The message in the outbox at byte `base` of `ob`, or null when none was posted this round.
 * Device outboxes (`rt` given) hand out the runtime's cached payload views.
 */
function readMessage(ob: OutboxViews, base: number, from: number, round: number, sendsWeight: boolean, rt: WorkerRuntime | null): InMessage | null {
  const u = base >>> 2;
  if (Atomics.load(ob.u32, u) !== round + 1) return null;
  const bytes = ob.u32[u + 1]!;
  const f = base >>> 3;
  return {
    from,
    bytes: rt ? rt.messageView(from, bytes) : ob.u8.subarray(base + OUTBOX_HEADER_BYTES, base + OUTBOX_HEADER_BYTES + bytes),
    outDegree: ob.u32[u + 2]!,
    selfWeight: ob.f64[f + 2]!,
    weight: sendsWeight ? ob.f64[f + 3]! : Number.NaN,
  };
}

/** Writes an outbox header; the round stamp goes last. */
function writeHeader(ob: OutboxViews, base: number, round: number, bytes: number, outDegree: number, selfWeight: number, weight: number): void {
  const u = base >>> 2;
  const f = base >>> 3;
  ob.u32[u + 1] = bytes;
  ob.u32[u + 2] = outDegree;
  ob.f64[f + 2] = selfWeight;
  ob.f64[f + 3] = weight;
  Atomics.store(ob.u32, u, round + 1);
}

/** An InMessage the mix loop fills in place (one set per DeviceCtx, re-used device after device). */
class InboxMessage implements InMessage {
  from = 0;
  bytes: Uint8Array = EMPTY_BYTES;
  selfWeight = 0;
  weight = 0;
  outDegree = 0;
}
const EMPTY_BYTES = new Uint8Array(0);

/** DeviceContext over the arena; one object per task, re-pointed at each device. */
class DeviceCtx implements DeviceContext {
  device = 0;
  /** Set by the mix hook when x_i's last write counted no NaN/Inf (xCheckedFinite). */
  xChecked = false;
  roundFlops = 0;
  maxTransfer = 0;
  /** This device's in-messages once read (inboxReady); the array and message objects are re-used for the next device. */
  private readonly inboxList: InMessage[] = [];
  private readonly messageSlots: InboxMessage[] = [];
  private inboxReady = false;
  private serverMsg: InMessage | null | undefined;
  x!: Vec;
  w!: Float64Array;
  momentum!: Vec;
  compressor!: WireCompressor;
  selfWeight = 1;
  outPeers: readonly number[] = [];
  readonly round: number;
  readonly d: number;
  readonly n: number;
  readonly config: RunConfig;
  readonly setup: AlgorithmSetup;
  readonly kernels: EngineKernels;

  constructor(private readonly rt: WorkerRuntime, private readonly view: RoundView) {
    this.round = view.round;
    this.d = rt.meta.d;
    this.n = rt.meta.n;
    this.config = rt.config;
    this.setup = rt.setup;
    this.kernels = rt.kernels;
  }

  reset(i: number): void {
    this.device = i;
    this.xChecked = false;
    this.roundFlops = 0;
    this.maxTransfer = 0;
    this.inboxReady = false;
    this.serverMsg = undefined;
    const rt = this.rt;
    this.x = rt.cachedDeviceVec('x', i);
    this.w = rt.weightView(i);
    this.momentum = rt.cachedDeviceVec('m', i);
    this.compressor = rt.compressorOf(i);
    this.selfWeight = this.view.selfWeight(i);
    this.outPeers = this.view.outPeers(i);
  }

  vector(name: string): Vec {
    return this.rt.cachedDeviceVec(`dev.${name}`, this.device);
  }

  scratch(slot: number): Vec {
    if (slot >= this.rt.algorithm.scratchVectors) throw new RunError(`${this.rt.algorithm.name}: scratch(${slot}) but it declares scratchVectors = ${this.rt.algorithm.scratchVectors}`);
    return this.rt.scratchVec(slot);
  }

  rngKey(purpose: number): number {
    return this.rt.rngKey(this.device, this.round, purpose);
  }

  outbox(): Uint8Array {
    return this.rt.outboxPayload(this.device);
  }

  post(bytes: number, weight?: number): void {
    const rt = this.rt;
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > rt.meta.outboxPayload) throw new RunError(`device ${this.device}, round ${this.round}: posted ${bytes} bytes, outbox holds ${rt.meta.outboxPayload}`);
    const sendsWeight = rt.algorithm.sendsWeight;
    const toServer = rt.algorithm.kind === 'server';
    const peers = this.outPeers;
    const degree = toServer ? 1 : peers.length;
    writeHeader(rt.outboxes, this.device * rt.meta.outboxStride, this.round, bytes, degree, this.selfWeight, sendsWeight ? (weight ?? Number.NaN) : Number.NaN);
    const scalarBits = sendsWeight ? 64 : 0;
    const bits = 8 * bytes + scalarBits;
    const st = this.device * STATS;
    rt.stats[st + Stat.bitsSent] += bits * degree;
    rt.stats[st + Stat.denseBits] += (8 * rt.meta.noneBytes + scalarBits) * degree;
    let maxT = 0;
    if (toServer) maxT = rt.clock.transferTime(this.device, rt.meta.n, bits);
    else for (let k = 0; k < peers.length; k++) maxT = Math.max(maxT, rt.clock.transferTime(this.device, peers[k]!, bits));
    this.maxTransfer = maxT;
  }

  async gradient(params: Vec, grad: Vec): Promise<number> {
    const rt = this.rt;
    const B = rt.config.algorithm.batchSize;
    const rows = rt.sampleRows(this.device);
    const t0 = now();
    let loss: number;
    if (rt.native) {
      loss = rt.native.gradientRows(params.ptr, rt.trainXPtr, rt.trainYPtr, rows, B, grad.ptr);
    } else {
      const batch = rt.gather(rows);
      const sc = rt.meta.stateCount;
      const state = rt.arena.f32('state', this.device * sc, sc);
      loss = await rt.learner.gradient(params.view, state, batch, grad.view);
    }
    rt.learnMs += now() - t0;
    const st = this.device * STATS;
    const flops = B * rt.meta.flopsPerSample;
    rt.stats[st + Stat.samples] += B;
    rt.stats[st + Stat.flops] += flops;
    rt.stats[st + Stat.trainLoss] = loss;
    this.roundFlops += flops;
    return loss;
  }

  xCheckedFinite(): void {
    this.xChecked = true;
  }

  inbox(): InMessage[] {
    const list = this.inboxList;
    if (this.inboxReady) return list;
    const rt = this.rt;
    list.length = 0;
    const sendsWeight = rt.algorithm.sendsWeight;
    const ob = rt.outboxes;
    const stamp = this.round + 1;
    const peers = this.view.inPeers(this.device);
    let received = 0;
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      const base = j * rt.meta.outboxStride;
      const u = base >>> 2;
      if (Atomics.load(ob.u32, u) !== stamp || this.view.dropped(j, this.device)) continue;
      const f = base >>> 3;
      const bytes = ob.u32[u + 1]!;
      const msg = (this.messageSlots[list.length] ??= new InboxMessage());
      msg.from = j;
      msg.bytes = rt.messageView(j, bytes);
      msg.outDegree = ob.u32[u + 2]!;
      msg.selfWeight = ob.f64[f + 2]!;
      msg.weight = sendsWeight ? ob.f64[f + 3]! : Number.NaN;
      list.push(msg);
      received += 8 * bytes + (sendsWeight ? 64 : 0);
    }
    rt.stats[this.device * STATS + Stat.bitsReceived] += received;
    this.inboxReady = true;
    return list;
  }

  serverMessage(): InMessage | null {
    if (this.serverMsg !== undefined) return this.serverMsg;
    const rt = this.rt;
    if (!rt.serverOutbox) { this.serverMsg = null; return null; }
    const msg = readMessage(rt.serverOutbox, 0, -1, this.round, false, null);
    if (msg) {
      // Downlink: the device's round ends when the broadcast has arrived (server = node n).
      const st = this.device * STATS;
      rt.stats[st + Stat.bitsDown] += 8 * msg.bytes.length;
      rt.stats[st + Stat.roundTime] += rt.clock.transferTime(this.n, this.device, 8 * msg.bytes.length);
    }
    this.serverMsg = msg;
    return msg;
  }
}

/** ServerContext over the arena (server algorithms). */
class ServerCtx implements ServerContext {
  readonly round: number;
  readonly d: number;
  readonly n: number;
  readonly config: RunConfig;
  readonly setup: AlgorithmSetup;
  readonly kernels: EngineKernels;
  readonly x: Vec;
  readonly compressor: WireCompressor;

  constructor(private readonly rt: WorkerRuntime, private readonly view: RoundView) {
    this.round = view.round;
    this.d = rt.meta.d;
    this.n = rt.meta.n;
    this.config = rt.config;
    this.setup = rt.setup;
    this.kernels = rt.kernels;
    this.x = rt.deviceVec('srv.x', 0);
    this.compressor = rt.compressor('none');
  }

  vector(name: string): Vec {
    const r = this.rt.arena.region(`srv.${name}`);
    return this.rt.deviceVec(`srv.${name}`, 0, r.length);
  }

  scratch(slot: number): Vec { return this.rt.scratchVec(slot); }

  rngKey(purpose: number): number { return this.rt.rngKey(this.n, this.round, purpose); }

  compressorOf(device: number): WireCompressor { return this.rt.compressorOf(device); }

  inbox(): InMessage[] {
    const rt = this.rt;
    const list: InMessage[] = [];
    for (let j = 0; j < this.n; j++) {
      if (this.view.isOffline(j)) continue;
      const msg = readMessage(rt.outboxes, j * rt.meta.outboxStride, j, this.round, rt.algorithm.sendsWeight, rt);
      if (msg) list.push(msg);
    }
    return list;
  }

  outbox(): Uint8Array {
    const ob = this.rt.serverOutbox!;
    return ob.u8.subarray(OUTBOX_HEADER_BYTES, ob.u8.length);
  }

  post(bytes: number): void {
    writeHeader(this.rt.serverOutbox!, 0, this.round, bytes, this.n, Number.NaN, Number.NaN);
  }
}
