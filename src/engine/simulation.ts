/**
 * The main-thread side of a run: validates the config against the pieces (algorithm, topology,
 * data), lays out and fills the arena, starts the phase pool and drives rounds:
 *
 *   train  (local steps + send, per device batch)  -> barrier
 *   server (server algorithms: one task)           -> barrier
 *   mix    (per device batch)                      -> barrier
 *   every evalEvery rounds: evalDevices -> z_avg -> evalGlobal -> metrics
 *
 * Sums over devices are taken in fixed blocks / device order, never in worker order, so a run is a
 * pure function of its config: bit-identical for any worker count.
 */
import { availableParallelism } from 'node:os';
import { Arena, KERNEL_RESERVED_BYTES, ScratchAllocator, type ArenaLayout } from '../arena/arena.js';
import { createAlgorithm } from '../algorithms/registry.js';
import type { Algorithm, AlgorithmSetup, StateVector } from '../algorithms/types.js';
import { fillInitialVector } from '../algorithms/common.js';
import { createCompressorSync } from '../compress/registry.js';
import type { RunConfig } from '../config/types.js';
import { loadTrainTest, partition } from '../data/index.js';
import type { Dataset, Partition } from '../data/types.js';
import { ConfigError, DataError, GraphError, RunError, SpecError } from '../errors.js';
import { assertStronglyConnected } from '../graph/connectivity.js';
import { createTopology } from '../graph/registry.js';
import type { Topology } from '../graph/types.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../kernels/index.js';
import { RandomStream } from '../kernels/rng.js';
import { logisticFlopsPerSample, logisticParamCount, logisticScratchBytes } from '../models/logistic.js';
import type { Learner } from '../models/types.js';
import { deviceEnergy } from './clock.js';
import {
  Ctl, CTL_WORDS, DEVICE_EVAL_BUDGET, DEVICE_EVAL_MIN, planArena, planSlot, reduceBlocks, REDUCE_BLOCK, ROUNDS_PER_TASK, Stat, STATS, testChunks,
} from './layout.js';
import { InlineExecutor, PiscinaExecutor, type PhaseExecutor } from './pool.js';
import type { EngineMeta, Phase, PhaseResult, PhaseTask, WorkerInit } from './protocol.js';
import { reviveError } from './protocol.js';
import { dataFractions } from './runtime.js';
import { lrAt } from '../algorithms/lr-schedule.js';

export interface SimulationOptions {
  /** Pool size (overrides config.workers); 0 / undefined = config.workers, then the core count. */
  readonly workers?: number;
  /** Run phases in this thread instead of a pool (tests, debugging). */
  readonly inline?: boolean;
  /** Datasets to use instead of loading config.data (library use, benchmarks, tests). */
  readonly data?: { readonly train: Dataset; readonly test: Dataset };
  /** Precomputed partition of data.train (default: partition(config.data.partition, config.data.volume)). */
  readonly partition?: Partition;
}

/** One metrics line (metrics.jsonl). */
export interface Metrics {
  /** Rounds completed. */
  round: number;
  /** Samples processed per device / shard size (network totals). */
  epoch: number;
  /** Test accuracy and mean loss of z_avg = mean_i x_i / w_i. */
  accuracy: number;
  loss: number;
  /** Mean over devices of each z_i's accuracy on the device-evaluation subset (deviceEvalSamples). */
  meanDeviceAccuracy: number;
  /** 1/n sum_i ||z_i - z_avg||^2. */
  consensusDistance: number;
  /** Mean over devices of the last local step's training loss. */
  trainLoss: number;
  /** Cumulative bits sent by all devices (encoded bytes x out-edges, plus push-sum scalars). */
  bitsSent: number;
  bitsReceived: number;
  /** Bits of an uncompressed (`none`) run of the same rounds / bitsSent. */
  compressionRatio: number;
  /** Server broadcast bits received (server algorithms). */
  bitsDown: number;
  /** Network sums of x (all coordinates) and of w. */
  massX: number;
  massW: number;
  simTimeS: number;
  energyJ: number;
  /** Step size of the last round run (algorithm.lr under algorithm.lrSchedule). */
  lr: number;
  wallTimeS: number;
}

/** Timing of one phase (bench instrumentation). */
export interface PhaseTiming {
  phase: Phase;
  wallMs: number;
  learnMs: number;
  localMs: number;
  busyMs: number;
}

