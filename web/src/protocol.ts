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

export type RunEvent =
  | { readonly kind: 'started'; readonly info: RunStarted }
  | { readonly kind: 'metrics'; readonly metrics: Metrics }
  | { readonly kind: 'round'; readonly picture: RoundPicture };

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
  run(request: RunRequest, onEvent: (event: RunEvent) => void): Promise<RunSummary>;
  /** Stops the run between rounds (run() then rejects). */
  stop(): void;
}
