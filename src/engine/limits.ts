/**
 * Limits before work: the memory a run will need, estimated from its config before anything is
 * allocated, against what this process may use. A run that cannot fit is refused up front with a
 * ConfigError naming the estimate, the limit and the largest device count that fits, instead of
 * ending minutes later in an out-of-memory abort.
 *
 * Three budgets, each estimated from below (what the run allocates at least, so a run that fits is
 * never refused):
 *   arena  the shared WebAssembly memory (planArena's layout; wasm32 caps it at 4 GiB)
 *   heap   JavaScript objects: the communication graph's round graphs and per-device lists
 *          (V8's heap limit, node --max-old-space-size)
 *   host   everything: the arena, the datasets as loaded (typed arrays) and the heap (the
 *          machine's memory, src/host-memory.ts)
 *
 * Portable (no Node built-ins): the planning code of a browser twin checks the same way.
 */
import { MAX_PAGES, PAGE_BYTES } from '../arena/arena.js';
import { createAlgorithm } from '../algorithms/registry.js';
import type { RunConfig } from '../config/types.js';
import { parseDataSpec } from '../data/spec.js';
import { ConfigError } from '../errors.js';
import { graphFootprint, type GraphFootprint } from '../graph/footprint.js';
import { parseTopologySpec } from '../graph/registry.js';
import { hostMemory } from '../host-memory.js';
import { logisticParamCount } from '../models/logistic.js';
import { formatBytes } from '../output/format.js';
import { deviceEvalCount, planArena, planSlot, TRAIN_OBJECTIVE_MAX } from './layout.js';
import type { DeviceRange } from './protocol.js';

export interface MemoryLimits {
  readonly arenaBytes: number;
  readonly heapBytes: number;
  readonly hostBytes: number;
}

/** The wasm32 maximum: the kernel module declares MAX_PAGES pages. */
export const ARENA_LIMIT_BYTES = MAX_PAGES * PAGE_BYTES;

export function memoryLimits(): MemoryLimits {
  const h = hostMemory();
  return { arenaBytes: ARENA_LIMIT_BYTES, heapBytes: h.heapBytes, hostBytes: h.hostBytes };
}

/** Heap bytes per device outside the graph: at least its shard list entry and its float64 data fraction. */
const HEAP_BYTES_PER_DEVICE = 16;

/** What is known of the datasets before loading them (sizes as loaded, before data.limit). */
export interface DataFacts {
  readonly trainCount: number;
  readonly testCount: number;
  readonly features: number;
  readonly classes: number;
}

/** Dataset sizes a spec states (synthetic:N,D,C); null for sources whose size is known only once read. */
export function dataFactsFromConfig(config: RunConfig): DataFacts | null {
  let train;
  try { train = parseDataSpec(config.data.train); } catch { return null; }
  if (train.kind !== 'synthetic') return null;
  let testCount = train.count; // the synthetic test split has N fresh samples
  if (config.data.test !== null) {
    let test;
    try { test = parseDataSpec(config.data.test); } catch { return null; }
    if (test.kind !== 'synthetic') return null;
    testCount = test.count;
  }
  return { trainCount: train.count, testCount, features: train.dims, classes: train.classes };
}

export interface RunEstimate {
  readonly arenaBytes: number;
  readonly heapBytes: number;
  readonly hostBytes: number;
  /** The communication graph (decentralized algorithms). */
  readonly graph: GraphFootprint | null;
  /** The datasets as loaded (host typed arrays). */
  readonly dataBytes: number;
}

/**
 * Lower-bound memory of a run of `config` on n devices (data: what is known of the datasets), in a
 * process holding the models of `owned` (all n; a host of a multi-host run: its range).
 */