/** Splits [0, n) into `parts` contiguous ranges (boundaries multiples of `align` when given). */
export function splitRange(n: number, parts: number, align = 1): [number, number][] {
  const units = Math.ceil(n / align);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let k = 0; k < p; k++) {
    const a = Math.min(n, Math.floor((units * k) / p) * align);
    const b = Math.min(n, Math.floor((units * (k + 1)) / p) * align);
    if (b > a) out.push([a, b]);
  }
  return out;
}

function asTopologyError(err: unknown): never {
  if (err instanceof ConfigError && err.key === 'topology') throw err;
  if (err instanceof SpecError || err instanceof GraphError || err instanceof ConfigError) throw new ConfigError('topology', err.message);
  throw err;
}

function checkDataset(data: Dataset, what: string): void {
  if (data.count < 1) throw new DataError(`${what} set is empty`, data.name);
  if (data.x.length < data.count * data.features || data.y.length < data.count) {
    throw new DataError(`${what} set arrays are shorter than ${data.count} samples x ${data.features} features`, data.name);
  }
  for (let i = 0; i < data.count; i++) {
    if (data.y[i]! >= data.classes) throw new DataError(`${what} sample ${i} has label ${data.y[i]}, not < ${data.classes} classes`, data.name);
  }
}

export class Simulation {
  /** Rounds completed so far. */
  round = 0;
  /** Cumulative virtual time (seconds). */
  simTimeS = 0;
  /** Phase timings of the last round (bench). */
  lastTimings: PhaseTiming[] = [];

  private constructor(
    readonly config: RunConfig,
    readonly arena: Arena,
    readonly meta: EngineMeta,
    readonly algorithm: Algorithm,
    readonly topology: Topology | null,
    readonly executor: PhaseExecutor,
    readonly simd: boolean,
    readonly initialParams: Float32Array,
  ) {}

  get layout(): ArenaLayout { return this.arena.layout; }
  get workers(): number { return this.executor.size; }

