/**
 * `sparsepush demo` (what `npm start` runs): the paper's two claims on 16 devices on the
 * time-varying exponential graph, Fashion-MNIST, softmax regression, top-1% with int8 values:
 * - IID data: Sparse-Push against SGP (uncompressed), accuracy and bits;
 * - label skew (skew:1): SGP, Sparse-Push and Skew-Compensated Sparse-Push, and the share of
 *   Sparse-Push's loss the compensation recovers.
 * It prints what its own runs measured (nothing here is a stored number) and one report.
 *
 * The demo's config lives here and only here (examples/demo.yaml is the Sparse-Push run on
 * skew:1 as a file; a test keeps them equal). It finishes in about a minute on 2 cores.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RawConfig } from '../config/load.js';
import type { RunConfig } from '../config/types.js';
import { ConfigError, SpecError } from '../errors.js';
import { tempOwner } from '../output/atomic-write.js';
import { directoryState, REPORT_FILE } from '../output/run-directory.js';
import { LOCK_FILE } from '../output/run-lock.js';
import type { RunSummaryFile } from '../metrics/records.js';
import { buildReport } from '../report/index.js';
import { displayPath, list, parseCommandArgs, str, timestamp, UsageError } from './args.js';
import { loadRunExperiment, type RunExperiment } from './engine.js';
import type { CliIO } from './io.js';
import { packageVersion } from '../package.js';
import { formatBits, formatDuration, formatPercent } from '../output/format.js';
import { configFromInputs, deepMerge } from './resolve.js';
import { executeRun, prepareOutDir } from './run.js';

/** Communication rounds of each run. */
const DEMO_ROUNDS = 300;
/** Softmax regression on the WASM kernels: 5 runs x 16 devices x 300 rounds in about a minute. */
const DEMO_MODEL = 'logistic';
/** The label skew of the non-IID runs. */
const DEMO_SKEW = 'skew:1';

/** The Sparse-Push run on skewed data; the others differ only as DEMO_VARIANTS say. */
const DEMO_BASE: RawConfig = {
  name: 'skew-sparse-push',
  seed: 1,
  devices: 16,
  rounds: DEMO_ROUNDS,
  evalEvery: 10,
  model: DEMO_MODEL,
  data: { train: 'fashion-mnist', test: 'fashion-mnist:test', partition: DEMO_SKEW, volume: 'equal' },
  topology: 'exponential:1',
  algorithm: { name: 'sparse-push', lr: 0.05, momentum: 0.9, batchSize: 32, localSteps: 1 },
  compressor: 'topk:0.01+int8',
};

const SGP = { algorithm: { name: 'sgp' }, compressor: 'none' } as const;
const IID = { data: { partition: 'iid' } } as const;

export const DEMO_VARIANTS: ReadonlyArray<{ name: string; title: string; overrides: RawConfig }> = [
  { name: 'iid-sgp', title: 'IID: SGP (uncompressed)', overrides: { name: 'iid-sgp', ...SGP, ...IID } },
  { name: 'iid-sparse-push', title: 'IID: Sparse-Push', overrides: { name: 'iid-sparse-push', ...IID } },
  { name: 'skew-sgp', title: `${DEMO_SKEW}: SGP (uncompressed)`, overrides: { name: 'skew-sgp', ...SGP } },
  { name: 'skew-sparse-push', title: `${DEMO_SKEW}: Sparse-Push`, overrides: {} },
  { name: 'skew-sc-sparse-push', title: `${DEMO_SKEW}: Skew-Compensated Sparse-Push`, overrides: { name: 'skew-sc-sparse-push', algorithm: { name: 'sc-sparse-push' } } },
];

/**
 * The two claims as the runs measured them: Sparse-Push's accuracy change and bit reduction
 * against SGP on IID data, and on skewed data the share of its loss the compensation recovers,
 * (SC - SP) / (SGP - SP), with SC's bits against Sparse-Push's.
 */
export function demoClaims(s: Readonly<Record<string, RunSummaryFile>>): string[] {
  const acc = (name: string): number => s[name]?.final?.accuracy ?? Number.NaN;
  const bits = (name: string): number => s[name]?.final?.bitsSent ?? Number.NaN;
  const pts = (x: number): string => `${x >= 0 ? '+' : '-'}${Math.abs(100 * x).toFixed(2)} points`;
  const lines = [
    `IID: Sparse-Push ${formatPercent(acc('iid-sparse-push'))} vs SGP ${formatPercent(acc('iid-sgp'))} (${pts(acc('iid-sparse-push') - acc('iid-sgp'))}) with ${(bits('iid-sgp') / bits('iid-sparse-push')).toFixed(0)}x fewer bits`,
  ];
  const loss = acc('skew-sgp') - acc('skew-sparse-push');
  const gain = acc('skew-sc-sparse-push') - acc('skew-sparse-push');
  const share = loss > 0 ? `recovers ${(100 * gain / loss).toFixed(0)}% of Sparse-Push's loss` : 'Sparse-Push lost nothing to recover';
  lines.push(`${DEMO_SKEW}: SGP ${formatPercent(acc('skew-sgp'))}, Sparse-Push ${formatPercent(acc('skew-sparse-push'))} (${pts(-loss)}), Skew-Compensated ${formatPercent(acc('skew-sc-sparse-push'))}: ${share} at ${(bits('skew-sc-sparse-push') / bits('skew-sparse-push')).toFixed(2)}x Sparse-Push's bits`);
  return lines;
}