export function estimateRun(config: RunConfig, n: number, data: DataFacts | null, owned: DeviceRange = { from: 0, to: n }): RunEstimate {
  const server = createAlgorithm(config.algorithm.name).kind === 'server';
  const train = data ? Math.min(data.trainCount, config.data.limit > 0 ? config.data.limit : data.trainCount) : 0;
  const test = data?.testCount ?? 0;
  const features = data?.features ?? 0;
  // The model dimension: exact for logistic; at least 1 for a model not built yet.
  const d = data && config.model === 'logistic' ? logisticParamCount(features, data.classes) : 1;
  const slot = planSlot({ d, vectors: 1, batchSize: config.algorithm.batchSize, features, gatherBatch: false, learnerBytes: 0, compressorBytes: 0 });
  const arena = planArena({
    n, owned, d, stateCount: 0, deviceVectors: [], server, serverVectors: [], outboxPayload: 0, serverOutboxPayload: 0,
    trainCount: train, testCount: test, features, shardTotal: train, evalCount: deviceEvalCount(test, n),
    objCount: Math.min(train, TRAIN_OBJECTIVE_MAX), slots: 1, slot,
  }).totalBytes;
  const graph = server ? null : graphFootprint(parseTopologySpec(config.topology), n);
  const heap = (graph ? graph.bytesPerRound * graph.cachedRounds : 0) + n * HEAP_BYTES_PER_DEVICE;
  const dataBytes = data ? (data.trainCount + data.testCount) * (4 * data.features + 1) : 0;
  return { arenaBytes: arena, heapBytes: heap, hostBytes: arena + heap + dataBytes, graph, dataBytes };
}

function fits(e: RunEstimate, limits: MemoryLimits): boolean {
  return e.arenaBytes <= limits.arenaBytes && e.heapBytes <= limits.heapBytes && e.hostBytes <= limits.hostBytes;
}

/** Largest m in [lo, n) with fitsAt(m), or 0 when none (fitsAt is monotone: more devices never need less). */
export function largestFitting(lo: number, n: number, fitsAt: (m: number) => boolean): number {
  if (n <= lo || !fitsAt(lo)) return 0;
  let good = lo;
  let bad = n;
  while (bad - good > 1) {
    const mid = Math.floor((good + bad) / 2);
    if (fitsAt(mid)) good = mid; else bad = mid;
  }
  return good;
}

/** What a suggestion sees: the refused run, what it needs, what fits. */
export interface LimitContext {
  readonly config: RunConfig;
  readonly devices: number;
  /** Largest device count that fits this process (0: none). */
  readonly fittingDevices: number;
  readonly estimate: RunEstimate;
  readonly limits: MemoryLimits;
}

/** One way out of a refused run, as a phrase ("use at most 1200 devices"), or null when it does not apply. */
export type ScaleOutSuggestion = (ctx: LimitContext) => string | null;

/**
 * What a refusal suggests besides fewer devices (its message already names how many fit), in order. Ways to spread a run over several processes or hosts add
 * themselves here (registerScaleOutSuggestion) and are offered with the others.
 */
const suggestions: ScaleOutSuggestion[] = [
  (c) => (c.fittingDevices === 0 && c.estimate.dataBytes > 0 ? 'use fewer samples (data.limit) or fewer features' : null),
  (c) => (c.config.model !== 'logistic' ? 'use a smaller model' : null),
  (c) => (c.estimate.graph && c.estimate.graph.edgesPerRound > 8 * c.devices ? `use a sparser topology than '${c.config.topology}' (e.g. exponential:1)` : null),
];

/** Adds a suggestion (after the built-in ones); returns a function that removes it again. */
export function registerScaleOutSuggestion(s: ScaleOutSuggestion): () => void {
  suggestions.push(s);
  return () => {
    const at = suggestions.indexOf(s);
    if (at >= 0) suggestions.splice(at, 1);
  };
}

function suggestionText(ctx: LimitContext): string {
  const list = suggestions.map((s) => s(ctx)).filter((s): s is string => s !== null);
  return list.length === 0 ? '' : `; ${list.join(', or ')}`;
}

/** `17.5 GiB of arena (limit 4.00 GiB, the wasm32 maximum)`, for each budget the estimate exceeds. */
function overLimits(e: RunEstimate, limits: MemoryLimits): string {
  const over: string[] = [];
  if (e.arenaBytes > limits.arenaBytes) over.push(`${formatBytes(e.arenaBytes)} of arena (limit ${formatBytes(limits.arenaBytes)}, the wasm32 maximum)`);
  if (e.heapBytes > limits.heapBytes) {
    const graph = e.graph ? `, the communication graph's ${e.graph.edgesPerRound.toExponential(2)} edges per round` : '';
    over.push(`${formatBytes(e.heapBytes)} of JavaScript heap${graph} (limit ${formatBytes(limits.heapBytes)}, node --max-old-space-size)`);
  }
  if (e.hostBytes > limits.hostBytes) over.push(`${formatBytes(e.hostBytes)} of memory in all (limit ${formatBytes(limits.hostBytes)}, this machine's)`);
  return over.join(' and ');
}