  static async create(config: RunConfig, opts: SimulationOptions = {}): Promise<Simulation> {
    const algorithm = createAlgorithm(config.algorithm.name);
    const n = config.devices;
    if (!Number.isInteger(n) || n < 1) throw new ConfigError('devices', `expected a positive integer, got ${n}`);
    if (algorithm.kind === 'decentralized' && n < 2) throw new ConfigError('devices', `${algorithm.name} is decentralized and needs at least 2 devices, got ${n}`);
    if (!Number.isInteger(config.algorithm.batchSize) || config.algorithm.batchSize < 1) throw new ConfigError('algorithm.batchSize', `expected a positive integer, got ${config.algorithm.batchSize}`);
    if (!Number.isInteger(config.algorithm.localSteps) || config.algorithm.localSteps < 1) throw new ConfigError('algorithm.localSteps', `expected a positive integer, got ${config.algorithm.localSteps}`);
    if (!(config.algorithm.lr >= 0)) throw new ConfigError('algorithm.lr', `expected a number >= 0, got ${config.algorithm.lr}`);

    let topology: Topology | null = null;
    if (algorithm.kind === 'decentralized') {
      try {
        topology = createTopology(config.topology, n, { seed: config.seed });
        assertStronglyConnected(topology);
      } catch (err) { asTopologyError(err); }
    }

    // Data.
    const { train, test } = opts.data ?? await loadTrainTest(config.data.train, config.data.test, { seed: config.seed, limit: config.data.limit });
    checkDataset(train, 'training');
    checkDataset(test, 'test');
    if (test.features !== train.features) throw new DataError(`test set has ${test.features} features, training set ${train.features}`, test.name);
    const parts = opts.partition ?? partition(train, config.data.partition, config.data.volume, n, config.seed);
    if (parts.shards.length !== n) throw new DataError(`partition has ${parts.shards.length} shards for ${n} devices`, train.name);
    let shardTotal = 0;
    for (let i = 0; i < n; i++) {
      const s = parts.shards[i]!;
      if (s.length === 0) throw new DataError(`device ${i} has no training samples`, train.name);
      if (s.length < config.algorithm.batchSize && config.data.smallShards === 'error') {
        throw new DataError(`device ${i} holds ${s.length} training samples, fewer than one batch (algorithm.batchSize = ${config.algorithm.batchSize}); lower the batch size or the volume skew, or set data.smallShards=wrap to let its batches span epochs`, train.name);
      }
      for (const r of s) if (r >= train.count) throw new DataError(`partition gives device ${i} sample ${r}, beyond ${train.count}`, train.name);
      shardTotal += s.length;
    }

    // Learner facts (and the initial parameters, common to all devices).
    const classes = train.classes;
    const native = config.model === 'logistic';
    let d: number;
    let stateCount = 0;
    let flopsPerSample: number;
    let backend = 'native';
    let learnerBytes: number;
    const initParams: { params: Float32Array; state: Float32Array } = { params: new Float32Array(0), state: new Float32Array(0) };
    if (native) {
      d = logisticParamCount(train.features, classes);
      flopsPerSample = logisticFlopsPerSample(train.features, classes);
      learnerBytes = logisticScratchBytes(classes);
      initParams.params = new Float32Array(d); // zeros (NativeLogisticLearner.init)
    } else {
      const { createLearner } = await import('../models/registry.js');
      const learner: Learner = await createLearner(config.model, { inputShape: train.shape, classes, backend: config.backend });
      d = learner.paramCount;
      stateCount = learner.stateCount;
      flopsPerSample = learner.flopsPerSample;
      backend = learner.backend;
      learnerBytes = 0;
      initParams.params = new Float32Array(d);
      initParams.state = new Float32Array(stateCount);
      learner.init(initParams.params, initParams.state, config.seed);
      learner.dispose();
    }

    const setup: AlgorithmSetup = {
      config, d, n, topology: topology ?? { spec: 'star', n, directed: true, period: 1, round: () => { throw new RunError('server algorithms have no graph'); } },
      dataFractions: dataFractionsOf(parts, n),
    };
    algorithm.validate(setup);
    if (algorithm.needsUndirected && topology?.directed) {
      throw new ConfigError('topology', `${algorithm.name} needs an undirected graph, got directed '${config.topology}'`);
    }

    // Compressors: outbox and scratch sizes over every spec in use (plus `none`: the dense reference).
    // Sizing needs no vectors: every spec binds to one small kernel instance (dagc-r may use n specs).
    const { module, simd } = await compileKernels({ simd: 'auto' });
    const sizingMemory = createSharedMemory(1 << 16);
    const sizing = {
      exports: instantiateKernels(module, sizingMemory), memory: sizingMemory,
      scratch: new ScratchAllocator(KERNEL_RESERVED_BYTES, 1 << 16),
    };
    const deviceSpecs = new Set<string>();
    for (let i = 0; i < n; i++) deviceSpecs.add(algorithm.compressorSpec(setup, i));
    let outboxPayload = 0;
    let compressorBytes = 0;
    let noneBytes = 0;
    for (const spec of new Set(['none', ...deviceSpecs])) {
      let c;
      try { c = createCompressorSync(spec, { kernels: sizing }); } catch (err) {
        if (err instanceof SpecError) throw new ConfigError('compressor', err.message);
        throw err;
      }
      const enc = c.maxEncodedBytes(d);
      if (spec === 'none') noneBytes = enc;
      if (deviceSpecs.has(spec)) outboxPayload = Math.max(outboxPayload, enc);
      compressorBytes = Math.max(compressorBytes, c.scratchBytes(d));
    }

    const requested = opts.workers && opts.workers > 0 ? opts.workers : config.workers > 0 ? config.workers : availableParallelism();
    const size = opts.inline ? 1 : Math.max(1, Math.min(requested, n));
    const evalCount = Math.min(test.count, Math.max(DEVICE_EVAL_MIN, Math.floor(DEVICE_EVAL_BUDGET / n)));
    const algVectors = (list: readonly { name: string; length?: number }[]) => list.map((v) => ({ name: v.name, length: v.length ?? d }));
    const deviceVectors = algVectors(algorithm.deviceVectors(setup));
    const serverVectors = algVectors(algorithm.serverVectors(setup));
    const slot = planSlot({
      d, vectors: algorithm.scratchVectors + 1, batchSize: config.algorithm.batchSize, features: train.features,
      gatherBatch: !native, learnerBytes, compressorBytes,
    });
    const layout = planArena({
      n, d, stateCount, deviceVectors, server: algorithm.kind === 'server', serverVectors,
      outboxPayload, serverOutboxPayload: noneBytes, trainCount: train.count, testCount: test.count,
      features: train.features, shardTotal, evalCount, slots: size, slot,
    });
    const arena = Arena.create(layout);
    const meta: EngineMeta = {
      n, d, stateCount, features: train.features, classes, inputShape: [...train.shape], flopsPerSample,
      trainCount: train.count, testCount: test.count, evalCount,
      outboxStride: layout.regions['outbox']!.bytes / n, outboxPayload,
      serverOutboxStride: layout.regions['srv.outbox']?.bytes ?? 0,
      slots: size, slot, noneBytes, backend, backendChoice: config.backend,
    };

    fillArena(arena, meta, train, test, parts, initParams, deviceVectors.length ? algorithm.deviceVectors(setup) : [], algorithm.kind === 'server' ? algorithm.serverVectors(setup) : []);

    const init: WorkerInit = { memory: arena.memory, module, layout, config, meta };
    const executor = opts.inline ? new InlineExecutor(init) : new PiscinaExecutor(init, size);
    const sim = new Simulation(config, arena, meta, algorithm, topology, executor, simd, initParams.params);
    // Start every worker now (runtime creation), so failures there surface before round 0.
    try { await sim.runPhase('evalGlobal', 0, splitRange(n, size).map(([from]) => [from, from] as [number, number])); } catch (err) {
      await executor.close();
      throw err;
    }
    return sim;
  }

