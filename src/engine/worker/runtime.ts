/**
 * The per-worker side of the engine: runs one phase task for a batch of devices, in place on the
 * shared arena. A worker caches its kernel instance, learner, compressors, topology and algorithm;
 * everything else is read from the arena, so any worker can run any device and the result does
 * not depend on which worker ran what (bit-identical for any worker count).
 *
 * The worker side is split by job:
 *   runtime.ts   bootstrap (kernels, scratch slot, learner, topology), task dispatch, device hooks
 *   schedule.ts  the round protocol (pipelined decentralized rounds, staged server rounds)
 *   exchange.ts  every cross-device / cross-worker step: messages, readiness, claims, barriers
 *   outbox.ts    the outbox header reader / writer
 *   status.ts    progress and state words the main thread's watchdog reads
 *   contexts.ts  the DeviceContext / ServerContext the algorithms see
 *   views.ts     typed views on the arena; batches.ts batch sampling; evaluate.ts the eval phases
 *
 * Portable: this folder imports no Node built-ins. A host (Piscina entry workers/phase.ts, the
 * in-process InlineExecutor, or a Web Worker) builds a runtime from the structured-cloneable
 * WorkerInit and passes what is platform-specific through RuntimeOptions (how to load the tfjs
 * model registry, which exchange to use).
 */
import { Arena, ScratchAllocator } from '../../arena/arena.js';
import type { Algorithm, AlgorithmSetup } from '../../algorithms/types.js';
import { createAlgorithm } from '../../algorithms/registry.js';
import { divergenceHint } from '../../algorithms/common.js';
import { createCompressorSync } from '../../compress/registry.js';
import type { WireCompressor } from '../../compress/types.js';
import type { RunConfig } from '../../config/types.js';
import { RunError, SparsepushError } from '../../errors.js';
import { createTopology } from '../../graph/registry.js';
import type { Topology } from '../../graph/types.js';
import type { KernelExports } from '../../kernels/abi.js';
import { instantiateKernels } from '../../kernels/index.js';
import { rngKey } from '../../kernels/rng.js';
import { NativeLogisticLearner } from '../../models/logistic.js';
import type { Learner } from '../../models/types.js';
import { VirtualClock } from '../clock.js';
import { Stat, STATS } from '../layout.js';
import { algorithmSetup } from '../setup.js';
import type { EngineMeta, PhaseResult, PhaseTask, WorkerInit } from '../protocol.js';
import { serializeError } from '../protocol.js';
import { RoundView } from '../round.js';
import { BatchSampler } from './batches.js';
import { DeviceCtx, ServerCtx } from './contexts.js';
import { Evaluator } from './evaluate.js';
import { Ctl, LocalExchange, roundControl, type Exchange } from './exchange.js';
import { RoundSchedule, type FailurePoint } from './schedule.js';
import { WorkerStatus } from './status.js';
import { WorkerViews } from './views.js';

const now = (): number => performance.now();

export type ModelRegistry = typeof import('../../models/registry.js');

/** What a host supplies besides the WorkerInit. */
export interface RuntimeOptions {
  /** Scratch slot of this worker (default: the next one from the arena's slot counter). */
  readonly slot?: number;
  /**
   * Loads the tfjs model registry (non-native models only). Default: a plain dynamic import;
   * Node worker threads running from TypeScript sources pass loadModelRegistry (load-module.ts).
   */
  readonly loadModels?: () => Promise<ModelRegistry>;
  /** The exchange this worker's rounds go through (default: LocalExchange, in the arena). */
  readonly exchange?: (arena: Arena, meta: EngineMeta) => Exchange;
}

const importModels = (): Promise<ModelRegistry> => import('../../models/registry.js');

/** Builds the learner a worker uses over the arena. */
async function createEngineLearner(
  config: RunConfig, meta: EngineMeta, kernels: KernelExports, scratchPtr: number, loadModels: () => Promise<ModelRegistry> = importModels,
): Promise<Learner> {
  if (meta.backend === 'native') {
    return new NativeLogisticLearner(meta.features, meta.classes, kernels, { ptr: scratchPtr, bytes: meta.slot.learnerBytes });
  }
  const { createLearner } = await loadModels();
  return createLearner(config.model, { inputShape: meta.inputShape, classes: meta.classes, backend: config.backend });
}

