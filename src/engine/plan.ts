/**
 * Planning a run, before any worker starts: validates the config against the pieces (algorithm,
 * topology, data), sizes the learner, the outboxes and the per-worker scratch from every
 * compressor in use, lays out the arena and fills it (datasets, shards, initial models, the
 * algorithm's initial vectors). The result is what the workers are built from (WorkerInit) and
 * what the Simulation drives.
 *
 * Portable: no Node built-ins. Datasets come from the caller (a loader function, so config errors
 * are still reported before any data is read); the main thread of a browser twin plans the same way.
 */
import { Arena, KERNEL_RESERVED_BYTES, ScratchAllocator } from '../arena/arena.js';
import { createAlgorithm } from '../algorithms/registry.js';
import type { Algorithm, StateVector } from '../algorithms/types.js';
import { fillInitialVector } from '../algorithms/common.js';
import { createCompressorSync } from '../compress/registry.js';
import type { RunConfig } from '../config/types.js';
import { partition } from '../data/partition/index.js';
import type { Dataset, Partition } from '../data/types.js';
import { ConfigError, DataError, GraphError, RunError, SpecError } from '../errors.js';
import { assertStronglyConnected } from '../graph/connectivity.js';
import { createTopology } from '../graph/registry.js';
import type { Topology } from '../graph/types.js';
import { compileKernels, createSharedMemory, instantiateKernels } from '../kernels/index.js';
import { logisticFlopsPerSample, logisticParamCount, logisticScratchBytes } from '../models/logistic.js';
import type { Learner, ParamLayout } from '../models/types.js';
import type { ModelValues } from '../model-file/values.js';
import { layoutOfModel } from '../model-file/layout.js';
import { setupStage, type SetupListener } from '../setup-progress.js';
import {
  deviceEvalCount, EVAL_SUBSET_SEED, OBJECTIVE_SUBSET_SEED, planArena, planSlot, subsetRows, TRAIN_OBJECTIVE_MAX,
  type LayoutInput,
} from './layout.js';
import { checkArenaLayout, checkRunMemory, dataFactsFromConfig, memoryLimits, type DataFacts, type MemoryLimits } from './limits.js';
import { algorithmSetup } from './setup.js';
import type { DeviceRange, EngineMeta, WorkerInit } from './protocol.js';

/** A run's training and test sets. */
export interface TrainTest { readonly train: Dataset; readonly test: Dataset }

export interface PlanOptions {
  /** Worker slots to plan (the pool size; capped at the device count). */
  readonly workers: number;
  /** The datasets, or how to load them (called after the config checks that need no data). */
  readonly data: TrainTest | (() => Promise<TrainTest>);
  /** Precomputed partition of data.train (default: partition(config.data.partition, config.data.volume)). */
  readonly partition?: Partition;
  /** Memory this run may use (default: this process's, src/engine/limits.ts). */
  readonly limits?: MemoryLimits;
  /** Progress of the arena fill. */
  readonly onProgress?: SetupListener;
  /** Reads config.init into the model's layout (absent: this host cannot read model files). */
  readonly readModel?: (path: string, layout: ParamLayout) => Promise<ModelValues>;
  /** Devices this process holds and trains (default: all; a host of a multi-host run: its range). */
  readonly owned?: DeviceRange;
  /** The workers' exchange (src/transport registry name; default `local`). */
  readonly transport?: string;
}

/** A planned and filled arena and everything the workers are built from. */
export interface RunPlan {
  readonly algorithm: Algorithm;
  /** The communication graph (decentralized algorithms; null for server algorithms). */
  readonly topology: Topology | null;
  readonly arena: Arena;
  readonly meta: EngineMeta;
  readonly init: WorkerInit;
  /** True when the SIMD kernel build runs. */
  readonly simd: boolean;
  /** What the layout was planned from (planArena of it with another `owned` range gives that range's layout). */
  readonly layoutInput: LayoutInput;
}

function factsOf(data: TrainTest): DataFacts {
  return { trainCount: data.train.count, testCount: data.test.count, features: data.train.features, classes: data.train.classes };
}