  /** Runs one phase over the given device ranges; throws the lowest range's error. */
  async runPhase(phase: Phase, round: number, ranges: [number, number][], chunkRanges?: [number, number][]): Promise<PhaseResult[]> {
    const tasks: PhaseTask[] = ranges.map(([from, to], k) => ({
      phase, round, from, to, chunkFrom: chunkRanges?.[k]?.[0] ?? 0, chunkTo: chunkRanges?.[k]?.[1] ?? 0,
    }));
    const t0 = performance.now();
    const results = await this.executor.run(tasks);
    const wallMs = performance.now() - t0;
    for (const r of results) if (r.error) throw reviveError(r.error);
    this.lastTimings.push({ phase, wallMs, ...sumTimings(results) });
    return results;
  }

  /**
   * Runs one round as a single `round` task per pool worker: the workers claim device chunks and
   * mix each device once it and its in-peers have trained (server algorithms: train, server, mix
   * stages with in-task barriers; see WorkerRuntime.roundPipelined / roundStaged), so a round costs
   * one dispatch and a descheduled worker holds the others up by one chunk at most. Same results
   * as runPhase('train'), runPhase('server'), runPhase('mix') in turn, for any pool size.
   */
  async runRound(round: number, rounds = 1): Promise<PhaseResult[]> {
    const ctl = new Int32Array(this.arena.buffer, this.arena.ptr('ctl'), CTL_WORDS);
    for (let k = Ctl.slot + 1; k < CTL_WORDS; k++) Atomics.store(ctl, k, 0);
    const size = this.executor.size;
    const n = this.meta.n;
    const chunk = roundChunk(n, size);
    const tasks: PhaseTask[] = Array.from({ length: size }, () => ({ phase: 'round' as const, round, from: 0, to: n, chunk, rounds, parties: size }));
    const lost = (): void => {
      Atomics.store(ctl, Ctl.abort, 1);
      for (let k = 0; k < 3; k++) Atomics.notify(ctl, Ctl.done + k);
      Atomics.notify(ctl, Ctl.gen);
      // Workers waiting on `ready` stamps re-check the abort word within their wait timeout.
    };
    const t0 = performance.now();
    const results = await this.executor.run(tasks, lost);
    const wallMs = performance.now() - t0;
    let failed: PhaseResult | undefined;
    for (const r of results) {
      // The error a sequential run would have met first: non-device errors, then the earliest stage, then the lowest device.
      if (r.error && (!failed || before(r, failed))) failed = r;
    }
    if (failed) throw reviveError(failed.error!);
    this.lastTimings.push({ phase: 'round', wallMs, ...sumTimings(results) });
    return results;
  }

  /** Runs round `this.round` (train, server, mix) and advances the virtual clock. */
  async step(): Promise<void> {
    await this.steps(1);
  }

