/**
 * The run loop and the summary of a run, shared by runExperiment (Node: files, checkpoints, resume)
 * and the browser page: evaluate round 0, run rounds in batches, evaluate every evalEvery rounds
 * and after the last one, stop early at the target accuracy. Portable: no Node built-ins.
 */
import type { RunConfig } from '../config/types.js';
import { RunError } from '../errors.js';
import { spectralGap } from '../graph/spectral.js';
import { ROUNDS_PER_TASK } from './layout.js';
import type { Metrics, ProgressEvent, RunSummary, TargetRecord } from '../metrics/records.js';
import type { Simulation } from './simulation.js';

/** Wall time a batch of rounds should take (progress and abort granularity). */
export const BATCH_TARGET_MS = 100;

export interface DriveHooks {
  /** Seconds of wall time of the run so far (a resumed run includes the time before). */
  wall(): number;
  /** Every evaluation, in order (metrics.jsonl). */
  observe?(metrics: Metrics): void;
  onProgress?(event: ProgressEvent): void;
  /** Aborting stops the run between batches (RunError). */
  readonly signal?: AbortSignal;
  /** After every batch that ends on a multiple of config.checkpoint.every (and before the last round). */
  checkpoint?(toTarget: TargetRecord | null): void | Promise<void>;
  /** After every batch, before its progress events (e.g. to look at the last round). */
  afterBatch?(): void | Promise<void>;
}

export interface DriveStart {
  /** True when the simulation was restored from a checkpoint (its round 0 line exists already). */
  readonly resumed: boolean;
  /** The target record of the run so far (a resumed run). */
  readonly toTarget: TargetRecord | null;
  /** The evaluation already recorded at the restored round, if any (a resumed run does not repeat it). */
  readonly last?: Metrics | null;
}

export interface DriveResult {
  /** The last evaluation (after the last round run). */
  readonly final: Metrics;
  readonly toTarget: TargetRecord | null;
}

/**
 * What driveRun and summarizeRun use of a run: a Simulation, or a run spread over host processes
 * (src/transport/nats/distributed.ts).
 */
export type DrivenRun = Pick<Simulation, 'round' | 'steps' | 'evaluate' | 'topology' | 'meta' | 'simd' | 'workers' | 'bitsPerDevice'>;

/**
 * Runs `sim` to config.rounds or the target accuracy. Fast rounds go out in batches (one dispatch
 * for up to ROUNDS_PER_TASK rounds) sized to take about BATCH_TARGET_MS, so progress and abort
 * still react within ~0.1 s; a batch never crosses an evaluation or a checkpoint. Results do not
 * depend on the batching.
 */
export async function driveRun(sim: DrivenRun, config: RunConfig, hooks: DriveHooks, start: DriveStart = { resumed: false, toTarget: null }): Promise<DriveResult> {
  let toTarget = start.toTarget;
  let stopped = toTarget !== null;
  let last: Metrics | undefined = start.last ?? undefined;
  const target = config.targetAccuracy;
  const observe = (m: Metrics): void => {
    last = m;
    hooks.observe?.(m);
    if (target > 0 && toTarget === null && m.accuracy >= target) {
      toTarget = { round: m.round, bitsSent: m.bitsSent, simTimeS: m.simTimeS, energyJ: m.energyJ };
      stopped = true;
    }
  };
  if (!start.resumed) observe(await sim.evaluate(hooks.wall()));

  let perRoundMs = Number.POSITIVE_INFINITY;
  while (sim.round < config.rounds && !stopped) {
    if (hooks.signal?.aborted) throw new RunError(`run aborted after round ${sim.round}`);
    const from = sim.round;
    const batch = Math.max(1, Math.min(ROUNDS_PER_TASK, Math.floor(BATCH_TARGET_MS / perRoundMs)));
    let until = Math.min(config.rounds, from + batch, (Math.floor(from / config.evalEvery) + 1) * config.evalEvery);
    if (config.checkpoint.every > 0) until = Math.min(until, (Math.floor(from / config.checkpoint.every) + 1) * config.checkpoint.every);
    const t0 = performance.now();
    await sim.steps(until - from);
    perRoundMs = (performance.now() - t0) / (until - from);
    await hooks.afterBatch?.();
    const t = sim.round;
    let metrics: Metrics | undefined;
    if (t % config.evalEvery === 0 || t === config.rounds) {
      metrics = await sim.evaluate(hooks.wall());
      observe(metrics);
    }
    if (config.checkpoint.every > 0 && t % config.checkpoint.every === 0 && t < config.rounds) await hooks.checkpoint?.(toTarget);
    for (let r = from + 1; r < t; r++) hooks.onProgress?.({ round: r, rounds: config.rounds });
    hooks.onProgress?.({ round: t, rounds: config.rounds, ...(metrics ? { metrics } : {}) });
  }
  // The final line: the last round is always evaluated (also when stopping early at the target).
  if (!last || last.round !== sim.round) observe(await sim.evaluate(hooks.wall()));
  return { final: last!, toTarget };
}

/** The summary.json object of a finished run (paramsHash and version come from the platform). */
export function summarizeRun(sim: DrivenRun, config: RunConfig, result: DriveResult, facts: { version: string; paramsHash: string; wallTimeS: number }): RunSummary {
  let gap: number | null = null;
  if (sim.topology) {
    try { gap = spectralGap(sim.topology); } catch { gap = null; }
  }
  return {
    name: config.name,
    version: facts.version,
    config,
    final: result.final,
    paramsHash: facts.paramsHash,
    backend: sim.meta.backend,
    simd: sim.simd,
    workers: sim.workers,
    wallTimeS: facts.wallTimeS,
    rounds: sim.round,
    bitsPerDevice: sim.bitsPerDevice(),
    toTarget: result.toTarget,
    spectralGap: gap,
    deviceEvalSamples: sim.meta.evalCount,
  };
}
