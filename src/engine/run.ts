/**
 * runExperiment: one run from a resolved config to outDir/metrics.jsonl and outDir/summary.json.
 *
 * - metrics.jsonl: one line after round 0 (the starting point), every evalEvery rounds and after
 *   the last round (see Metrics in src/metrics/records.ts for the fields).
 * - config.resolved.yaml: written first (a resume rewrites it once its checkpoint is verified).
 * - model.npz (and for tfjs models model.json + weights.bin): the final z_avg and the devices'
 *   mean learner state, written after the last round, before summary.json (src/model-file).
 * - summary.json: written last and only on success.
 * - error.json: written on failure (and no summary.json); the error is rethrown.
 * - checkpoints (config.checkpoint.every > 0) in config.checkpoint.dir (relative to the working
 *   directory) or outDir/checkpoints;
 *   `resume: true` continues from the latest one and ends bit-identical to an uninterrupted run.
 *
 * Every file is replaced atomically (src/output/atomic-write.ts); the output directory must be new,
 * empty or a run directory (src/output/run-directory.ts), and it and the checkpoint directory are
 * locked for the run (src/output/run-lock.ts).
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configToYaml } from '../config/load.js';
import type { SetupListener } from '../setup-progress.js';
import type { RunConfig } from '../config/types.js';
import { CheckpointError, OutputError } from '../errors.js';
import { JsonlRecorder } from '../metrics/jsonl.js';
import type { Metrics, ProgressEvent, RunSummary, TargetRecord } from '../metrics/records.js';
import { removeStaleTemps, writeFileAtomic } from '../output/atomic-write.js';
import { ERROR_FILE, writeErrorFile } from '../output/error-file.js';
import { CONFIG_FILE, directoryState, METRICS_FILE, REPORT_FILE, SUMMARY_FILE } from '../output/run-directory.js';
import { acquireLock, LOCK_FILE, type RunLock } from '../output/run-lock.js';
import { checkpointDirectory, forgetCheckpoints, foreignCheckpointEntries, readCheckpoint, writeCheckpoint, type CheckpointState } from './checkpoint.js';
import { driveRun, summarizeRun, type DriveStart, type DrivenRun } from './drive.js';
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
  /** Progress of the set-up before round 0 (data conversion and generation, the arena fill). */
  readonly onSetup?: SetupListener;
  /** Builds the run instead of a Simulation in this process: a run over host processes (src/transport/nats). */
  readonly engine?: (config: RunConfig) => Promise<RunEngine>;
}

/** What runExperiment drives: a Simulation in this process, or a run spread over host processes. */
export interface RunEngine extends DrivenRun {
  /** The network-average model of the last evaluation, and its learner state. */
  zavg(): Float32Array;
  stateAvg(): Float32Array;
  /** Writes a checkpoint of the current state into `dir`. */
  saveCheckpoint(dir: string, wallTimeS: number, extra: Record<string, unknown>): Promise<void>;
  /** Restores the latest checkpoint of `dir` (checked as checkpoint.ts checks it). */
  loadCheckpoint(dir: string): Promise<CheckpointState>;
  /** Every host and its device range (runs over several processes). */
  readonly hosts?: RunSummary['hosts'];
  /** Ends the run (`ok`: it finished). */
  close(ok: boolean): Promise<void>;
}

/** A Simulation in this process as a RunEngine (its checkpoints read and written here). */
function localEngine(sim: Simulation): RunEngine {
  return Object.assign(sim, {
    saveCheckpoint: async (dir: string, wallTimeS: number, extra: Record<string, unknown>): Promise<void> => { writeCheckpoint(dir, sim, wallTimeS, extra); },
    loadCheckpoint: async (dir: string): Promise<CheckpointState> => readCheckpoint(dir, sim),
  });
}

/** sha256 hex of a Float32Array's bytes (little-endian on every platform Node runs on). */
export function hashParams(z: Float32Array): string {
  return createHash('sha256').update(new Uint8Array(z.buffer, z.byteOffset, z.byteLength)).digest('hex');
}