  /**
   * Runs `count` rounds from `this.round` on and advances the virtual clock by each round's
   * slowest device. Decentralized algorithms run up to ROUNDS_PER_TASK rounds per dispatch (same
   * results as one step() per round: the workers meet at a barrier between rounds); server
   * algorithms dispatch every round.
   */
  async steps(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new RunError(`steps(${count}): expected a non-negative integer`);
    this.lastTimings = [];
    const stats = this.arena.f64('stats');
    const slowest = this.arena.f64('slowest');
    const slots = this.meta.slots;
    let left = count;
    while (left > 0) {
      const t = this.round;
      if (this.algorithm.kind === 'server') {
        await this.runRound(t);
        let max = 0;
        for (let i = 0; i < this.meta.n; i++) max = Math.max(max, stats[i * STATS + Stat.roundTime]!);
        this.simTimeS += max;
        this.round = t + 1;
        left--;
        continue;
      }
      const k = Math.min(left, ROUNDS_PER_TASK);
      await this.runRound(t, k);
      for (let r = 0; r < k; r++) {
        let max = 0;
        for (let w = 0; w < this.executor.size; w++) max = Math.max(max, slowest[r * slots + w]!);
        this.simTimeS += max;
      }
      this.round = t + k;
      left -= k;
    }
  }

  /** Evaluates the current state (after this.round rounds). */
  async evaluate(wallTimeS: number): Promise<Metrics> {
    const { n, d, testCount, evalCount } = this.meta;
    const size = this.executor.size;
    const saved = this.lastTimings;
    this.lastTimings = [];
    await this.runPhase('evalDevices', this.round, splitRange(n, size, REDUCE_BLOCK));
    // z_avg = (sum of block sums in block order) / n, rounded once to f32.
    const reduce = this.arena.f64('reduce');
    const blocks = reduceBlocks(n);
    const acc = new Float64Array(d);
    for (let b = 0; b < blocks; b++) {
      const base = b * d;
      for (let k = 0; k < d; k++) acc[k] += reduce[base + k]!;
    }
    const zavg = this.arena.f32('zavg');
    for (let k = 0; k < d; k++) zavg[k] = acc[k]! / n;
    await this.runPhase('evalGlobal', this.round, splitRange(n, size), splitRange(testChunks(testCount), size));
    this.lastTimings = saved;

    const parts = this.arena.f64('testPart');
    let lossSum = 0;
    let correct = 0;
    for (let c = 0; c < testChunks(testCount); c++) { lossSum += parts[2 * c]!; correct += parts[2 * c + 1]!; }
    const stats = this.arena.f64('stats');
    const w = this.arena.f64('w');
    let devCorrect = 0, consensus = 0, bitsSent = 0, bitsReceived = 0, dense = 0, bitsDown = 0, samples = 0, energy = 0, massW = 0, massX = 0, trainLoss = 0;
    const e = this.config.energy;
    for (let i = 0; i < n; i++) {
      const s = i * STATS;
      devCorrect += stats[s + Stat.evalCorrect]!;
      consensus += stats[s + Stat.consensus]!;
      bitsSent += stats[s + Stat.bitsSent]!;
      bitsReceived += stats[s + Stat.bitsReceived]!;
      dense += stats[s + Stat.denseBits]!;
      bitsDown += stats[s + Stat.bitsDown]!;
      samples += stats[s + Stat.samples]!;
      trainLoss += stats[s + Stat.trainLoss]!;
      energy += deviceEnergy(e, stats[s + Stat.bitsSent]!, stats[s + Stat.bitsReceived]! + stats[s + Stat.bitsDown]!, stats[s + Stat.flops]!);
      massW += w[i]!;
      massX += stats[s + Stat.massX]!;
    }
    const shardTotal = this.arena.u32('shardOff')[n]!;
    return {
      round: this.round,
      epoch: samples / shardTotal,
      accuracy: correct / testCount,
      loss: lossSum / testCount,
      meanDeviceAccuracy: devCorrect / (n * evalCount),
      consensusDistance: consensus / n,
      trainLoss: this.round > 0 ? trainLoss / n : Number.NaN,
      bitsSent,
      bitsReceived,
      compressionRatio: bitsSent > 0 ? dense / bitsSent : 1,
      bitsDown,
      massX,
      massW,
      simTimeS: this.simTimeS,
      energyJ: energy,
      lr: lrAt(this.config, Math.max(0, this.round - 1)),
      wallTimeS,
    };
  }

  /** The network-average de-biased model of the last evaluate() (f32, d). */
  zavg(): Float32Array { return this.arena.f32('zavg').slice(); }

  /** Per-device cumulative bits sent. */
  bitsPerDevice(): number[] {
    const stats = this.arena.f64('stats');
    return Array.from({ length: this.meta.n }, (_, i) => stats[i * STATS + Stat.bitsSent]!);
  }

