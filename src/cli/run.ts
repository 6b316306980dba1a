/** `sparsepush run`: validate everything, create the output directory, train, write the report. */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { configToYaml, loadConfigFile } from '../config/load.js';
import type { RunConfig } from '../config/types.js';
import { KEYS_FREE_ON_RESUME } from '../engine/checkpoint.js';
import { ConfigError, SpecError } from '../errors.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { ERROR_FILE, writeErrorFile } from '../output/error-file.js';
import { CONFIG_FILE, directoryState, REPORT_FILE, RUN_FILES } from '../output/run-directory.js';
import { acquireLock, type RunLock } from '../output/run-lock.js';
import { buildReport } from '../report/index.js';
import type { RunSummaryFile } from '../metrics/records.js';
import { displayPath, list, parseCommandArgs, str, timestamp, UsageError } from './args.js';
import { loadRunExperiment, type RunExperiment, type RunExperimentOptions } from './engine.js';
import type { CliIO } from './io.js';
import { packageVersion } from '../package.js';
import { formatBits, formatDuration, formatPercent, formatRatio, formatSi } from '../output/format.js';
import { createProgress } from './progress.js';
import { natsEngine, RUN_NATS_HELP, RUN_NATS_OPTIONS } from './nats.js';
import { configFromInputs, differingKeys } from './resolve.js';

const RUN_HELP = `Usage: sparsepush run [--config FILE] [--set key=value ...] [--out DIR] [options]

Trains one configuration and writes, in the output directory:
  config.resolved.yaml  the config with every default filled in (written first)
  metrics.jsonl         one JSON object per evaluation (accuracy, loss, bits, time, energy, ...)
  summary.json          final metrics, paramsHash, backend, wall time (written last, on success)
  report.html           a self-contained report with plots
  error.json            on failure instead of summary.json
Every file is written atomically. DIR must be new, empty or an earlier run's; it is locked
(.sparsepush.lock) while the run lasts.

Options:
  --config FILE       .json, .yaml or .yml config; every key has a default (see: sparsepush config --reference)
  --set key=value     override one key, values parsed as YAML (repeatable), e.g. --set algorithm.lr=0.1
  --out DIR           output directory (default: runs/<timestamp>-<name>)
  --name NAME         run name (labels plots, names the default output directory)
  --workers N         worker threads, or auto (= cores); results do not depend on it
  --backend B         auto | tensorflow | wasm | cpu
  --resume DIR        continue the run in DIR from its verified last checkpoint (config from
                      DIR/config.resolved.yaml; --set may change only name, workers, checkpoint,
                      rounds (to at least the checkpoint's round), evalEvery, targetAccuracy)
  --force             replace a finished run in the output directory (its own files only)
  --quiet             no progress output
  -h, --help          this help

${RUN_NATS_HELP}

Exit status: 0 finished, 2 bad usage or config (nothing is created), 1 the run failed.

Examples:
  sparsepush run
  sparsepush run --config examples/demo.yaml --out runs/demo
  sparsepush run --set algorithm.name=sgp --set compressor=none --set rounds=50 --name sgp-short
  sparsepush run --config examples/faults.yaml --set faults.linkDrop=0.2 --workers 2 --quiet
  sparsepush run --config examples/demo.yaml --nats nats://10.0.0.5:4222 --hosts 3 --token s3cret
`;

const RUN_OPTIONS = {
  config: { type: 'string' }, set: { type: 'string', multiple: true }, out: { type: 'string' },
  name: { type: 'string' }, workers: { type: 'string' }, backend: { type: 'string' },
  resume: { type: 'string' }, force: { type: 'boolean' }, quiet: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' }, ...RUN_NATS_OPTIONS,
} as const;

export interface RunDeps {
  /** Replaces the engine (tests). */
  runExperiment?: RunExperiment;
}

const display = displayPath;

function finalLine(summary: RunSummaryFile): string {
  const f = summary.final ?? { round: summary.rounds };
  const parts = [`accuracy ${formatPercent(f.accuracy, 2, 'n/a')}`];
  if (typeof f.loss === 'number') parts.push(`loss ${f.loss.toFixed(4)}`);
  if (typeof f.bitsSent === 'number') parts.push(`bits sent ${formatBits(f.bitsSent)}`);
  if (typeof f.compressionRatio === 'number') parts.push(`compression ${formatRatio(f.compressionRatio)}`);
  if (typeof f.simTimeS === 'number') parts.push(`simulated ${formatDuration(f.simTimeS)}`);
  if (typeof f.energyJ === 'number') parts.push(`energy ${formatSi(f.energyJ, 'J')}`);
  return `round ${f.round}: ${parts.join(', ')}`;
}

