/**
 * The main-thread side of a run: plans the arena (plan.ts), starts the phase executor and drives
 * rounds:
 *
 *   round  (one task per worker: train, (server,) mix of one or more rounds; worker/schedule.ts)
 *   every evalEvery rounds: evalDevices -> z_avg -> evalGlobal -> metrics
 *
 * Sums over devices are taken in fixed blocks / device order, never in worker order, so a run is a
 * pure function of its config: bit-identical for any worker count.
 *
 * Portable: Node-specific defaults (the Piscina pool, the core count, datasets from disk) come
 * from node-host.ts, loaded only when the caller passes no SimulationHost.
 */
import type { Arena, ArenaLayout } from '../arena/arena.js';
import type { Algorithm } from '../algorithms/types.js';
import type { RunConfig } from '../config/types.js';
import type { Dataset, Partition } from '../data/types.js';
import { RunError } from '../errors.js';
import type { Topology } from '../graph/types.js';
import { deviceEnergy } from './clock.js';
import { reduceBlocks, REDUCE_BLOCK, ROUNDS_PER_TASK, Stat, STATS, testChunks } from './layout.js';
import { InlineExecutor, type ExecutorFactory, type PhaseExecutor } from './executor.js';
import { planRun, type TrainTest } from './plan.js';
import type { DeviceRange, EngineMeta, Phase, PhaseResult, PhaseTask } from './protocol.js';
import { reviveError } from './protocol.js';
import { DEFAULT_WATCHDOG, watch, Watchdog, type WatchdogLimits } from './watchdog.js';
import { abortRound, resetRoundControl, roundControl } from './worker/exchange.js';
import { markDispatched } from './worker/status.js';
import { lrAt } from '../algorithms/lr-schedule.js';
import type { Metrics } from '../metrics/records.js';
import type { ParamLayout } from '../models/types.js';
import type { ModelValues } from '../model-file/values.js';
import type { SetupListener } from '../setup-progress.js';

/** What the platform provides a Simulation (Node: node-host.ts). */
export interface SimulationHost {
  /** Default pool size when neither the options nor the config set one. */
  parallelism(): number;
  /** The pool of workers over the planned arena. */
  readonly executor: ExecutorFactory;
  /** Loads config.data (when the caller passes no datasets), reporting slow stages. */
  loadData(config: RunConfig, onProgress?: SetupListener): Promise<TrainTest>;
  /** Reads a model file (config.init) into a layout; absent where files cannot be read. */
  readModel?(path: string, layout: ParamLayout): Promise<ModelValues>;
}

