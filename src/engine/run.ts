/**
 * runExperiment: one run from a resolved config to outDir/metrics.jsonl and outDir/summary.json.
 *
 * - metrics.jsonl: one line after round 0 (the starting point), every evalEvery rounds and after
 *   the last round (see Metrics in src/metrics/records.ts for the fields).
 * - summary.json: written last and only on success.
 * - error.json: written on failure (and no summary.json); the error is rethrown.
 * - checkpoints (config.checkpoint.every > 0) in config.checkpoint.dir (relative to the working
 *   directory) or outDir/checkpoints;
 *   `resume: true` continues from the latest one and ends bit-identical to an uninterrupted run.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config/types.js';
import { RunError, SparsepushError } from '../errors.js';
import { JsonlRecorder } from '../metrics/jsonl.js';
import type { ProgressEvent, RunSummary, TargetRecord } from '../metrics/records.js';
import { hasCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { driveRun, summarizeRun, type DriveStart } from './drive.js';
import { Simulation, type SimulationOptions } from './simulation.js';
import { packageVersion } from '../package.js';

export type { Metrics, ProgressEvent, RunSummary, TargetRecord } from '../metrics/records.js';

export interface RunOptions {
  readonly outDir: string;
  /** Pool size (overrides config.workers; default: config.workers, then os.availableParallelism()). */
  readonly workers?: number;
  /** Continue from the latest checkpoint in the checkpoint directory. */
  readonly resume?: boolean;
  readonly onProgress?: (ev: ProgressEvent) => void;
  /** Aborting stops the run between rounds (RunError, error.json written). */
  readonly signal?: AbortSignal;
  /** Datasets instead of config.data (library use, benchmarks, tests). */
  readonly data?: SimulationOptions['data'];
  /** Run the phases in this thread instead of a worker pool. */
  readonly inline?: boolean;
}

/** sha256 hex of a Float32Array's bytes (little-endian on every platform Node runs on). */
export function hashParams(z: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(z.buffer, z.byteOffset, z.byteLength)).digest('hex');
}

function errorRecord(err: unknown, round: number | null): Record<string, unknown> {
  const e = err instanceof Error ? err : new Error(String(err));
  const typed = e as SparsepushError & { key?: string; file?: string; spec?: string };
  return {
    name: e.name, code: err instanceof SparsepushError ? typed.code : 'E_INTERNAL', message: e.message,
    ...(typed.key !== undefined ? { key: typed.key } : {}), ...(typed.file !== undefined ? { file: typed.file } : {}),
    ...(typed.spec !== undefined ? { spec: typed.spec } : {}), round,
  };
}

export async function runExperiment(config: RunConfig, opts: RunOptions): Promise<RunSummary> {
  const outDir = resolve(opts.outDir);
  mkdirSync(outDir, { recursive: true });
  const summaryFile = join(outDir, 'summary.json');
  const errorFile = join(outDir, 'error.json');
  rmSync(summaryFile, { force: true });
  rmSync(errorFile, { force: true });
  // Default inside the run directory; a configured path is taken relative to the working directory.
  const ckptDir = config.checkpoint.dir === null ? join(outDir, 'checkpoints') : resolve(config.checkpoint.dir);
  const recorder = new JsonlRecorder(join(outDir, 'metrics.jsonl'));
  const started = performance.now();
  let wallBefore = 0;
  const wall = (): number => wallBefore + (performance.now() - started) / 1000;
  let sim: Simulation | undefined;
  try {
    sim = await Simulation.create(config, { workers: opts.workers, data: opts.data, inline: opts.inline });
    let start: DriveStart = { resumed: false, toTarget: null };
    if (opts.resume) {
      if (!hasCheckpoint(ckptDir)) throw new RunError(`resume: no checkpoint in ${ckptDir}`);
      const state = readCheckpoint(ckptDir, sim);
      wallBefore = state.wallTimeS;
      start = { resumed: true, toTarget: (state.extra['toTarget'] as TargetRecord | null | undefined) ?? null };
      recorder.truncateAfterRound(sim.round);
    } else {
      recorder.reset();
      rmSync(join(ckptDir, 'LATEST'), { force: true });
    }
    const running = sim;
    const result = await driveRun(running, config, {
      wall,
      observe: (m) => recorder.append(m),
      onProgress: opts.onProgress,
      signal: opts.signal,
      checkpoint: (toTarget) => writeCheckpoint(ckptDir, running, wall(), { toTarget }),
    }, start);
    const summary = summarizeRun(running, config, result, { version: packageVersion(), paramsHash: hashParams(running.zavg()), wallTimeS: wall() });
    writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } catch (err) {
    writeFileSync(errorFile, `${JSON.stringify(errorRecord(err, sim?.round ?? null), null, 2)}\n`);
    throw err;
  } finally {
    await sim?.close();
  }
}