/**
 * Where a run goes: a new or empty directory, or a run directory (refused when finished unless
 * forced); never a directory of someone else's files. Throws UsageError.
 */
export function prepareOutDir(outDir: string, opts: { force: boolean; resume: boolean }): void {
  const state = directoryState(outDir);
  if (state === 'file') throw new UsageError(`output path ${display(outDir)} exists and is not a directory`);
  if (opts.resume) {
    if (state === 'absent') throw new UsageError(`--resume: ${display(outDir)} does not exist`);
    if (state === 'empty' || state === 'foreign') throw new UsageError(`--resume: ${display(outDir)} is not a run directory (no ${CONFIG_FILE} written by sparsepush)`);
    if (state === 'finished') throw new UsageError(`--resume: ${display(outDir)} already finished (summary.json exists)`);
    return;
  }
  if (state === 'foreign') {
    throw new UsageError(`${display(outDir)} is not a run directory and not empty; a run writes only into a new or empty directory or over an earlier run (give another --out)`);
  }
  if (state === 'finished' && !opts.force) {
    throw new UsageError(`${display(outDir)} holds a finished run (summary.json); use --force to overwrite it, or another --out`);
  }
}

/**
 * Runs one resolved config into outDir (created and locked here); returns the summary. A fresh run
 * replaces the run files of an earlier run there; a resume leaves rewriting config.resolved.yaml to
 * the engine, once the checkpoint has been verified.
 */
export async function executeRun(config: RunConfig, outDir: string, io: CliIO, opts: {
  runExperiment: RunExperiment; quiet: boolean; resume?: boolean; fresh: boolean; label?: string; engine?: RunExperimentOptions['engine'];
}): Promise<RunSummaryFile> {
  const lock = acquireLock(outDir, 'output directory');
  const progress = createProgress({ write: io.stderr, tty: io.isTTY === true, quiet: opts.quiet, columns: io.columns, label: opts.label });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort(new Error('interrupted (Ctrl-C)'));
  process.once('SIGINT', onSigint);
  try {
    if (opts.fresh) {
      for (const f of RUN_FILES) rmSync(join(outDir, f), { force: true });
      writeFileAtomic(join(outDir, CONFIG_FILE), configToYaml(config));
    }
    return await opts.runExperiment(config, {
      outDir, workers: config.workers > 0 ? config.workers : undefined, resume: opts.resume,
      onProgress: (ev) => progress.update(ev), onSetup: (p) => progress.setup(p), signal: abort.signal, ...(opts.engine ? { engine: opts.engine } : {}),
    });
  } catch (err) {
    // The engine writes error.json itself; this covers failures outside it. A refused resume
    // leaves the directory as it was.
    if (opts.fresh && !existsSync(join(outDir, ERROR_FILE))) writeErrorFile(outDir, err);
    throw err;
  } finally {
    process.removeListener('SIGINT', onSigint);
    progress.done();
    lock.release();
  }
}

/** The one-line failure message of a run: the error, and where its error.json is (when one was written for it). */
function failureMessage(err: unknown, outDir: string): string {
  const message = err instanceof Error ? err.message : String(err);
  const errorFile = join(outDir, ERROR_FILE);
  let recorded: unknown;
  try { recorded = (JSON.parse(readFileSync(errorFile, 'utf8')) as { message?: unknown }).message; } catch { recorded = undefined; }
  return recorded === message ? `${message} (details: ${display(errorFile)})` : message;
}

/**
 * Resuming may change only the keys that do not affect the trajectory; anything else is refused
 * before a file is touched, naming the first key that differs.
 */
function checkResumeConfig(stored: RunConfig, config: RunConfig, dir: string): void {
  const changed = differingKeys(stored, config).filter((k) => !KEYS_FREE_ON_RESUME.includes(k.split('.')[0]!));
  if (changed.length > 0) {
    const key = changed[0]!;
    const at = (c: RunConfig): string => JSON.stringify(key.split('.').reduce<unknown>((v, p) => (v as Record<string, unknown> | undefined)?.[p], c));
    throw new UsageError(`--resume: ${key} would change from ${at(stored)} to ${at(config)}${changed.length > 1 ? ` (and ${changed.length - 1} more key${changed.length > 2 ? 's' : ''})` : ''}; a resumed run keeps the config in ${display(join(dir, CONFIG_FILE))}, only ${KEYS_FREE_ON_RESUME.join(', ')} may change`);
  }
}