export class WorkerRuntime {
  readonly arena: Arena;
  readonly kernels: KernelExports;
  readonly config: RunConfig;
  readonly meta: EngineMeta;
  readonly algorithm: Algorithm;
  readonly setup: AlgorithmSetup;
  readonly learner: Learner;
  readonly native: NativeLogisticLearner | null;
  readonly clock: VirtualClock;
  readonly views: WorkerViews;
  readonly sampler: BatchSampler;
  readonly exchange: Exchange;
  /** This worker's status words (progress for the main thread's watchdog). */
  readonly status: WorkerStatus;
  private readonly evaluator: Evaluator;
  private readonly schedule: RoundSchedule;
  private readonly compressorCache = new Map<string, WireCompressor>();
  private readonly deviceSpec: string[];
  private readonly deviceCompressors: (WireCompressor | undefined)[];
  private readonly deviceStreams: (readonly WireCompressor[] | undefined)[];
  private view: RoundView | null = null;

  // Per-task accounting.
  learnMs = 0;
  localMs = 0;
  /** Device whose hooks run now (-1 outside device loops): errors report it. */
  currentDevice = -1;

  private constructor(init: WorkerInit, kernels: KernelExports, readonly slot: number, learner: Learner, private readonly topology: Topology | null, options: RuntimeOptions) {
    this.arena = Arena.attach(init.memory, init.layout);
    this.kernels = kernels;
    this.config = init.config;
    this.meta = init.meta;
    this.learner = learner;
    this.native = learner instanceof NativeLogisticLearner ? learner : null;
    this.algorithm = createAlgorithm(init.config.algorithm.name);
    const n = init.meta.n;
    this.views = new WorkerViews(this.arena, init.meta, this.arena.ptr('scratch') + slot * init.meta.slot.bytes);
    this.sampler = new BatchSampler(this.views, init.config.seed, init.config.algorithm.batchSize);
    this.evaluator = new Evaluator(this.views, kernels, learner, this.native);
    this.exchange = options.exchange ? options.exchange(this.arena, init.meta) : new LocalExchange(this.arena, init.meta);
    this.status = new WorkerStatus(this.arena.i32('status'), slot);
    this.schedule = new RoundSchedule(this, this.exchange, this.status);
    this.deviceCompressors = new Array<WireCompressor | undefined>(n);
    this.deviceStreams = new Array<readonly WireCompressor[] | undefined>(n);
    this.setup = algorithmSetup(init.config, init.meta.d, n, topology, this.views.shardOff);
    this.deviceSpec = [];
    for (let i = 0; i < n; i++) this.deviceSpec.push(this.algorithm.compressorSpec(this.setup, i));
    this.clock = new VirtualClock(init.config.clock, init.config.seed, n);
  }

  /** Instantiates the kernels over the arena, claims a scratch slot, builds the learner and topology. */
  static async create(init: WorkerInit, options: RuntimeOptions = {}): Promise<WorkerRuntime> {
    const kernels = instantiateKernels(init.module, init.memory);
    const arena = Arena.attach(init.memory, init.layout);
    const claimed = options.slot ?? Atomics.add(roundControl(arena), Ctl.slot, 1);
    if (claimed >= init.meta.slots) throw new RunError(`worker scratch slot ${claimed} >= ${init.meta.slots}: more workers started than planned (a worker was restarted?)`);
    const slotBase = arena.ptr('scratch') + claimed * init.meta.slot.bytes;
    const learner = await createEngineLearner(init.config, init.meta, kernels, slotBase + init.meta.slot.learnerOffset, options.loadModels);
    const algorithm = createAlgorithm(init.config.algorithm.name);
    const topology = algorithm.kind === 'decentralized' ? createTopology(init.config.topology, init.meta.n, { seed: init.config.seed }) : null;
    return new WorkerRuntime(init, kernels, claimed, learner, topology, options);
  }

  compressor(spec: string): WireCompressor {
    let c = this.compressorCache.get(spec);
    if (!c) {
      const s = this.meta.slot;
      c = createCompressorSync(spec, {
        kernels: { exports: this.kernels, memory: this.arena.memory, scratch: new ScratchAllocator(this.views.slotBase + s.compressorOffset, s.compressorBytes) },
      });
      this.compressorCache.set(spec, c);
    }
    return c;
  }

  /** The codec of the server's broadcast: `none` (the downlink is uncompressed; plan.ts sizes its outbox for it). */
  downlink(): WireCompressor {
    return this.compressor('none');
  }

