/**
 * The CLI's view of the training engine (src/engine/run.ts, written by the engine helper):
 * `runExperiment(config, { outDir, workers, resume, onProgress, signal })`. Loaded lazily so the
 * other subcommands (and config validation) work, and fail clearly, without it.
 */
import type { RunConfig } from '../config/types.js';
import type { MetricsRecord, RunSummaryFile } from '../report/types.js';

export interface ProgressEvent {
  round: number;
  rounds: number;
  /** Present on evaluation rounds. */
  metrics?: MetricsRecord;
}

export interface RunExperimentOptions {
  outDir: string;
  workers?: number;
  /** Resume from the checkpoints of this run directory. */
  resume?: string;
  onProgress?: (ev: ProgressEvent) => void;
  signal?: AbortSignal;
}

export type RunExperiment = (config: RunConfig, opts: RunExperimentOptions) => Promise<RunSummaryFile>;

export class EngineUnavailableError extends Error {}

const ENGINE_MODULE = '../engine/run.js';

export async function loadRunExperiment(): Promise<RunExperiment> {
  let mod: { runExperiment?: unknown };
  try {
    mod = (await import(ENGINE_MODULE)) as { runExperiment?: unknown };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('engine')) {
      throw new EngineUnavailableError('the training engine (src/engine/run.ts) is not part of this build yet');
    }
    throw err;
  }
  if (typeof mod.runExperiment !== 'function') throw new EngineUnavailableError('src/engine/run.ts does not export runExperiment');
  return mod.runExperiment as RunExperiment;
}
