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
import { spectralGap } from '../graph/spectral.js';
import { JsonlRecorder } from '../metrics/jsonl.js';
import type { Metrics, ProgressEvent, RunSummary, TargetRecord } from '../metrics/records.js';
import { hasCheckpoint, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { Simulation, type SimulationOptions } from './simulation.js';
import { ROUNDS_PER_TASK } from './layout.js';
import { packageVersion } from '../package.js';

/** Wall time a batch of rounds should take (progress and abort granularity). */
const BATCH_TARGET_MS = 100;

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
    let toTarget: TargetRecord | null = null;
    let last: Metrics | undefined;
    let stopped = false;
    const target = config.targetAccuracy;
    const observe = (m: Metrics): void => {
      last = m;
      recorder.append(m);
      if (target > 0 && toTarget === null && m.accuracy >= target) {
        toTarget = { round: m.round, bitsSent: m.bitsSent, simTimeS: m.simTimeS, energyJ: m.energyJ };
        stopped = true;
      }
    };

    if (opts.resume) {
      if (!hasCheckpoint(ckptDir)) throw new RunError(`resume: no checkpoint in ${ckptDir}`);
      const state = readCheckpoint(ckptDir, sim);
      wallBefore = state.wallTimeS;
      toTarget = (state.extra['toTarget'] as TargetRecord | null | undefined) ?? null;
      recorder.truncateAfterRound(sim.round);
      if (toTarget) stopped = true;
    } else {
      recorder.reset();
      rmSync(join(ckptDir, 'LATEST'), { force: true });
      observe(await sim.evaluate(wall()));
    }

    // Fast rounds go out in batches (one dispatch for up to ROUNDS_PER_TASK rounds) sized to take
    // about BATCH_TARGET_MS, so progress and abort still react within ~0.1 s; a batch never crosses
    // an evaluation or a checkpoint. Results do not depend on the batching.
    let perRoundMs = Number.POSITIVE_INFINITY;
    while (sim.round < config.rounds && !stopped) {
      if (opts.signal?.aborted) throw new RunError(`run aborted after round ${sim.round}`);
      const from = sim.round;
      const batch = Math.max(1, Math.min(ROUNDS_PER_TASK, Math.floor(BATCH_TARGET_MS / perRoundMs)));
      let until = Math.min(config.rounds, from + batch, (Math.floor(from / config.evalEvery) + 1) * config.evalEvery);
      if (config.checkpoint.every > 0) until = Math.min(until, (Math.floor(from / config.checkpoint.every) + 1) * config.checkpoint.every);
      const t0 = performance.now();
      await sim.steps(until - from);
      perRoundMs = (performance.now() - t0) / (until - from);
      const t = sim.round;
      let metrics: Metrics | undefined;
      if (t % config.evalEvery === 0 || t === config.rounds) {
        metrics = await sim.evaluate(wall());
        observe(metrics);
      }
      if (config.checkpoint.every > 0 && t % config.checkpoint.every === 0 && t < config.rounds) {
        writeCheckpoint(ckptDir, sim, wall(), { toTarget });
      }
      for (let r = from + 1; r < t; r++) opts.onProgress?.({ round: r, rounds: config.rounds });
      opts.onProgress?.({ round: t, rounds: config.rounds, ...(metrics ? { metrics } : {}) });
    }
    // The final line: the last round is always evaluated (also when stopping early at the target).
    if (!last || last.round !== sim.round) observe(await sim.evaluate(wall()));
    const final = last!;
    let gap: number | null = null;
    if (sim.topology) {
      try { gap = spectralGap(sim.topology); } catch { gap = null; }
    }
    const summary: RunSummary = {
      name: config.name,
      version: packageVersion(),
      config,
      final,
      paramsHash: hashParams(sim.zavg()),
      backend: sim.meta.backend,
      simd: sim.simd,
      workers: sim.workers,
      wallTimeS: wall(),
      rounds: sim.round,
      bitsPerDevice: sim.bitsPerDevice(),
      toTarget,
      spectralGap: gap,
      deviceEvalSamples: sim.meta.evalCount,
    };
    writeFileSync(summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
    return summary;
  } catch (err) {
    writeFileSync(errorFile, `${JSON.stringify(errorRecord(err, sim?.round ?? null), null, 2)}\n`);
    throw err;
  } finally {
    await sim?.close();
  }
}
