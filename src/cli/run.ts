/** `sparsepush run`: validate everything, create the output directory, train, write the report. */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configToYaml } from '../config/load.js';
import type { RunConfig } from '../config/types.js';
import { ConfigError, SpecError, SparsepushError } from '../errors.js';
import { buildReport } from '../report/index.js';
import type { RunSummaryFile } from '../metrics/records.js';
import { displayPath, list, parseCommandArgs, str, timestamp, UsageError } from './args.js';
import { loadRunExperiment, type RunExperiment } from './engine.js';
import type { CliIO } from './io.js';
import { packageVersion } from '../package.js';
import { createProgress, formatBits, formatDuration } from './progress.js';
import { configFromInputs } from './resolve.js';

export const RUN_HELP = `Usage: sparsepush run [--config FILE] [--set key=value ...] [--out DIR] [options]

Trains one configuration and writes, in the output directory:
  config.resolved.yaml  the config with every default filled in (written first)
  metrics.jsonl         one JSON object per evaluation (accuracy, loss, bits, time, energy, ...)
  summary.json          final metrics, paramsHash, backend, wall time (written last, on success)
  report.html           a self-contained report with plots
  error.json            on failure instead of summary.json

Options:
  --config FILE       .json, .yaml or .yml config; every key has a default (see: sparsepush config --reference)
  --set key=value     override one key, values parsed as YAML (repeatable), e.g. --set algorithm.lr=0.1
  --out DIR           output directory (default: runs/<timestamp>-<name>)
  --name NAME         run name (labels plots, names the default output directory)
  --workers N         worker threads, or auto (= cores); results do not depend on it
  --backend B         auto | tensorflow | wasm | cpu
  --resume DIR        continue the run in DIR from its last checkpoint (config from DIR/config.resolved.yaml)
  --force             overwrite a finished run in the output directory
  --quiet             no progress output
  -h, --help          this help

Exit status: 0 finished, 2 bad usage or config (nothing is created), 1 the run failed.

Examples:
  sparsepush run
  sparsepush run --config examples/demo.yaml --out runs/demo
  sparsepush run --set algorithm.name=sgp --set compressor=none --set rounds=50 --name sgp-short
  sparsepush run --config examples/faults.yaml --set faults.linkDrop=0.2 --workers 2 --quiet
`;