  compressorOf(device: number): WireCompressor {
    return (this.deviceCompressors[device] ??= this.compressor(this.deviceSpec[device]!));
  }
  /** The compressors of the device's payload streams (algorithm.streamSpecs; [compressorOf] by default). */
  streamsOf(device: number): readonly WireCompressor[] {
    let list = this.deviceStreams[device];
    if (!list) {
      const specs = this.algorithm.streamSpecs?.(this.setup, device);
      list = specs ? specs.map((spec) => this.compressor(spec)) : [this.compressorOf(device)];
      this.deviceStreams[device] = list;
    }
    return list;
  }

  roundView(round: number): RoundView {
    if (!this.view || this.view.round !== round) {
      this.view = new RoundView(round, this.topology, this.meta.n, this.config.seed, this.config.faults);
    }
    return this.view;
  }

  rngKey(node: number, round: number, purpose: number): number {
    return rngKey(this.config.seed, node, round, purpose);
  }

  async run(task: PhaseTask): Promise<PhaseResult> {
    const t0 = now();
    this.learnMs = 0;
    this.localMs = 0;
    this.exchange.waitMs = 0;
    this.currentDevice = -1;
    this.schedule.failure = null;
    try {
      switch (task.phase) {
        case 'train': await this.train(task); break;
        case 'server': this.server(task); break;
        case 'mix': this.mix(task); break;
        case 'evalDevices': await this.evaluator.evalDevices(task); break;
        case 'evalGlobal': await this.evaluator.evalGlobal(task); break;
        case 'round': await this.schedule.run(task); break;
      }
      return { learnMs: this.learnMs, localMs: this.localMs, busyMs: now() - t0 - this.exchange.waitMs };
    } catch (err) {
      // (a cast: the compiler narrowed the field to null at the reset above)
      const failure = this.schedule.failure as FailurePoint | null;
      const where = failure ? { errorStage: failure.stage, errorDevice: failure.device }
        : this.currentDevice >= 0 ? { errorDevice: this.currentDevice } : {};
      return { learnMs: this.learnMs, localMs: this.localMs, busyMs: now() - t0 - this.exchange.waitMs, error: serializeError(err), ...where };
    }
  }

  // ---------------------------------------------------------------- phases and device hooks

  async train(task: PhaseTask): Promise<void> {
    const view = this.roundView(task.round);
    const ctx = new DeviceCtx(this, view);
    for (let i = task.from; i < task.to; i++) {
      this.currentDevice = i;
      await this.trainDevice(ctx, view, i);
    }
    this.currentDevice = -1;
  }

  /** Local steps and send of device i (nothing for an offline device but its round time). */
  async trainDevice(ctx: DeviceCtx, view: RoundView, i: number): Promise<void> {
    const stats = this.views.stats;
    const st = i * STATS;
    if (view.isOffline(i)) { stats[st + Stat.roundTime] = 0; return; }
    ctx.reset(i);
    try {
      const t0 = now();
      await this.algorithm.local(ctx);
      this.localMs += now() - t0;
      this.algorithm.send(ctx);
    } catch (err) {
      throw this.deviceError(err, i, view.round, 'local steps / send');
    }
    stats[st + Stat.roundTime] = this.clock.computeTime(i, ctx.roundFlops) + ctx.maxTransfer;
  }

  server(task: PhaseTask): void {
    const alg = this.algorithm;
    if (!alg.server) throw new RunError(`algorithm ${alg.name} is a server algorithm without a server hook`);
    alg.server(new ServerCtx(this, this.roundView(task.round)));
  }

  mix(task: PhaseTask): void {
    const view = this.roundView(task.round);
    const ctx = new DeviceCtx(this, view);
    for (let i = task.from; i < task.to; i++) {
      this.currentDevice = i;
      this.mixDevice(ctx, view, i);
    }
    this.currentDevice = -1;
  }

  /** Mixing of device i and the finiteness check of its result (nothing for an offline device). */
  mixDevice(ctx: DeviceCtx, view: RoundView, i: number): void {
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
    const bad = xChecked ? 0 : this.kernels.count_nonfinite(this.meta.d, this.views.cachedDeviceVec('x', i).ptr);
    const w = this.views.w[i]!;
    if (bad > 0 || !Number.isFinite(w)) {
      throw new RunError(`NaN/Inf in device ${i}'s parameters at round ${round} after ${when} (${bad} non-finite entries in x, w = ${w}); ${divergenceHint(this.config)}`);
    }
  }
}