/**
 * The reason a run of `config` cannot fit this process, as a ConfigError naming devices (or
 * data.train when even the fewest devices do not fit); null when it may fit.
 */
export function runMemoryProblem(config: RunConfig, limits: MemoryLimits = memoryLimits(), data: DataFacts | null = dataFactsFromConfig(config), owned?: DeviceRange): ConfigError | null {
  const n = config.devices;
  const estimate = estimateRun(config, n, data, owned);
  if (fits(estimate, limits)) return null;
  if (owned && (owned.from !== 0 || owned.to !== n)) return rangeProblem(owned, n, overLimits(estimate, limits));
  const fewest = createAlgorithm(config.algorithm.name).kind === 'server' ? 1 : 2;
  const fittingDevices = largestFitting(fewest, n, (m) => fits(estimateRun(config, m, data), limits));
  const ctx: LimitContext = { config, devices: n, fittingDevices, estimate, limits };
  const need = `${n} devices need an estimated ${overLimits(estimate, limits)}`;
  if (fittingDevices === 0 && estimate.dataBytes > 0) {
    return new ConfigError('data.train', `${need}, and even ${fewest} devices would not fit${suggestionText(ctx)}`);
  }
  return new ConfigError('devices', `${need}; ${fittingDevices > 0 ? `at most ${fittingDevices} devices fit` : 'no device count fits'}${suggestionText(ctx)}`);
}

/** Throws runMemoryProblem's ConfigError, if any. */
export function checkRunMemory(config: RunConfig, limits?: MemoryLimits, data?: DataFacts | null, owned?: DeviceRange): void {
  const problem = runMemoryProblem(config, limits, data, owned);
  if (problem) throw problem;
}

/** A host's device range that does not fit its process (a multi-host run): more hosts hold fewer devices each. */
function rangeProblem(owned: DeviceRange, n: number, over: string): ConfigError {
  return new ConfigError('hosts', `devices ${owned.from}..${owned.to - 1} of ${n} on one host need an estimated ${over}: spread the run over more hosts`);
}

/**
 * The exact check once the arena is planned: refuses a layout above the arena limit, naming its
 * size and the largest device count whose layout (`layoutBytes(m)`) fits.
 */
export function checkArenaLayout(config: RunConfig, totalBytes: number, layoutBytes: (devices: number) => number, limits: MemoryLimits = memoryLimits(), owned?: DeviceRange): void {
  if (totalBytes <= limits.arenaBytes) return;
  const n = config.devices;
  if (owned && (owned.from !== 0 || owned.to !== n)) throw rangeProblem(owned, n, `${formatBytes(totalBytes)} of arena (limit ${formatBytes(limits.arenaBytes)}, the wasm32 maximum)`);
  const fewest = createAlgorithm(config.algorithm.name).kind === 'server' ? 1 : 2;
  const fittingDevices = largestFitting(fewest, n, (m) => layoutBytes(m) <= limits.arenaBytes);
  const estimate: RunEstimate = { arenaBytes: totalBytes, heapBytes: 0, hostBytes: totalBytes, graph: null, dataBytes: 0 };
  const ctx: LimitContext = { config, devices: n, fittingDevices, estimate, limits };
  const what = `the arena of ${n} devices needs ${formatBytes(totalBytes)}, above its ${formatBytes(limits.arenaBytes)} limit (the wasm32 maximum)`;
  if (fittingDevices === 0) throw new ConfigError('data.train', `${what}, even with ${fewest} devices: the datasets or the model are too large${suggestionText({ ...ctx, estimate: { ...estimate, dataBytes: totalBytes } })}`);
  throw new ConfigError('devices', `${what}; at most ${fittingDevices} devices fit${suggestionText(ctx)}`);
}