export interface SimulationOptions {
  /** Pool size (overrides config.workers); 0 / undefined = config.workers, then the core count. */
  readonly workers?: number;
  /** Run phases in this thread instead of a pool (tests, debugging). */
  readonly inline?: boolean;
  /** Datasets to use instead of loading config.data (library use, benchmarks, tests). */
  readonly data?: { readonly train: Dataset; readonly test: Dataset };
  /** Precomputed partition of data.train (default: partition(config.data.partition, config.data.volume)). */
  readonly partition?: Partition;
  /** Pool, core count and data loading (default: Node's, node-host.ts). */
  readonly host?: SimulationHost;
  /** When a round task counts as stuck (default DEFAULT_WATCHDOG; see watchdog.ts). */
  readonly watchdog?: Partial<WatchdogLimits>;
  /** Progress of the set-up before round 0 (data conversion and generation, the arena fill). */
  readonly onSetup?: SetupListener;
  /** Devices this process holds and trains (default: all n; a host of a multi-host run: its range). */
  readonly owned?: DeviceRange;
  /** The workers' exchange (src/transport registry name; default `local`, the in-arena one). */
  readonly transport?: string;
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

/**
 * Splits [from, to) into at most `parts` contiguous ranges whose inner boundaries are multiples
 * of `align` (splitRange(to, parts, align) when from = 0); the devices before the first multiple
 * go with the first range.
 */
export function splitDevices(range: DeviceRange, parts: number, align = 1): [number, number][] {
  const { from, to } = range;
  if (from === 0) return splitRange(to, parts, align);
  const start = Math.min(to, Math.ceil(from / align) * align);
  const rest = splitRange(to - start, parts, align).map(([a, b]): [number, number] => [a + start, b + start]);
  if (start === from) return rest;
  if (rest.length === 0) return [[from, to]];
  rest[0] = [from, rest[0]![1]];
  return rest;
}

/** Per-device arrays and chunk sums one evaluation is computed from (EvaluationInput -> Metrics). */
export interface EvaluationInput {
  readonly config: RunConfig;
  readonly meta: EngineMeta;
  readonly round: number;
  readonly simTimeS: number;
  readonly wallTimeS: number;
  /** The network-average model (f32[d]). */
  readonly zavg: Float32Array;
  /** f64[n * STATS] per-device counters. */
  readonly stats: Float64Array;
  /** f64[n] push-sum weights. */
  readonly w: Float64Array;
  /** f64[testChunks(testCount) * 2] (loss sum, correct) of z_avg per test chunk. */
  readonly testParts: Float64Array;
  /** f64[testChunks(objCount) * 2] the same on the training objective's samples. */
  readonly objParts: Float64Array;
  /** Training samples over all shards. */
  readonly shardTotal: number;
}

/** One metrics line from the evaluated arrays: sums in device / chunk order (the same for any split of the work). */
export function metricsOf(e: EvaluationInput): Metrics {
  const { n, d, testCount, evalCount, objCount } = e.meta;
  const { stats, w, zavg } = e;
  let normSq = 0;
  for (let k = 0; k < d; k++) normSq += zavg[k]! * zavg[k]!;
  const chunkSums = (parts: Float64Array, count: number): { lossSum: number; correct: number } => {
    let lossSum = 0, correct = 0;
    for (let c = 0; c < testChunks(count); c++) { lossSum += parts[2 * c]!; correct += parts[2 * c + 1]!; }
    return { lossSum, correct };
  };
  const { lossSum, correct } = chunkSums(e.testParts, testCount);
  const objective = chunkSums(e.objParts, objCount);
  let devCorrect = 0, consensus = 0, bitsSent = 0, bitsReceived = 0, dense = 0, bitsDown = 0, samples = 0, energy = 0, massW = 0, massX = 0, batchLoss = 0;
  const en = e.config.energy;
  for (let i = 0; i < n; i++) {
    const s = i * STATS;
    devCorrect += stats[s + Stat.evalCorrect]!;
    consensus += stats[s + Stat.consensus]!;
    bitsSent += stats[s + Stat.bitsSent]!;
    bitsReceived += stats[s + Stat.bitsReceived]!;
    dense += stats[s + Stat.denseBits]!;
    bitsDown += stats[s + Stat.bitsDown]!;
    samples += stats[s + Stat.samples]!;
    batchLoss += stats[s + Stat.batchLoss]!;
    energy += deviceEnergy(en, stats[s + Stat.bitsSent]!, stats[s + Stat.bitsReceived]! + stats[s + Stat.bitsDown]!, stats[s + Stat.flops]!);
    massW += w[i]!;
    massX += stats[s + Stat.massX]!;
  }
  return {
    round: e.round,
    epoch: samples / e.shardTotal,
    accuracy: correct / testCount,
    loss: lossSum / testCount,
    meanDeviceAccuracy: devCorrect / (n * evalCount),
    consensusDistance: consensus / n,
    trainLoss: objective.lossSum / objCount + (e.config.algorithm.weightDecay / 2) * normSq,
    trainAccuracy: objective.correct / objCount,
    batchLoss: e.round > 0 ? batchLoss / n : Number.NaN,
    bitsSent,
    bitsReceived,
    compressionRatio: bitsSent > 0 ? dense / bitsSent : 1,
    bitsDown,
    massX,
    massW,
    simTimeS: e.simTimeS,
    energyJ: energy,
    lr: lrAt(e.config, Math.max(0, e.round - 1)),
    wallTimeS: e.wallTimeS,
  };
}

/** z_avg's learner state: the devices' states (rows of `len`) summed in device order in f64, divided once, rounded to f32. */
export function averageOfRows(rows: Float32Array, n: number, len: number): Float32Array {
  const sum = new Float64Array(len);
  for (let i = 0; i < n; i++) for (let k = 0; k < len; k++) sum[k] += rows[i * len + k]!;
  const avg = new Float32Array(len);
  for (let k = 0; k < len; k++) avg[k] = sum[k]! / n;
  return avg;
}

/** z_avg = (sum of the reduction blocks' sums, in block order) / n, rounded once to f32. */
export function averageOfBlocks(reduce: Float64Array, n: number, d: number): Float32Array {
  const acc = new Float64Array(d);
  for (let b = 0; b < reduceBlocks(n); b++) {
    const base = b * d;
    for (let k = 0; k < d; k++) acc[k] += reduce[base + k]!;
  }
  const zavg = new Float32Array(d);
  for (let k = 0; k < d; k++) zavg[k] = acc[k]! / n;
  return zavg;
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
    private readonly watchdog: WatchdogLimits,
  ) {}