function asTopologyError(err: unknown): never {
  // Already about the right key: the topology itself, or a device count it cannot hold.
  if (err instanceof ConfigError && (err.key === 'topology' || err.key === 'devices')) throw err;
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

/** Validates, sizes, lays out and fills the arena of a run of `config`. */
export async function planRun(config: RunConfig, opts: PlanOptions): Promise<RunPlan> {
  const algorithm = createAlgorithm(config.algorithm.name);
  const n = config.devices;
  if (!Number.isInteger(n) || n < 1) throw new ConfigError('devices', `expected a positive integer, got ${n}`);
  if (algorithm.kind === 'decentralized' && n < 2) throw new ConfigError('devices', `${algorithm.name} is decentralized and needs at least 2 devices, got ${n}`);
  if (!Number.isInteger(config.algorithm.batchSize) || config.algorithm.batchSize < 1) throw new ConfigError('algorithm.batchSize', `expected a positive integer, got ${config.algorithm.batchSize}`);
  if (!Number.isInteger(config.algorithm.localSteps) || config.algorithm.localSteps < 1) throw new ConfigError('algorithm.localSteps', `expected a positive integer, got ${config.algorithm.localSteps}`);
  if (!(config.algorithm.lr >= 0)) throw new ConfigError('algorithm.lr', `expected a number >= 0, got ${config.algorithm.lr}`);

  const owned = opts.owned ?? { from: 0, to: n };
  if (!Number.isInteger(owned.from) || !Number.isInteger(owned.to) || owned.from < 0 || owned.to > n || owned.from > owned.to) {
    throw new RunError(`device range [${owned.from}, ${owned.to}) is not inside [0, ${n})`);
  }
  if (algorithm.kind === 'server' && (owned.from !== 0 || owned.to !== n)) {
    throw new ConfigError('algorithm.name', `${algorithm.name} is a server algorithm: its server reads every device's message, so one process holds all ${n} devices (multi-host runs take decentralized algorithms)`);
  }

  // Refuse a run that cannot fit before building its graph or loading its data.
  const limits = opts.limits ?? memoryLimits();
  checkRunMemory(config, limits, typeof opts.data === 'function' ? dataFactsFromConfig(config) : factsOf(opts.data), owned);

  let topology: Topology | null = null;
  if (algorithm.kind === 'decentralized') {
    try {
      topology = createTopology(config.topology, n, { seed: config.seed, heapBytes: limits.heapBytes });
      assertStronglyConnected(topology);
    } catch (err) { asTopologyError(err); }
  }

  // Data.
  const { train, test } = typeof opts.data === 'function' ? await opts.data() : opts.data;
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
  if (config.init !== null) {
    if (!opts.readModel) throw new ConfigError('init', 'this host cannot read model files');
    const layout = await layoutOfModel({ model: config.model, inputShape: train.shape, classes });
    try {
      ({ params: initParams.params, state: initParams.state } = await opts.readModel(config.init, layout));
    } catch (err) {
      if (err instanceof DataError) throw new ConfigError('init', err.message);
      throw err;
    }
  }

  const shardOff = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) shardOff[i + 1] = shardOff[i]! + parts.shards[i]!.length;
  const setup = algorithmSetup(config, d, n, topology, shardOff);
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
  const payloadSpecs = new Map<string, readonly string[]>(); // a device's streams, keyed by their list
  for (let i = 0; i < n; i++) {
    deviceSpecs.add(algorithm.compressorSpec(setup, i));
    const streams = algorithm.streamSpecs?.(setup, i);
    if (streams) {
      payloadSpecs.set(streams.join('|'), streams);
      for (const spec of streams) deviceSpecs.add(spec);
    }
  }
  let outboxPayload = 0;
  let compressorBytes = 0;
  let noneBytes = 0;
  const encoded = new Map<string, number>();
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
    encoded.set(spec, enc);
  }
  for (const streams of payloadSpecs.values()) {
    outboxPayload = Math.max(outboxPayload, streams.reduce((sum, spec) => sum + encoded.get(spec)!, 0));
  }

  const size = Math.max(1, Math.min(opts.workers, n));
  const evalCount = deviceEvalCount(test.count, n);
  const objCount = Math.min(train.count, TRAIN_OBJECTIVE_MAX);
  const algVectors = (list: readonly { name: string; length?: number }[]) => list.map((v) => ({ name: v.name, length: v.length ?? d }));
  const deviceVectors = algVectors(algorithm.deviceVectors(setup));
  const serverVectors = algVectors(algorithm.serverVectors(setup));
  const slot = planSlot({
    d, vectors: algorithm.scratchVectors + 1, batchSize: config.algorithm.batchSize, features: train.features,
    gatherBatch: !native, learnerBytes, compressorBytes,
  });
  const layoutInput: LayoutInput = {
    n, owned, d, stateCount, deviceVectors, server: algorithm.kind === 'server', serverVectors,
    outboxPayload, serverOutboxPayload: noneBytes, trainCount: train.count, testCount: test.count,
    features: train.features, shardTotal, evalCount, objCount, slots: size, slot,
  };
  const layoutFor = (devices: number) => planArena({
    ...layoutInput, n: devices, owned: { from: 0, to: devices }, evalCount: deviceEvalCount(test.count, devices), slots: Math.min(size, devices),
  });
  const layout = planArena(layoutInput);
  checkArenaLayout(config, layout.totalBytes, (devices) => layoutFor(devices).totalBytes, limits, owned);
  const arena = Arena.create(layout);
  const meta: EngineMeta = {
    n, owned, d, stateCount, features: train.features, classes, inputShape: [...train.shape], flopsPerSample,
    trainCount: train.count, testCount: test.count, evalCount, objCount,
    outboxStride: layout.regions['outbox']!.bytes / n, outboxPayload,
    slots: size, slot, noneBytes, backend,
  };

  fillArena(arena, meta, train, test, parts, initParams, deviceVectors.length ? algorithm.deviceVectors(setup) : [], algorithm.kind === 'server' ? algorithm.serverVectors(setup) : [], opts.onProgress);

  const init: WorkerInit = { memory: arena.memory, module, layout, config, meta, ...(opts.transport ? { transport: opts.transport } : {}) };
  return { algorithm, topology, arena, meta, init, simd, layoutInput };
}

