/**
 * `buildReport(runDirs, outFile)`: one self-contained HTML file over one or more run directories
 * (accuracy and loss vs rounds / bits / simulated time, consensus distance, bits per device,
 * energy, a summary table and each run's resolved config).
 */
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { reportCharts } from './charts.js';
import { reportHtml, type RenderedChart } from './html.js';
import { readRuns } from './read.js';
import { renderSvg } from './render.js';
import type { RunData } from './types.js';

export type { RunData } from './types.js';
export type { MetricsRecord, RunSummaryFile, TargetRecord } from '../metrics/records.js';
export { readRuns, readMetrics, finalMetrics } from './read.js';
export { reportCharts } from './charts.js';
export { renderSvg } from './render.js';

export interface BuildReportOptions {
  title?: string;
  /** Shown in the header. */
  version?: string;
  /** Header timestamp (default: now). */
  generatedAt?: Date;
}

export interface BuiltReport {
  file: string;
  runs: RunData[];
  charts: RenderedChart[];
}

export async function buildReport(runDirs: readonly string[], outFile: string, opts: BuildReportOptions = {}): Promise<BuiltReport> {
  if (runDirs.length === 0) throw new InputError('buildReport: give at least one run directory');
  const runs = readRuns(runDirs);
  const charts: RenderedChart[] = [];
  for (const c of reportCharts(runs)) {
    charts.push(c.spec ? { id: c.id, title: c.title, svg: await renderSvg(c.spec, c.id) } : { id: c.id, title: c.title, svg: null, note: c.note });
  }
  const html = reportHtml(runs, charts, opts);
  const file = resolve(outFile);
  writeFileAtomic(file, html);
  return { file, runs, charts };
}