/** The resolved configs, with `--set` overrides (and the dedicated flags) applied to each. */
export function demoConfigs(opts: { sets?: readonly string[]; workers?: string; backend?: string } = {}): Array<{ name: string; config: RunConfig }> {
  return DEMO_VARIANTS.map((v) => ({
    name: v.name,
    config: configFromInputs({ base: deepMerge(DEMO_BASE, v.overrides), sets: opts.sets, workers: opts.workers, backend: opts.backend }),
  }));
}

const DEMO_HELP = `Usage: sparsepush demo [--out DIR] [--rounds N] [--set key=value ...] [--quiet]

The default demo (npm start): the Sparse-Push paper's two claims on ${DEMO_BASE.devices} devices on the
time-varying exponential graph, Fashion-MNIST, model ${DEMO_MODEL}, ${DEMO_BASE.compressor}, ${DEMO_ROUNDS} rounds each:
  ${DEMO_VARIANTS.map((v) => v.title).join('\n  ')}
Runs them in sequence into DIR/<name>, writes DIR/report.html comparing them, and prints what they
measured: Sparse-Push's accuracy and bits against SGP on IID data, and the share of its loss under
label skew that Skew-Compensated Sparse-Push recovers. The skewed Sparse-Push run as a file:
examples/demo.yaml.

Options:
  --out DIR           output directory (default: runs/<timestamp>-demo)
  --rounds N          rounds per run (shortcut for --set rounds=N)
  --set key=value     override a key in every run (repeatable)
  --workers N         worker threads, or auto
  --backend B         auto | tensorflow | wasm | cpu
  --quiet             no progress output
  -h, --help          this help

Examples:
  npm start
  sparsepush demo --rounds 30 --out runs/quick-demo
  sparsepush demo --set model=lenet --rounds 100
`;

const OPTIONS = {
  out: { type: 'string' }, rounds: { type: 'string' }, set: { type: 'string', multiple: true },
  workers: { type: 'string' }, backend: { type: 'string' }, quiet: { type: 'boolean' }, force: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface DemoDeps {
  runExperiment?: RunExperiment;
}

/** The demo's folder holds its runs and report.html; a folder with anything else is someone's and refused. */
function prepareDemoRoot(root: string): void {
  const state = directoryState(root);
  if (state === 'absent' || state === 'empty') return;
  if (state === 'file') throw new UsageError(`output path ${displayPath(root)} exists and is not a directory`);
  const variants = new Set(DEMO_VARIANTS.map((v) => v.name));
  const entries = readdirSync(root);
  // report.html is the demo's only next to its runs.
  const hasRuns = entries.some((e) => variants.has(e));
  const other = entries.filter((e) => !variants.has(e) && e !== LOCK_FILE && tempOwner(e) === null && !(hasRuns && e === REPORT_FILE));
  if (other.length > 0) {
    throw new UsageError(`${displayPath(root)} holds files the demo did not write (${other.slice(0, 3).join(', ')}${other.length > 3 ? ', ...' : ''}); give another --out`);
  }
}

export async function demoCommand(argv: string[], io: CliIO, deps: DemoDeps = {}): Promise<number> {
  const fail = (message: string, code: number): number => { io.stderr(`sparsepush demo: ${message}\n`); return code; };
  let runs: Array<{ name: string; config: RunConfig; dir: string }>;
  let root: string;
  let runExperiment: RunExperiment;
  let quiet: boolean;
  try {
    const { values } = parseCommandArgs('demo', argv, OPTIONS, false);
    if (values.help) { io.stdout(DEMO_HELP); return 0; }
    quiet = values.quiet === true;
    const sets = list(values.set);
    const rounds = str(values.rounds);
    if (rounds !== undefined) sets.push(`rounds=${rounds}`);
    root = resolve(str(values.out) ?? join('runs', `${timestamp()}-demo`));
    runs = demoConfigs({ sets, workers: str(values.workers), backend: str(values.backend) })
      .map((r) => ({ ...r, dir: join(root, r.name) }));
    prepareDemoRoot(root);
    for (const r of runs) prepareOutDir(r.dir, { force: values.force === true, resume: false });
    runExperiment = deps.runExperiment ?? await loadRunExperiment();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof SpecError) return fail(err.message, 2);
    return fail(err instanceof Error ? err.message : String(err), 1);
  }

  const started = Date.now();
  const results: string[] = [];
  const summaries: Record<string, RunSummaryFile> = {};
  for (const r of runs) {
    if (!quiet) io.stderr(`demo: ${r.name} (${r.config.algorithm.name}, ${r.config.compressor}, ${r.config.rounds} rounds) -> ${displayPath(r.dir)}\n`);
    try {
      const summary = await executeRun(r.config, r.dir, io, { runExperiment, quiet, fresh: true, label: r.name });
      summaries[r.name] = summary;
      const acc = formatPercent(summary.final?.accuracy, 2, 'n/a');
      const bits = formatBits(summary.final?.bitsSent, 'n/a');
      results.push(`${r.name.padEnd(20)} accuracy ${acc.padStart(7)}   bits sent ${bits}`);
    } catch (err) {
      return fail(`${r.name} failed: ${err instanceof Error ? err.message : String(err)}`, err instanceof ConfigError ? 2 : 1);
    }
  }
  const report = await buildReport(runs.map((r) => r.dir), join(root, 'report.html'), {
    title: `sparsepush demo: SGP vs Sparse-Push (IID) and vs Skew-Compensated Sparse-Push (${DEMO_SKEW})`,
    version: packageVersion(),
  });
  io.stdout(`report: ${displayPath(report.file)}\n`);
  io.stdout(`${results.join('\n')}\n${demoClaims(summaries).join('\n')}\n`);
  if (!quiet) io.stderr(`demo finished in ${formatDuration((Date.now() - started) / 1000)}\n`);
  return 0;
}