export async function runCommand(argv: string[], io: CliIO, deps: RunDeps = {}): Promise<number> {
  const fail = (message: string, code: number): number => { io.stderr(`sparsepush run: ${message}\n`); return code; };
  let config: RunConfig;
  let outDir: string;
  let resumeDir: string | undefined;
  let runExperiment: RunExperiment;
  let quiet: boolean;
  let engine: RunExperimentOptions['engine'];
  // Everything that can be wrong with the invocation is checked before the directory exists.
  try {
    const { values, positionals } = parseCommandArgs('run', argv, RUN_OPTIONS, true);
    if (values.help) { io.stdout(RUN_HELP); return 0; }
    if (positionals.length > 1 || (positionals.length === 1 && values.config)) {
      throw new UsageError(`unexpected argument '${positionals[positionals.length - 1]}' (see sparsepush run --help)`);
    }
    quiet = values.quiet === true;
    const quietRun = quiet;
    engine = natsEngine(values, (line) => { if (!quietRun) io.stderr(`${line}\n`); });
    const resume = str(values.resume);
    if (resume && values.out) throw new UsageError('--resume continues in its own directory; do not combine it with --out');
    resumeDir = resume ? resolve(resume) : undefined;
    if (resumeDir) prepareOutDir(resumeDir, { force: false, resume: true });
    const file = str(values.config) ?? positionals[0] ?? (resumeDir ? join(resumeDir, CONFIG_FILE) : undefined);
    config = configFromInputs({
      file, sets: list(values.set), name: str(values.name), workers: str(values.workers), backend: str(values.backend),
    });
    if (resumeDir) checkResumeConfig(loadConfigFile(join(resumeDir, CONFIG_FILE)), config, resumeDir);
    outDir = resumeDir ?? resolve(str(values.out) ?? join('runs', `${timestamp()}-${config.name}`));
    if (!resumeDir) prepareOutDir(outDir, { force: values.force === true, resume: false });
    runExperiment = deps.runExperiment ?? await loadRunExperiment();
  } catch (err) {
    if (err instanceof UsageError || err instanceof ConfigError || err instanceof SpecError) return fail(err.message, 2);
    return fail(err instanceof Error ? err.message : String(err), 1);
  }

  if (!quiet) io.stderr(`sparsepush ${packageVersion()}: ${config.name} -> ${display(outDir)}\n`);
  // Held through the report too, so no other run writes here until this one is done.
  let lock: RunLock;
  try {
    lock = acquireLock(outDir, 'output directory');
  } catch (err) {
    return fail(err instanceof Error ? err.message : String(err), 1);
  }
  try {
    return await runAndReport(config, outDir, io, { runExperiment, quiet, resume: resumeDir !== undefined, ...(engine ? { engine } : {}) }, fail);
  } finally {
    lock.release();
  }
}

async function runAndReport(config: RunConfig, outDir: string, io: CliIO, opts: { runExperiment: RunExperiment; quiet: boolean; resume: boolean; engine?: RunExperimentOptions['engine'] },
  fail: (message: string, code: number) => number): Promise<number> {
  let summary: RunSummaryFile;
  try {
    summary = await executeRun(config, outDir, io, { ...opts, fresh: !opts.resume });
  } catch (err) {
    // A config problem only the engine can see (e.g. a dataset too small for the partition) is still exit 2.
    const code = err instanceof ConfigError || err instanceof SpecError ? 2 : 1;
    return fail(failureMessage(err, outDir), code);
  }

  let status = 0;
  try {
    const report = await buildReport([outDir], join(outDir, REPORT_FILE), { version: packageVersion() });
    io.stdout(`report: ${display(report.file)}\n`);
  } catch (err) {
    io.stderr(`sparsepush run: the run finished but its report failed: ${err instanceof Error ? err.message : String(err)}\n`);
    status = 1;
  }
  io.stdout(`${config.name}: ${finalLine(summary)}\n`);
  const t = summary.toTarget;
  if (t) {
    io.stdout(`target accuracy ${formatPercent(config.targetAccuracy, 1)} reached at round ${t.round}: bits sent ${formatBits(t.bitsSent)}, simulated ${formatDuration(t.simTimeS)}, energy ${formatSi(t.energyJ, 'J')}\n`);
  } else if (config.targetAccuracy > 0) {
    io.stdout(`target accuracy ${formatPercent(config.targetAccuracy, 1)} not reached\n`);
  }
  if (summary.paramsHash) io.stdout(`paramsHash: ${summary.paramsHash}\n`);
  return status;
}
