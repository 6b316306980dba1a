/** Loading run directories (metrics.jsonl, summary.json, error.json, config.resolved.yaml). */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DataError, InputError } from '../errors.js';
import type { RunConfig } from '../config/types.js';
import { readMetrics } from '../metrics/jsonl.js';
import type { MetricsRecord, RunSummaryFile } from '../metrics/records.js';
import type { RunData } from './types.js';

export { readMetrics } from '../metrics/jsonl.js';

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new DataError(`not valid JSON: ${(err as Error).message}`, file);
  }
}

/** Load one run directory. Throws InputError if it is not a run directory at all. */
function readRunDir(dir: string): RunData {
  const full = resolve(dir);
  if (!existsSync(full) || !statSync(full).isDirectory()) throw new InputError(`${dir}: not a directory`);
  const metricsFile = join(full, 'metrics.jsonl');
  const summaryFile = join(full, 'summary.json');
  const errorFile = join(full, 'error.json');
  const configFile = join(full, 'config.resolved.yaml');
  if (!existsSync(metricsFile) && !existsSync(summaryFile)) {
    throw new InputError(`${dir}: not a run directory (no metrics.jsonl or summary.json)`);
  }
  const summary = existsSync(summaryFile) ? (readJson(summaryFile) as RunSummaryFile) : null;
  let error: string | null = null;
  if (existsSync(errorFile)) {
    const e = readJson(errorFile) as { message?: unknown };
    error = typeof e?.message === 'string' ? e.message : JSON.stringify(e);
  }
  let config: RunConfig | null = summary?.config ?? null;
  if (!config && existsSync(configFile)) {
    try {
      config = parseYaml(readFileSync(configFile, 'utf8')) as RunConfig;
    } catch {
      config = null; // the report still plots metrics without it
    }
  }
  const metrics = readMetrics(metricsFile).sort((a, b) => a.round - b.round);
  const name = summary?.name ?? config?.name ?? basename(full);
  return { dir: full, label: name, config, metrics, summary, error };
}

/** Load several runs; labels are made unique (run name, then `name (dir)` when names repeat). */
export function readRuns(dirs: readonly string[]): RunData[] {
  const runs = dirs.map(readRunDir);
  const groups = new Map<string, RunData[]>();
  for (const r of runs) groups.set(r.label, [...(groups.get(r.label) ?? []), r]);
  for (const [name, group] of groups) {
    if (group.length < 2) continue;
    // The shortest trailing part of the directory path that tells the runs apart.
    const tail = (r: RunData, parts: number): string => r.dir.split(/[\\/]/).filter(Boolean).slice(-parts).join('/');
    let parts = 1;
    while (parts < 4 && new Set(group.map((r) => tail(r, parts))).size < group.length) parts++;
    const seen = new Map<string, number>();
    for (const r of group) {
      const base = `${name} (${tail(r, parts)})`;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      r.label = n > 1 ? `${base} #${n}` : base;
    }
  }
  return runs;
}

/** The last evaluation: summary.final when the run finished, else the last metrics line. */
export function finalMetrics(run: RunData): MetricsRecord | null {
  return run.summary?.final ?? run.metrics[run.metrics.length - 1] ?? null;
}