  /** The watchdog's error once a round task got stuck (the pool may hold a worker that never returns). */
  private stuck: RunError | null = null;

  get layout(): ArenaLayout { return this.arena.layout; }
  get workers(): number { return this.executor.size; }

  static async create(config: RunConfig, opts: SimulationOptions = {}): Promise<Simulation> {
    let host = opts.host;
    const nodeHost = async (): Promise<SimulationHost> => (host ??= (await import('./node-host.js')).nodeHost);
    const plan = await planRun(config, {
      workers: opts.inline ? 1 : opts.workers && opts.workers > 0 ? opts.workers : config.workers > 0 ? config.workers : (await nodeHost()).parallelism(),
      data: opts.data ?? (async () => (await nodeHost()).loadData(config, opts.onSetup)),
      partition: opts.partition,
      ...(opts.onSetup ? { onProgress: opts.onSetup } : {}),
      ...(config.init !== null ? { readModel: await (async () => {
        const h = await nodeHost();
        return h.readModel ? (path: string, layout: ParamLayout) => h.readModel!(path, layout) : undefined;
      })() } : {}),
      owned: opts.owned,
      transport: opts.transport,
    });
    const { init, meta } = plan;
    const executor = opts.inline ? new InlineExecutor(init) : (await nodeHost()).executor(init, meta.slots);
    const sim = new Simulation(config, plan.arena, meta, plan.algorithm, plan.topology, executor, plan.simd, { ...DEFAULT_WATCHDOG, ...opts.watchdog });
    // Start every worker now (runtime creation), so failures there surface before round 0.
    try { await sim.runPhase('evalGlobal', 0, splitRange(meta.n, meta.slots).map(([from]) => [from, from] as [number, number])); } catch (err) {
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
   * stages with in-task barriers; see worker/schedule.ts), so a round costs
   * one dispatch and a descheduled worker holds the others up by one chunk at most. Same results
   * as runPhase('train'), runPhase('server'), runPhase('mix') in turn, for any pool size.
   */
  async runRound(round: number, rounds = 1): Promise<PhaseResult[]> {
    const t0 = performance.now();
    const results = await this.dispatchRound(round, rounds);
    const wallMs = performance.now() - t0;
    const failed = firstRoundError(results);
    if (failed) throw reviveError(failed.error!);
    this.lastTimings.push({ phase: 'round', wallMs, ...sumTimings(results) });
    return results;
  }

  /**
   * Dispatches one `round` task of `rounds` rounds per pool worker over the held devices, under the
   * watchdog; device errors stay in the results (a stuck task rejects). `outside` counts progress
   * elsewhere that the workers may wait for (see Watchdog).
   */
  async dispatchRound(round: number, rounds = 1, outside?: () => number): Promise<PhaseResult[]> {
    const ctl = roundControl(this.arena);
    resetRoundControl(ctl);
    const size = this.executor.size;
    const { from, to } = this.meta.owned;
    const chunk = roundChunk(to - from, size);
    const tasks: PhaseTask[] = Array.from({ length: size }, () => ({ phase: 'round' as const, round, from, to, chunk, rounds, parties: size }));
    const lost = (): void => abortRound(ctl);
    if (this.stuck) throw this.stuck;
    const status = this.arena.i32('status');
    markDispatched(status, size);
    const now = (): number => performance.now();
    const dog = new Watchdog(status, size, this.watchdog, round, now(), outside);
    // A stuck worker may never return: then the round is aborted and the executor is not used again (close() still stops it).
    return watch(this.executor.run(tasks, lost), dog, (err) => { this.stuck = err; lost(); }, now);
  }

  /** Slowest device time of each round of the last `rounds`-round task, over this process's workers. */
  slowestOfTask(rounds: number): number[] {
    const slowest = this.arena.f64('slowest');
    const slots = this.meta.slots;
    const out: number[] = [];
    for (let r = 0; r < rounds; r++) {
      let max = 0;
      for (let w = 0; w < this.executor.size; w++) max = Math.max(max, slowest[r * slots + w]!);
      out.push(max);
    }
    return out;
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
      for (const max of this.slowestOfTask(k)) this.simTimeS += max;
      this.round = t + k;
      left -= k;
    }
  }