  async close(): Promise<void> {
    await this.executor.close();
  }
}

/**
 * Devices per claimed chunk of a round: all of them with a pool of one; else ~8 chunks per worker
 * (balance when a worker is descheduled) of at most 256 devices. Chunks of 8 or more devices are
 * rounded up to a multiple of 16, so their boundaries fall on cache-line boundaries of every
 * per-device region (w, cursor, ready, stats: 16 devices = 2, 2, 1 and 24 lines) and two workers
 * do not write the same line.
 */
export function roundChunk(n: number, workers: number): number {
  if (workers <= 1) return n;
  const raw = Math.max(1, Math.min(256, Math.ceil(n / (8 * workers))));
  return raw >= 8 ? Math.ceil(raw / 16) * 16 : raw;
}

/** Worker times of one dispatch, summed over its tasks. */
function sumTimings(results: readonly PhaseResult[]): Omit<PhaseTiming, 'phase' | 'wallMs'> {
  let learnMs = 0, localMs = 0, busyMs = 0;
  for (const r of results) { learnMs += r.learnMs; localMs += r.localMs; busyMs += r.busyMs; }
  return { learnMs, localMs, busyMs };
}

/** Error order of a round: errors outside device hooks first, then by stage, then by device. */
function before(a: PhaseResult, b: PhaseResult): boolean {
  const sa = a.errorDevice === undefined ? -1 : (a.errorStage ?? 0);
  const sb = b.errorDevice === undefined ? -1 : (b.errorStage ?? 0);
  if (sa !== sb) return sa < sb;
  return (a.errorDevice ?? -1) < (b.errorDevice ?? -1);
}

function dataFractionsOf(parts: Partition, n: number): Float64Array {
  const off = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) off[i + 1] = off[i]! + parts.shards[i]!.length;
  return dataFractions(off, n);
}

/** Copies data, shards and the initial model into a fresh arena. */
function fillArena(
  arena: Arena, meta: EngineMeta, train: Dataset, test: Dataset, parts: Partition,
  init: { params: Float32Array; state: Float32Array },
  deviceVectors: readonly StateVector[],
  serverVectors: readonly StateVector[],
): void {
  const { n, d, features, stateCount } = meta;
  arena.f32('trainX').set(train.x.subarray(0, train.count * features));
  arena.u8('trainY').set(train.y.subarray(0, train.count));
  arena.f32('testX').set(test.x.subarray(0, test.count * features));
  arena.u8('testY').set(test.y.subarray(0, test.count));
  if (arena.has('evalX')) {
    // A fixed seeded subset (ascending indices) so every device is judged on the same samples.
    const perm = new Uint32Array(test.count);
    for (let i = 0; i < perm.length; i++) perm[i] = i;
    new RandomStream(0x5eed).shuffle(perm);
    const rows = perm.subarray(0, meta.evalCount).sort();
    const ex = arena.f32('evalX');
    const ey = arena.u8('evalY');
    rows.forEach((r, k) => { ex.set(test.x.subarray(r * features, (r + 1) * features), k * features); ey[k] = test.y[r]!; });
  }
  const idx = arena.u32('shardIdx');
  const off = arena.u32('shardOff');
  const cursor = arena.u32('cursor');
  let at = 0;
  for (let i = 0; i < n; i++) {
    const s = parts.shards[i]!;
    off[i] = at;
    idx.set(s, at);
    at += s.length;
    cursor[2 * i] = s.length; // position = end: the first batch starts epoch 0 with a shuffle
    cursor[2 * i + 1] = 0;
  }
  off[n] = at;
  arena.f64('w').fill(1);
  const x = arena.f32('x');
  for (let i = 0; i < n; i++) x.set(init.params, i * d);
  if (stateCount > 0) {
    const st = arena.f32('state');
    for (let i = 0; i < n; i++) st.set(init.state, i * stateCount);
  }
  for (const v of deviceVectors) {
    if (v.init !== 'x') continue;
    const r = arena.f32(`dev.${v.name}`);
    const len = v.length ?? d;
    for (let i = 0; i < n; i++) fillInitialVector(v, i, init.params, r.subarray(i * len, (i + 1) * len));
  }
  if (arena.has('srv.x')) arena.f32('srv.x').set(init.params);
  for (const v of serverVectors) fillInitialVector(v, 0, init.params, arena.f32(`srv.${v.name}`).subarray(0, v.length ?? d));
}