/** The samples subsetRows(data.count, count, seed) of data into (x, y). */
function copySubset(data: Dataset, count: number, seed: number, x: Float32Array, y: Uint8Array): void {
  const f = data.features;
  const rows = subsetRows(data.count, count, seed);
  rows.forEach((r, k) => { x.set(data.x.subarray(r * f, (r + 1) * f), k * f); y[k] = data.y[r]!; });
}

/** Copies data, shards and the initial model into a fresh arena. */
function fillArena(
  arena: Arena, meta: EngineMeta, train: Dataset, test: Dataset, parts: Partition,
  init: { params: Float32Array; state: Float32Array },
  deviceVectors: readonly StateVector[],
  serverVectors: readonly StateVector[],
  onProgress?: SetupListener,
): void {
  const { n, d, features, stateCount } = meta;
  const { from, to } = meta.owned;
  const report = setupStage(onProgress, `filling the arena (${(arena.layout.totalBytes / 2 ** 20).toFixed(0)} MiB)`, to - from, 'devices');
  arena.f32('trainX').set(train.x.subarray(0, train.count * features));
  arena.u8('trainY').set(train.y.subarray(0, train.count));
  arena.f32('testX').set(test.x.subarray(0, test.count * features));
  arena.u8('testY').set(test.y.subarray(0, test.count));
  // Fixed seeded subsets (ascending indices): every device is judged on the same test samples,
  // and every run's training objective is taken over the same training samples.
  if (arena.has('evalX')) copySubset(test, meta.evalCount, EVAL_SUBSET_SEED, arena.f32('evalX'), arena.u8('evalY'));
  if (arena.has('objX')) copySubset(train, meta.objCount, OBJECTIVE_SUBSET_SEED, arena.f32('objX'), arena.u8('objY'));
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
  // Held regions: row i - from holds device i.
  const x = arena.f32('x');
  const st = stateCount > 0 ? arena.f32('state') : null;
  const copies = deviceVectors.filter((v) => v.init === 'x').map((v) => ({ v, r: arena.f32(`dev.${v.name}`), len: v.length ?? d }));
  // Device by device (each device's slices are its own), so progress advances evenly.
  for (let i = from; i < to; i++) {
    const row = i - from;
    x.set(init.params, row * d);
    st?.set(init.state, row * stateCount);
    for (const { v, r, len } of copies) fillInitialVector(v, i, init.params, r.subarray(row * len, (row + 1) * len));
    if ((row + 1) % 256 === 0) report(row + 1);
  }
  report(to - from);
  if (arena.has('srv.x')) arena.f32('srv.x').set(init.params);
  for (const v of serverVectors) fillInitialVector(v, 0, init.params, arena.f32(`srv.${v.name}`).subarray(0, v.length ?? d));
}
