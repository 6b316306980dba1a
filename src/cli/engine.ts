/**
 * The CLI's view of the training engine (src/engine/run.ts): `runExperiment(config, { outDir,
 * workers, resume, onProgress, onSetup, signal })`. Loaded lazily so `config`, `compare`, `--help` and config
 * validation start fast and never touch workers or datasets.
 *
 * `RunExperiment` is the subset the CLI uses (tests substitute a fake engine); the assertion
 * below keeps it in step with the engine's own signature.
 */
import type { RunConfig } from '../config/types.js';
import type { runExperiment as engineRunExperiment, RunEngine } from '../engine/run.js';
import type { MetricsRecord, ProgressEvent as EngineProgressEvent, RunSummaryFile } from '../metrics/records.js';
import type { SetupProgress } from '../setup-progress.js';

/** The engine's progress event as the CLI reads it (metrics in their read-back form). */
export type ProgressEvent = Omit<EngineProgressEvent, 'metrics'> & { readonly metrics?: MetricsRecord };

export interface RunExperimentOptions {
  outDir: string;
  workers?: number;
  /** Continue from the latest checkpoint of the run in outDir. */
  resume?: boolean;
  onProgress?: (ev: ProgressEvent) => void;
  /** Progress of the set-up before round 0. */
  onSetup?: (p: SetupProgress) => void;
  signal?: AbortSignal;
  /** Runs the config on host processes instead of here (sparsepush run --nats). */
  engine?: (config: RunConfig) => Promise<RunEngine>;
}

export type RunExperiment = (config: RunConfig, opts: RunExperimentOptions) => Promise<RunSummaryFile>;

// Compile-time: the engine's runExperiment can be used where the CLI expects a RunExperiment.
type Assignable<T extends U, U> = T;
export type EngineFitsCli = Assignable<typeof engineRunExperiment, RunExperiment>;

class EngineUnavailableError extends Error {}

export async function loadRunExperiment(): Promise<RunExperiment> {
  try {
    const mod = await import('../engine/run.js');
    return mod.runExperiment;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      throw new EngineUnavailableError(`the training engine cannot be loaded: ${(err as Error).message}`);
    }
    throw err;
  }
}