  /** Evaluates the current state (after this.round rounds). */
  async evaluate(wallTimeS: number): Promise<Metrics> {
    const { n, d, testCount, objCount, stateCount } = this.meta;
    await this.evalDevices();
    const zavg = this.arena.f32('zavg');
    zavg.set(averageOfBlocks(this.arena.f64('reduce'), n, d));
    if (stateCount > 0) this.arena.f32('stateAvg').set(averageOfRows(this.arena.f32('state'), n, stateCount));
    await this.evalGlobal([0, testChunks(testCount) + testChunks(objCount)]);
    return metricsOf({
      config: this.config, meta: this.meta, round: this.round, simTimeS: this.simTimeS, wallTimeS, zavg,
      stats: this.arena.f64('stats'), w: this.arena.f64('w'), testParts: this.arena.f64('testPart'), objParts: this.arena.f64('objPart'),
      shardTotal: this.arena.u32('shardOff')[n]!,
    });
  }

  /** Evaluation, first half: z_i of the held devices into their reduction blocks (headZ before the first block start) and their accuracy. */
  async evalDevices(): Promise<void> {
    const saved = this.lastTimings;
    this.lastTimings = [];
    await this.runPhase('evalDevices', this.round, splitDevices(this.meta.owned, this.executor.size, REDUCE_BLOCK));
    this.lastTimings = saved;
  }

  /**
   * Evaluation, second half (zavg and stateAvg in the arena): consensus terms of the held devices,
   * and z_avg's loss sums over chunks [from, to) (the test chunks, then the training objective's).
   */
  async evalGlobal(chunks: [number, number]): Promise<void> {
    const size = this.executor.size;
    const saved = this.lastTimings;
    this.lastTimings = [];
    const devices = splitDevices(this.meta.owned, size);
    const parts = splitRange(chunks[1] - chunks[0], size).map(([a, b]): [number, number] => [a + chunks[0], b + chunks[0]]);
    const count = Math.max(devices.length, parts.length);
    const pad = (list: [number, number][], k: number, at: number): [number, number] => list[k] ?? [at, at];
    await this.runPhase('evalGlobal', this.round,
      Array.from({ length: count }, (_, k) => pad(devices, k, this.meta.owned.to)),
      Array.from({ length: count }, (_, k) => pad(parts, k, chunks[1])));
    this.lastTimings = saved;
  }

  /** The network-average de-biased model of the last evaluate() (f32, d). */
  zavg(): Float32Array { return this.arena.f32('zavg').slice(); }

  /** z_avg's learner state of the last evaluate(): the devices' mean (f32, stateCount; empty when none). */
  stateAvg(): Float32Array { return this.arena.f32('stateAvg').slice(); }

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
function roundChunk(n: number, workers: number): number {
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

/** The error a sequential run would have met first among a round's results (null: none). */
export function firstRoundError<R extends Pick<PhaseResult, 'error' | 'errorDevice' | 'errorStage'>>(results: readonly R[]): R | null {
  let failed: R | null = null;
  for (const r of results) if (r.error && (!failed || before(r, failed))) failed = r;
  return failed;
}

/** Error order of a round: errors outside device hooks first, then by stage, then by device. */
function before(a: Pick<PhaseResult, 'errorDevice' | 'errorStage'>, b: Pick<PhaseResult, 'errorDevice' | 'errorStage'>): boolean {
  const sa = a.errorDevice === undefined ? -1 : (a.errorStage ?? 0);
  const sb = b.errorDevice === undefined ? -1 : (b.errorStage ?? 0);
  if (sa !== sb) return sa < sb;
  return (a.errorDevice ?? -1) < (b.errorDevice ?? -1);
}
