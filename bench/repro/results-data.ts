/**
 * The committed data behind docs/RESULTS.md: what a study's runs leave in docs/results/, and how it
 * is read back to recompute every table and every number of the text.
 *
 * Per study and mode, docs/results/<study>/<mode>/ holds
 *   runs.jsonl   one line per run: {"id", "summary" (its summary.json), "metrics", "kept"}
 *   study.json   how the runs were made: invocation, machine, commit, runtimes, run ids, and the
 *                raw measurements that are not runs (the scale study's engine benchmark)
 *   commands.sh  the exact commands, in order (the only copy of them)
 * and docs/results/tune/exploration/runs.jsonl holds runs made outside any study script.
 *
 * A run keeps the evaluations (metrics.jsonl lines) the tables need, and says which ones in `kept`:
 *   'all'         every evaluation of the run;
 *   'milestones'  every evaluation that raised the best test accuracy so far (so the first
 *                 evaluation at or above ANY target is kept exactly), the last two, and every k-th
 *                 one for plots (runs with more than MAX_EVALS evaluations);
 *   'thinned:k'   only every k-th evaluation and the last (older copies): first-reaching rounds and
 *                 bits cannot be recomputed from it;
 *   'none'        no evaluation kept (older copies): only the summary's final numbers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readJsonl } from '../../src/metrics/jsonl.js';
import type { MetricsRecord, RunSummaryFile } from '../../src/metrics/records.js';
import { ROOT } from './common.js';

/** Evaluations kept for plots when a run has more (plus the milestones). */
export const MAX_EVALS = 60;
/** Per-device arrays longer than this are summarised (size). */
const MAX_PER_DEVICE = 64;

export type Kept = 'all' | 'milestones' | `thinned:${number}` | 'none';

export interface RunRecord {
  readonly id: string;
  readonly summary: RunSummaryFile;
  readonly metrics: MetricsRecord[];
  readonly kept: Kept;
  /** Where the metrics came from when not from this run's own directory (another run with the same paramsHash). */
  readonly metricsFrom?: string;
}

/** True when first-reaching rounds / bits and the last evaluations can be recomputed from `kept`. */
export function exactMilestones(kept: Kept): boolean {
  return kept === 'all' || kept === 'milestones';
}

/**
 * The evaluations a committed copy keeps: all when there are at most MAX_EVALS, else every
 * evaluation that raised the best accuracy so far, the last two, and every k-th (k = ⌈n / MAX_EVALS⌉).
 */
export function keepMetrics(metrics: readonly MetricsRecord[]): { metrics: MetricsRecord[]; kept: Kept } {
  if (metrics.length <= MAX_EVALS) return { metrics: [...metrics], kept: 'all' };
  const step = Math.ceil(metrics.length / MAX_EVALS);
  let best = -Infinity;
  const out: MetricsRecord[] = [];
  metrics.forEach((m, i) => {
    const acc = typeof m.accuracy === 'number' ? m.accuracy : -Infinity;
    const record = acc > best;
    if (record) best = acc;
    if (record || i % step === 0 || i >= metrics.length - 2) out.push(m);
  });
  return { metrics: out, kept: 'milestones' };
}

/** summary.json with per-device arrays of large runs summarised (the tables never read them). */
export function trimSummary(summary: RunSummaryFile): RunSummaryFile {
  const per = summary.bitsPerDevice;
  if (!Array.isArray(per) || per.length <= MAX_PER_DEVICE) return summary;
  let min = Infinity, max = -Infinity, sum = 0;
  for (const b of per) { min = Math.min(min, b); max = Math.max(max, b); sum += b; }
  const { bitsPerDevice: _dropped, ...rest } = summary;
  const out = rest as RunSummaryFile & Record<string, unknown>;
  out['bitsPerDeviceStats'] = { devices: per.length, min, mean: sum / per.length, max };
  out['_trimmed'] = `bitsPerDevice (${per.length} entries) replaced by bitsPerDeviceStats by bench/repro/build-results.ts`;
  return out;
}

/** JSON with object keys sorted, so equal configs give equal strings whatever their key order. */
export function canonicalJson(x: unknown): string {
  if (Array.isArray(x)) return `[${x.map(canonicalJson).join(',')}]`;
  if (x && typeof x === 'object') return `{${Object.keys(x).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((x as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(x) ?? 'null';
}

// ---------------------------------------------------------------------------------------------
// Files

export const RESULTS_DIR = join(ROOT, 'docs', 'results');

export function collectionDir(study: string, mode: string): string {
  return join(RESULTS_DIR, study, mode);
}

/** One JSON object per line, in the given order. */
export function writeRuns(file: string, records: readonly RunRecord[]): void {
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

export function readRuns(file: string): RunRecord[] {
  const ids = new Set<string>();
  return readJsonl<RunRecord>(file, (r) => {
    if (typeof r['id'] !== 'string' || !r['summary'] || !Array.isArray(r['metrics']) || typeof r['kept'] !== 'string') return 'expected {"id", "summary", "metrics", "kept"}';
    if (ids.has(r['id'])) return `run ${r['id']} appears twice`;
    ids.add(r['id']);
    return null;
  }, { skipTorn: false });
}

/** What study.json records about how a study's runs were made. */
export interface StudyProvenance {
  study: string;
  mode: 'quick' | 'full';
  seeds: number;
  workers: number;
  started: string;
  wallS: number;
  runsExecuted: number;
  runsReused: number;
  runsWallS: number;
  cli: string;
  invocation: string;
  machine: {
    git: { commit: string; modified: string[] };
    cpu: string; cores: number; memGiB: number; node: string; platform: string; loadAvgStart: number; loadAvgEnd: number;
  };
  /** Run ids of this invocation, in plan order (each is a line of runs.jsonl). */
  runs: string[];
  /** Raw measurements that are not runs (the scale study's engine benchmark rows). */
  extra?: unknown;
  /** How the committed copy came to be, when not by one invocation (re-runs that filled in metrics, ...). */
  notes?: string[];
}

export function readProvenance(dir: string): StudyProvenance | null {
  const f = join(dir, 'study.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as StudyProvenance) : null;
}

export function writeProvenance(dir: string, p: StudyProvenance): void {
  writeFileSync(join(dir, 'study.json'), JSON.stringify(p, null, 2) + '\n');
}