const RUN_OPTIONS = {
  config: { type: 'string' }, set: { type: 'string', multiple: true }, out: { type: 'string' },
  name: { type: 'string' }, workers: { type: 'string' }, backend: { type: 'string' },
  resume: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface RunDeps {
  /** Replaces the engine (tests). */
  runExperiment?: RunExperiment;
}

/** Files a run writes; removed before a fresh run reuses a directory so no stale result survives. */
const RUN_FILES = ['summary.json', 'error.json', 'report.html', 'metrics.jsonl', 'config.resolved.yaml'];

const display = displayPath;

function pct(v: unknown): string {
  return typeof v === 'number' && Number.isFinite(v) ? `${(v * 100).toFixed(2)}%` : 'n/a';
}

export function finalLine(summary: RunSummaryFile): string {
  const f = summary.final ?? { round: summary.rounds };
  const parts = [`accuracy ${pct(f.accuracy)}`];
  if (typeof f.loss === 'number') parts.push(`loss ${f.loss.toFixed(4)}`);
  if (typeof f.bitsSent === 'number') parts.push(`bits sent ${formatBits(f.bitsSent)}`);
  if (typeof f.compressionRatio === 'number') parts.push(`compression ${f.compressionRatio.toPrecision(4)}x`);
  if (typeof f.simTimeS === 'number') parts.push(`simulated ${f.simTimeS < 60 ? `${f.simTimeS.toPrecision(3)} s` : formatDuration(f.simTimeS)}`);
  if (typeof f.energyJ === 'number') parts.push(`energy ${f.energyJ.toPrecision(3)} J`);
  return `round ${f.round}: ${parts.join(', ')}`;
}

/** Where a run goes; refuses a finished directory (summary.json) unless forced. Throws UsageError. */
export function prepareOutDir(outDir: string, opts: { force: boolean; resume: boolean }): void {
  if (existsSync(outDir) && !statSync(outDir).isDirectory()) throw new UsageError(`output path ${outDir} exists and is not a directory`);
  const finished = existsSync(join(outDir, 'summary.json'));
  if (opts.resume) {
    if (!existsSync(outDir)) throw new UsageError(`--resume: ${outDir} does not exist`);
    if (finished) throw new UsageError(`--resume: ${outDir} already finished (summary.json exists)`);
    return;
  }
  if (finished && !opts.force) {
    throw new UsageError(`${display(outDir)} holds a finished run (summary.json); use --force to overwrite it, or another --out`);
  }
}

/** Runs one resolved config into outDir (directory created here); returns the summary. */
export async function executeRun(config: RunConfig, outDir: string, io: CliIO, opts: {
  runExperiment: RunExperiment; quiet: boolean; resume?: boolean; fresh: boolean; label?: string;
}): Promise<RunSummaryFile> {
  mkdirSync(outDir, { recursive: true });
  if (opts.fresh) for (const f of RUN_FILES) rmSync(join(outDir, f), { force: true });
  writeFileSync(join(outDir, 'config.resolved.yaml'), configToYaml(config));
  const progress = createProgress({ write: io.stderr, tty: io.isTTY === true, quiet: opts.quiet, columns: io.columns, label: opts.label });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  try {
    return await opts.runExperiment(config, {
      outDir, workers: config.workers > 0 ? config.workers : undefined, resume: opts.resume,
      onProgress: (ev) => progress.update(ev), signal: abort.signal,
    });
  } catch (err) {
    if (!existsSync(join(outDir, 'error.json'))) {
      const e = err instanceof Error ? err : new Error(String(err));
      writeFileSync(join(outDir, 'error.json'), JSON.stringify({
        name: e.name, code: (e as SparsepushError).code ?? null, message: e.message,
      }, null, 2) + '\n');
    }
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.done();
  }
}

export async function runCommand(argv: string[], io: CliIO, deps: RunDeps = {}): Promise<number> {
  const fail = (message: string, code: number): number => { io.stderr(`sparsepush run: ${message}\n`); return code; };
  let config: RunConfig;
  let outDir: string;
  let resumeDir: string | undefined;
  let runExperiment: RunExperiment;
  let quiet: boolean;
  // Everything that can be wrong with the invocation is checked before the directory exists.
  try {
    const { values, positionals } = parseCommandArgs('run', argv, RUN_OPTIONS, true);
    if (values.help) { io.stdout(RUN_HELP); return 0; }
    if (positionals.length > 1 || (positionals.length === 1 && values.config)) {
      throw new UsageError(`unexpected argument '${positionals[positionals.length - 1]}' (see sparsepush run --help)`);
    }
    quiet = values.quiet === true;
    const resume = str(values.resume);
    if (resume && values.out) throw new UsageError('--resume continues in its own directory; do not combine it with --out');
    resumeDir = resume ? resolve(resume) : undefined;
    let file = str(values.config) ?? positionals[0];
    if (resumeDir && !file) {
      file = join(resumeDir, 'config.resolved.yaml');
      if (!existsSync(file)) throw new UsageError(`--resume: ${display(resumeDir)} has no config.resolved.yaml`);
    }
    config = configFromInputs({
      file, sets: list(values.set), name: str(values.name), workers: str(values.workers), backend: str(values.backend),
    });
    outDir = resumeDir ?? resolve(str(values.out) ?? join('runs', `${timestamp()}-${config.name}`));
    prepareOutDir(outDir, { force: values.force === true, resume: resumeDir !== undefined });
    runExperiment = deps.runExperiment ?? await loadRunExperiment();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof SpecError) return fail(err.message, 2);
    return fail(err instanceof Error ? err.message : String(err), 1);
  }

  if (!quiet) io.stderr(`sparsepush ${packageVersion()}: ${config.name} -> ${display(outDir)}\n`);
  let summary: RunSummaryFile;
  try {
    summary = await executeRun(config, outDir, io, { runExperiment, quiet, resume: resumeDir !== undefined, fresh: !resumeDir });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    // A config problem only the engine can see (e.g. a dataset too small for the partition) is still exit 2.
    const code = err instanceof ConfigError || err instanceof SpecError ? 2 : 1;
    return fail(`${message} (details: ${display(join(outDir, 'error.json'))})`, code);
  }

  let status = 0;
  try {
    const report = await buildReport([outDir], join(outDir, 'report.html'), { version: packageVersion() });
    io.stdout(`report: ${display(report.file)}\n`);
  } catch (err) {
    io.stderr(`sparsepush run: the run finished but its report failed: ${err instanceof Error ? err.message : String(err)}\n`);
    status = 1;
  }
  io.stdout(`${config.name}: ${finalLine(summary)}\n`);
  const t = summary.toTarget;
  if (t) {
    io.stdout(`target accuracy ${(config.targetAccuracy * 100).toFixed(1)}% reached at round ${t.round}: bits sent ${formatBits(t.bitsSent)}, simulated ${t.simTimeS.toPrecision(3)} s, energy ${t.energyJ.toPrecision(3)} J\n`);
  } else if (config.targetAccuracy > 0) {
    io.stdout(`target accuracy ${(config.targetAccuracy * 100).toFixed(1)}% not reached\n`);
  }
  if (summary.paramsHash) io.stdout(`paramsHash: ${summary.paramsHash}\n`);
  return status;
}