export async function runExperiment(config: RunConfig, opts: RunOptions): Promise<RunSummary> {
  const outDir = resolve(opts.outDir);
  // Only a new, empty or run directory is written to, so no file a run did not write is replaced.
  const state = directoryState(outDir);
  if (state === 'file') throw new OutputError(outDir, 'exists and is not a directory');
  if (state === 'foreign') throw new OutputError(outDir, `holds files no run wrote (${foreignEntries(outDir)}); give a new or empty output directory`);
  if (opts.resume && (state === 'absent' || state === 'empty')) throw new CheckpointError(outDir, 'resume: the directory holds no run to continue');
  const ckptDir = checkpointDirectory(config, outDir);
  // Checkpoints are touched when written, resumed from, or (fresh runs) forgotten from the run's own folder.
  const touchesCheckpoints = config.checkpoint.every > 0 || opts.resume === true || (config.checkpoint.dir === null && existsSync(ckptDir));
  const foreign = touchesCheckpoints ? foreignCheckpointEntries(ckptDir) : [];
  if (foreign.length > 0) {
    throw new OutputError(ckptDir, `holds files that are not checkpoints (${foreign.slice(0, 4).join(', ')}${foreign.length > 4 ? ', ...' : ''}); give checkpoint.dir a new or empty directory`);
  }
  const locks: RunLock[] = [];
  try {
    locks.push(acquireLock(outDir, 'output directory'));
    if (touchesCheckpoints) locks.push(acquireLock(ckptDir, 'checkpoint directory'));
    removeStaleTemps(outDir);
    return await runLocked(config, opts, outDir, touchesCheckpoints ? ckptDir : null);
  } finally {
    for (const lock of locks.reverse()) lock.release();
  }
}

/** The entries of a directory that make it foreign, for a message. */
function foreignEntries(dir: string): string {
  const entries = readdirSync(dir).filter((e) => e !== LOCK_FILE).sort();
  return `${entries.slice(0, 4).join(', ')}${entries.length > 4 ? `, ... ${entries.length} entries` : ''}`;
}

/** The run itself, with the output directory (and ckptDir, null when checkpoints are not touched) locked. */
async function runLocked(config: RunConfig, opts: RunOptions, outDir: string, ckptDir: string | null): Promise<RunSummary> {
  const recorder = new JsonlRecorder(join(outDir, METRICS_FILE));
  const started = performance.now();
  let wallBefore = 0;
  const wall = (): number => wallBefore + (performance.now() - started) / 1000;
  let sim: RunEngine | undefined;
  let ok = false;
  // A resume refused (bad checkpoint, rounds before it, ...) leaves the directory as it was: error.json
  // is written only once the run has started.
  let runStarted = !opts.resume;
  try {
    if (!opts.resume) {
      for (const f of [SUMMARY_FILE, ERROR_FILE, REPORT_FILE]) rmSync(join(outDir, f), { force: true });
      writeFileAtomic(join(outDir, CONFIG_FILE), configToYaml(config));
    }
    sim = opts.engine ? await opts.engine(config) : localEngine(await Simulation.create(config, { workers: opts.workers, data: opts.data, inline: opts.inline, onSetup: opts.onSetup }));
    let start: DriveStart = { resumed: false, toTarget: null };
    if (opts.resume) {
      const state = await sim.loadCheckpoint(ckptDir!);
      runStarted = true;
      // The checkpoint is good: from here on the run continues, and its directory says so.
      for (const f of [SUMMARY_FILE, ERROR_FILE]) rmSync(join(outDir, f), { force: true });
      writeFileAtomic(join(outDir, CONFIG_FILE), configToYaml(config));
      wallBefore = state.wallTimeS;
      const kept = recorder.truncateAfterRound(sim.round);
      // The checkpoint's own round was evaluated before the kill: it is not evaluated (and recorded) twice.
      const lastKept = kept[kept.length - 1];
      start = {
        resumed: true, toTarget: (state.extra['toTarget'] as TargetRecord | null | undefined) ?? null,
        last: lastKept && lastKept.round === sim.round ? lastKept as unknown as Metrics : null,
      };
    } else {
      recorder.reset();
      if (ckptDir) forgetCheckpoints(ckptDir);
    }
    const running = sim;
    const result = await driveRun(running, config, {
      wall,
      observe: (m) => recorder.append(m),
      onProgress: opts.onProgress,
      signal: opts.signal,
      checkpoint: (toTarget) => running.saveCheckpoint(ckptDir!, wall(), { toTarget }),
    }, start);
    const { writeModelFiles } = await import('../model-file/index.js');
    const modelFiles = await writeModelFiles(outDir, { model: config.model, inputShape: running.meta.inputShape, classes: running.meta.classes }, { params: running.zavg(), state: running.stateAvg() });
    const summarized = { ...summarizeRun(running, config, result, { version: packageVersion(), paramsHash: hashParams(running.zavg()), wallTimeS: wall() }), modelFiles };
    const summary: RunSummary = running.hosts ? { ...summarized, hosts: running.hosts } : summarized;
    writeFileAtomic(join(outDir, SUMMARY_FILE), `${JSON.stringify(summary, null, 2)}\n`);
    ok = true;
    return summary;
  } catch (err) {
    if (runStarted) writeErrorFile(outDir, err, sim?.round ?? null);
    throw err;
  } finally {
    await sim?.close(ok);
  }
}
