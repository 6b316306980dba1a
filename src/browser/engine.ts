/**
 * The engine in a browser: a Simulation whose devices run in Web Workers over one shared arena
 * (pool.ts), with datasets from browser sources (data.ts), driven by the same loop as the CLI
 * (engine/drive.ts): for the same config, the same metrics and the same paramsHash as Node, for any
 * worker count. Where the page is not cross-origin isolated the arena cannot be shared, and the
 * run goes inline (one worker: the thread that calls runInBrowser, best a Web Worker itself).
 */
import type { RunConfig } from '../config/types.js';
import { driveRun, summarizeRun } from '../engine/drive.js';
import { Simulation, type SimulationHost } from '../engine/simulation.js';
import type { Metrics, RunSummary } from '../metrics/records.js';
import { Outboxes, MessageSlot } from '../engine/worker/outbox.js';
import { loadBrowserTrainTest, type BrowserDataSources } from './data.js';
import { WebWorkerExecutor, type WebWorkerPoolOptions } from './pool.js';

export interface BrowserEngineOptions extends WebWorkerPoolOptions {
  /** Where mnist comes from (synthetic:* needs nothing). */
  readonly data?: BrowserDataSources;
}

/** True when Web Workers can share the arena (SharedArrayBuffer across threads). */
export function canShareMemory(): boolean {
  return globalThis.crossOriginIsolated === true;
}

/** The SimulationHost of a browser: Web Worker pool, navigator.hardwareConcurrency, browser data. */
export function browserHost(opts: BrowserEngineOptions = {}): SimulationHost {
  return {
    parallelism: () => Math.max(1, globalThis.navigator?.hardwareConcurrency || 1),
    executor: (init, size) => new WebWorkerExecutor(init, size, opts),
    loadData: (config) => loadBrowserTrainTest(config, opts.data ?? {}),
  };
}

/**
 * A Simulation on Web Workers (`workers` of them; default config.workers, then the core count), or
 * inline when the page is not cross-origin isolated.
 */
export async function createBrowserSimulation(config: RunConfig, opts: BrowserEngineOptions & { readonly workers?: number } = {}): Promise<Simulation> {
  // The planning thread builds the model once for x(0): tfjs models need their wasm files here too.
  if (config.model !== 'logistic' && opts.tfjsWasm !== undefined) (await import('../models/backend.js')).setWasmBinaryPrefix(opts.tfjsWasm);
  return Simulation.create(config, { host: browserHost(opts), workers: opts.workers, inline: !canShareMemory() });
}

/** One round's graph and the encoded size of what each device posted in it (0: nothing). */
export interface RoundPicture {
  readonly round: number;
  /** Out-peers per device; null for server algorithms. */
  readonly outPeers: number[][] | null;
  readonly messageBytes: number[];
}

/** The last round run by `sim` (its outboxes hold that round's messages). */
export function lastRoundPicture(sim: Simulation): RoundPicture | null {
  const round = sim.round - 1;
  if (round < 0) return null;
  const { n, outboxStride, outboxPayload } = sim.meta;
  const outboxes = new Outboxes(sim.arena.buffer, sim.arena.region('outbox').offset, n, outboxStride, outboxPayload);
  const slot = new MessageSlot();
  const messageBytes = Array.from({ length: n }, (_, j) => (outboxes.read(j, round, false, slot) ? slot.bytes.length : 0));
  const outPeers = sim.topology ? sim.topology.round(round).outPeers.map((p) => [...p]) : null;
  return { round, outPeers, messageBytes };
}

/** sha256 hex of a Float32Array's bytes (Web Crypto; the same digest as hashParams in Node). */
export async function sha256Hex(z: Float32Array): Promise<string> {
  const copy = new Uint8Array(z.byteLength);
  copy.set(new Uint8Array(z.buffer, z.byteOffset, z.byteLength));
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', copy));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export interface BrowserRunOptions extends BrowserEngineOptions {
  readonly workers?: number;
  /** The sparsepush version recorded in the summary (e.g. from 'sparsepush/package.json'). */
  readonly version: string;
  /** Every evaluation (the lines of metrics.jsonl). */
  readonly onMetrics?: (metrics: Metrics) => void;
  /** After every batch of rounds, with the simulation (e.g. lastRoundPicture). */
  readonly onBatch?: (sim: Simulation) => void | Promise<void>;
  /** Called once the workers are up, before round 0 is evaluated. */
  readonly onStart?: (sim: Simulation) => void;
  /** Aborting stops the run between batches (RunError). */
  readonly signal?: AbortSignal;
}

/** A whole run, as `sparsepush run` does it, without files: returns the summary.json object. */
export async function runInBrowser(config: RunConfig, opts: BrowserRunOptions): Promise<RunSummary> {
  const started = performance.now();
  const wall = (): number => (performance.now() - started) / 1000;
  const sim = await createBrowserSimulation(config, opts);
  try {
    opts.onStart?.(sim);
    const result = await driveRun(sim, config, {
      wall,
      observe: opts.onMetrics,
      signal: opts.signal,
      afterBatch: opts.onBatch ? () => opts.onBatch!(sim) : undefined,
    });
    return summarizeRun(sim, config, result, { version: opts.version, paramsHash: await sha256Hex(sim.zavg()), wallTimeS: wall() });
  } finally {
    await sim.close();
  }
}
