/** What the page and its coordinator worker (the run's main side) exchange, through comlink. */
import type { RunConfig } from '../../src/config/types.js';
import type { RoundPicture } from '../../src/browser/engine.js';
import type { Metrics, RunSummary } from '../../src/metrics/records.js';

export type { Metrics, RunSummary };
export type { RoundPicture };

export interface RunStarted {
  readonly workers: number;
  readonly isolated: boolean;
  readonly simd: boolean;
  readonly backend: string;
  readonly params: number;
  readonly trainCount: number;
  readonly testCount: number;
}

/**
 * What the page hears of a run since the last update: the coordinator sends one update at a time
 * and collects the next while the page takes it, so a fast run never floods the page's thread.
 */
export interface RunUpdate {
  /** Once, in the first update: the run is up. */
  readonly started?: RunStarted;
  /** Every metrics line since the last update, in order. */
  readonly metrics: readonly Metrics[];
  /** The latest round run (earlier ones since the last update are dropped). */
  readonly picture?: RoundPicture;
}

/** URLs of the page's static assets, resolved by the page. */
export interface PageAssets {
  /** The binary dataset cache files of `mnist` (src/data/cache-format.ts). */
  readonly mnistTrain: string;
  readonly mnistTest: string;
  /** Folder of the tfjs wasm backend's .wasm files (mlp, lenet). */
  readonly tfjsWasm: string;
}

export interface RunRequest {
  readonly config: RunConfig;
  /** Pool size (the page resolves config.workers = 0 to the core count, and to 1 when not isolated). */
  readonly workers: number;
  readonly assets: PageAssets;
  /** sparsepush's version (summary.json). */
  readonly version: string;
}

export interface CoordinatorApi {
  /** Settles once the page has taken every update (the last metrics line comes before the end). */
  run(request: RunRequest, onUpdate: (update: RunUpdate) => void): Promise<RunSummary>;
  /** Stops the run between rounds (run() then rejects). */
  stop(): void;
}
