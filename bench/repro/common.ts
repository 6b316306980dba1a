/**
 * Shared machinery of the paper reproductions (bench/repro/<study>.ts).
 *
 * Every experiment goes through the PUBLIC command line, exactly as a user would type it:
 *   node bin/sparsepush.js run --set k=v ... --out DIR --name ID --workers N --quiet
 * (or `node --import tsx src/cli/entry.ts ...` when dist/ is missing or older than src/), one
 * process per run, one run at a time. A run whose DIR/summary.json already exists is not run
 * again (studies are resumable: interrupt and re-invoke), after checking that its recorded config
 * agrees with what the study asks for. Each command is printed before it runs and collected into
 * DIR/commands.sh, so every row of every table can be re-created by hand.
 *
 * A study is a StudyDefinition: plan(options) -> the runs, analyze(runs) -> the tables. The same
 * analyze() recomputes the tables from the committed copies in docs/results (build-results.ts), so
 * every table of docs/RESULTS.md is a function of committed data.
 *
 * A study writes, under <out>/<quick|full>/:
 *   <run-id>/        one run directory per configuration and seed (metrics.jsonl, summary.json, ...)
 *   study.json       how the runs were made: invocation, machine, commit, runtimes, run ids
 *   results.md       the tables (for reading; docs/RESULTS.md is rebuilt from the runs, not from this)
 *   commands.sh      the exact commands, in order
 *   *.html           `sparsepush compare` reports over selected runs
 * `node --import tsx bench/repro/build-results.ts --import <out>/..` copies it into docs/results.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { getPath, type RawConfig } from '../../src/config/paths.js';
import { readMetrics } from '../../src/metrics/jsonl.js';
import { formatBits, formatDuration, formatPercent } from '../../src/output/format.js';
import type { MetricsRecord, RunSummaryFile } from '../../src/metrics/records.js';
import { packageVersion } from '../../src/package.js';
import type { Kept, StudyProvenance } from './results-data.js';
import { BenchArgsError, benchUsage, parseBenchArgs, type BenchCommand, type OptionSpec } from '../args.js';

/** Repository root (bench/repro/ -> ../..). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

// ---------------------------------------------------------------------------------------------
// Arguments

export interface StudyOptions {
  readonly study: string;
  readonly quick: boolean;
  /** The study's output root (default runs/repro/<study>); runs go to <out>/<mode>/. */
  readonly out: string;
  /** <out>/<quick|full>: where this mode's runs and results live. */
  readonly modeDir: string;
  readonly seeds: number;
  readonly workers: number;
  /** Flags the study declared and the user gave (`--lenet` -> flags.has('lenet')). */
  readonly flags: ReadonlySet<string>;
  /** Print the plan (commands) without running anything. */
  readonly dryRun: boolean;
}

export interface StudyArgSpec {
  /** Default number of seeds in quick / full mode. */
  readonly seeds: { quick: number; full: number };
  /** Extra boolean flags the study understands, with their help text. */
  readonly flags?: Readonly<Record<string, string>>;
  /** The study's header comment (printed by --help). */
  readonly help: string;
}

/** A study's command line as a bench/args.ts declaration: the common options and the study's own flags. */
function studyCommand(study: string, spec: StudyArgSpec): BenchCommand<Record<string, OptionSpec>> {
  const options: Record<string, OptionSpec> = {
    quick: { type: 'boolean', description: 'small version (< 5 minutes on 2 cores)' },
    out: { type: 'string', placeholder: 'DIR', description: 'output root; runs go to DIR/quick or DIR/full', defaultText: `runs/repro/${study}` },
    seeds: { type: 'number', integer: true, min: 1, description: 'seeds 1..N', defaultText: `${spec.seeds.quick} quick, ${spec.seeds.full} full` },
    workers: { type: 'number', integer: true, min: 1, default: 1, description: 'worker threads per run (results do not depend on it)' },
    'dry-run': { type: 'boolean', description: 'print the commands without running them' },
  };
  for (const [flag, description] of Object.entries(spec.flags ?? {})) options[flag] = { type: 'boolean', description };
  return { script: `bench/repro/${study}.ts`, purpose: spec.help.trim(), options };
}

/**
 * A study's options from its command line (or from a recorded invocation's words). --help prints
 * the usage and exits 0; bad input throws BenchArgsError naming the option (runMain exits 2).
 */
export function parseStudyArgs(study: string, spec: StudyArgSpec, argv: readonly string[] = process.argv.slice(2)): StudyOptions {
  const command = studyCommand(study, spec);
  const parsed = parseBenchArgs(command, argv);
  if (parsed === null) {
    process.stdout.write(benchUsage(command));
    process.exit(0);
  }
  const v = parsed.values;
  const quick = v['quick'] === true;
  const dryRun = v['dry-run'] === true;
  const out = v['out'] as string | undefined;
  const seeds = v['seeds'] as number | undefined;
  const workers = v['workers'] as number;
  const flags = new Set(Object.keys(spec.flags ?? {}).filter((flag) => v[flag] === true));
  const outRoot = resolve(out ?? join(ROOT, 'runs', 'repro', study));
  return {
    study, quick, out: outRoot, modeDir: join(outRoot, quick ? 'quick' : 'full'),
    seeds: seeds ?? (quick ? spec.seeds.quick : spec.seeds.full), workers, flags, dryRun,
  };
}

// ---------------------------------------------------------------------------------------------
// The command line

export interface CliCommand {
  readonly argv0: string;
  readonly prefix: readonly string[];
  /** How it was chosen, for the log. */
  readonly via: 'dist' | 'tsx';
  /** What a reader should type (relative to the repository root). */
  readonly display: string;
}

function newestMtime(dir: string, ext: string): number {
  let newest = 0;
  if (!existsSync(dir)) return newest;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(ext)) continue;
    const p = join(entry.parentPath, entry.name);
    newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * `node bin/sparsepush.js` when dist/ exists and is at least as new as every source file it is
 * built from, else the TypeScript sources through tsx (always current, ~1-2 s slower to start).
 */
export function chooseCli(root: string = ROOT): CliCommand {
  const built = join(root, 'dist', 'src', 'cli', 'main.js');
  if (existsSync(built) && existsSync(join(root, 'dist', 'workers', 'phase.js'))) {
    const builtAt = statSync(built).mtimeMs;
    const sourceAt = Math.max(newestMtime(join(root, 'src'), '.ts'), newestMtime(join(root, 'workers'), '.ts'));
    // Compare against the oldest emitted file of the build, approximated by main.js (tsc writes all at once).
    if (builtAt >= sourceAt) {
      return { argv0: process.execPath, prefix: [join(root, 'bin', 'sparsepush.js')], via: 'dist', display: 'node bin/sparsepush.js' };
    }
  }
  return {
    argv0: process.execPath, prefix: ['--import', 'tsx', join(root, 'src', 'cli', 'entry.ts')], via: 'tsx',
    display: 'node --import tsx src/cli/entry.ts',
  };
}

/** Shell-quotes one word for display (commands.sh and the log). */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A path as a reader should type it: relative to the repository root when below it. */
export function displayPath(p: string): string {
  const r = relative(ROOT, p);
  return r && !r.startsWith('..') && !r.startsWith('/') ? r : p;
}

export interface Exec { code: number; stdout: string; stderr: string; wallS: number }

/** Runs `argv0 args` from the repository root and collects its output and wall time. */
function execCollect(argv0: string, args: readonly string[]): Promise<Exec> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(argv0, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => { stdout += b.toString(); });
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr, wallS: (performance.now() - t0) / 1000 }));
  });
}

export function execCli(cli: CliCommand, args: readonly string[]): Promise<Exec> {
  return execCollect(cli.argv0, [...cli.prefix, ...args]);
}

// ---------------------------------------------------------------------------------------------
// Runs

/** A config value as given to --set (YAML-parsed by the CLI). */
export type SetValue = string | number | boolean;

export interface RunSpec {
  /** Directory name under the mode directory and the run's name in reports; unique in the study. */
  readonly id: string;
  /** A config file the run starts from (`--config`), before the --set overrides. */
  readonly configFile?: string;
  /** --set overrides, applied in order. */
  readonly sets: Readonly<Record<string, SetValue>>;
  /** Labels for grouping rows (algorithm, compressor, partition, seed, ...). */
  readonly tags: Readonly<Record<string, string | number>>;
}

export interface RunResult {
  readonly spec: RunSpec;
  /** The run directory ('' for a run read back from docs/results). */
  readonly dir: string;
  readonly summary: RunSummaryFile;
  readonly metrics: MetricsRecord[];
  /** Which evaluations `metrics` holds (results-data.ts): 'all' for a run made now. */
  readonly kept: Kept;
  /** True when the run was found finished and not run again. */
  readonly reused: boolean;
  /** The command (as a reader would type it). */
  readonly command: string;
}

/** A run's metrics.jsonl (the library's reader). */
export const readJsonl = readMetrics;

/** The keys whose recorded value in a finished run disagrees with the spec (for safe reuse). */
export function configMismatches(config: unknown, sets: Readonly<Record<string, SetValue>>): string[] {
  const bad: string[] = [];
  for (const [k, v] of Object.entries(sets)) {
    const got = getPath(config as RawConfig, k);
    const same = typeof v === 'number' && typeof got === 'number' ? Math.abs(v - got) <= 1e-12 * Math.max(1, Math.abs(v)) : String(got) === String(v);
    if (!same) bad.push(`${k}: run has ${JSON.stringify(got)}, study wants ${JSON.stringify(v)}`);
  }
  return bad;
}

/**
 * Why a finished run cannot stand in for this spec: config mismatches, or another sparsepush version
 * (it may encode messages differently, as 0.2.0's Rice index format does, so its bits would not
 * compare with this version's).
 */
export function reuseProblems(prior: Pick<RunSummaryFile, 'version' | 'config'>, sets: Readonly<Record<string, SetValue>>, version = packageVersion()): string[] {
  const bad = configMismatches(prior.config, sets);
  if (prior.version !== version) bad.unshift(`made by sparsepush ${prior.version}, this is ${version}`);
  return bad;
}

export class Study {
  readonly opts: StudyOptions;
  readonly cli: CliCommand;
  readonly commands: string[] = [];
  /** Run directories (relative to the mode directory) that belong to this invocation. */
  readonly runDirs: string[] = [];
  readonly started = new Date();
  private readonly t0 = performance.now();
  private readonly loadStart = loadavg()[0]!;
  private executed = 0;
  private reused = 0;
  private runsWallS = 0;

  constructor(opts: StudyOptions) {
    this.opts = opts;
    this.cli = chooseCli();
    mkdirSync(opts.modeDir, { recursive: true });
    this.log(`${opts.study} (${opts.quick ? 'quick' : 'full'}): output ${displayPath(opts.modeDir)}, seeds ${opts.seeds}, workers ${opts.workers}, CLI via ${this.cli.via} (${this.cli.display})`);
  }

  log(line: string): void {
    process.stdout.write(`[${this.opts.study} ${((performance.now() - this.t0) / 1000).toFixed(0).padStart(5)}s] ${line}\n`);
  }

  runArgs(spec: RunSpec, dir: string): string[] {
    const args = ['run'];
    if (spec.configFile) args.push('--config', spec.configFile);
    for (const [k, v] of Object.entries(spec.sets)) args.push('--set', `${k}=${String(v)}`);
    args.push('--name', spec.id, '--out', dir, '--workers', String(this.opts.workers), '--quiet');
    return args;
  }

  /** Runs the specs one after another (skipping finished ones); returns their results in order. */
  async runAll(specs: readonly RunSpec[]): Promise<RunResult[]> {
    const ids = new Set<string>();
    for (const s of specs) {
      if (ids.has(s.id)) throw new Error(`duplicate run id ${s.id}`);
      ids.add(s.id);
    }
    const results: RunResult[] = [];
    for (const [i, spec] of specs.entries()) {
      const dir = join(this.opts.modeDir, spec.id);
      this.runDirs.push(spec.id);
      const args = this.runArgs(spec, dir);
      const command = [this.cli.display, ...args.map((a) => shellQuote(a === dir ? displayPath(dir) : a))].join(' ');
      this.commands.push(command);
      const tag = `[${i + 1}/${specs.length}] ${spec.id}`;
      const summaryFile = join(dir, 'summary.json');
      if (this.opts.dryRun) { this.log(`${tag}: ${command}`); continue; }
      let reused = false;
      if (existsSync(summaryFile)) {
        const prior = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummaryFile;
        const bad = reuseProblems(prior, spec.sets);
        if (bad.length > 0) {
          throw new Error(`${displayPath(dir)} holds a finished run that does not match (${bad.join('; ')}); delete it or use another --out`);
        }
        reused = true;
        this.reused++;
        this.log(`${tag}: finished earlier, reused  (${command})`);
      } else {
        this.log(`${tag}: $ ${command}`);
        const r = await execCli(this.cli, args);
        if (r.code !== 0 || !existsSync(summaryFile)) {
          throw new Error(`run ${spec.id} failed (exit ${r.code}):\n${r.stderr.trim() || r.stdout.trim()}`);
        }
        this.executed++;
      }
      const summary = JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummaryFile;
      const metrics = readJsonl(join(dir, 'metrics.jsonl'));
      const f = summary.final;
      if (!reused) {
        this.log(`${tag}: accuracy ${formatPercent(f.accuracy)}, bits ${formatBits(f.bitsSent ?? 0)}, wall ${summary.wallTimeS.toFixed(1)} s`);
      }
      this.runsWallS += summary.wallTimeS;
      results.push({ spec, dir, summary, metrics, kept: 'all', reused, command });
    }
    return results;
  }

  /** `sparsepush compare` over some runs; returns the report path (or null in a dry run). */
  async compare(results: readonly RunResult[], file: string, title: string): Promise<string | null> {
    const out = join(this.opts.modeDir, file);
    const args = ['compare', ...results.map((r) => r.dir), '--out', out, '--title', title];
    const command = [this.cli.display, ...['compare', ...results.map((r) => displayPath(r.dir)), '--out', displayPath(out), '--title', title].map(shellQuote)].join(' ');
    this.commands.push(command);
    if (this.opts.dryRun) { this.log(`$ ${command}`); return null; }
    this.log(`$ ${command}`);
    const r = await execCli(this.cli, args);
    if (r.code !== 0) throw new Error(`compare failed (exit ${r.code}):\n${r.stderr.trim()}`);
    return out;
  }

  /** An external command that is part of the study (e.g. bench/engine.ts), run from the root. */
  async exec(display: string, argv0: string, args: readonly string[]): Promise<Exec> {
    this.commands.push(display);
    this.log(`$ ${display}`);
    if (this.opts.dryRun) return { code: 0, stdout: '', stderr: '', wallS: 0 };
    return execCollect(argv0, args);
  }

  /** Writes study.json, results.md and commands.sh; prints the tables and the commands. */
  finish(analysis: Analysis, extra?: unknown): StudyProvenance {
    const wallS = (performance.now() - this.t0) / 1000;
    const record: StudyProvenance = {
      study: this.opts.study,
      mode: this.opts.quick ? 'quick' : 'full',
      seeds: this.opts.seeds,
      workers: this.opts.workers,
      started: this.started.toISOString(),
      wallS,
      runsExecuted: this.executed,
      runsReused: this.reused,
      runsWallS: this.runsWallS,
      cli: this.cli.display,
      invocation: `node --import tsx bench/repro/${this.opts.study}.ts ${process.argv.slice(2).map(shellQuote).join(' ')}`.trim(),
      machine: machine(this.loadStart),
      runs: [...this.runDirs],
      ...(extra === undefined ? {} : { extra }),
    };
    if (this.opts.dryRun) {
      process.stdout.write(`\n${this.commands.join('\n')}\n`);
      return record;
    }
    writeFileSync(join(this.opts.modeDir, 'study.json'), JSON.stringify(record, null, 2) + '\n');
    const md = analysisMarkdown(analysis);
    writeFileSync(join(this.opts.modeDir, 'results.md'), md);
    writeFileSync(join(this.opts.modeDir, 'commands.sh'), commandsScript(record.study, record.mode, record.invocation, this.commands));
    process.stdout.write(`\n${md}\n`);
    process.stdout.write(`Commands run (also in ${displayPath(join(this.opts.modeDir, 'commands.sh'))}):\n${this.commands.map((c) => `  ${c}`).join('\n')}\n`);
    this.log(`done in ${formatDuration(wallS)} (${this.executed} runs executed, ${this.reused} reused); results in ${displayPath(this.opts.modeDir)}`);
    return record;
  }
}

/** commands.sh of a study mode. */
export function commandsScript(study: string, mode: string, invocation: string, commands: readonly string[]): string {
  return `#!/bin/sh\n# ${study} (${mode}), from the repository root. Generated by ${invocation}\nset -e\n${commands.join('\n')}\n`;
}

export interface Machine {
  /** The checkout the runs used: commit and the modified tracked source files (other helpers' work in progress). */
  git: { commit: string; modified: string[] };
  cpu: string;
  cores: number;
  memGiB: number;
  node: string;
  platform: string;
  loadAvgStart: number;
  loadAvgEnd: number;
}

function gitState(): { commit: string; modified: string[] } {
  const run = (args: string[]): string => {
    const r = spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trimEnd() : '';
  };
  const modified = run(['status', '--porcelain', '--untracked-files=no', '--', 'src', 'workers', 'assembly'])
    .split('\n').filter((l) => l.trim() !== '').map((l) => l.slice(3));
  return { commit: run(['rev-parse', '--short=12', 'HEAD']) || 'unknown', modified };
}

function machine(loadStart: number): Machine {
  const c = cpus();
  return {
    git: gitState(),
    cpu: c[0]?.model ?? 'unknown', cores: c.length, memGiB: Math.round(totalmem() / 2 ** 30), node: process.version,
    platform: `${process.platform}-${process.arch}`, loadAvgStart: round(loadStart, 2), loadAvgEnd: round(loadavg()[0]!, 2),
  };
}

/** A `sparsepush compare` report over some of a study's runs. */
export interface ReportPlan {
  /** File name in the mode directory. */
  file: string;
  title: string;
  /** Run ids, in legend order. */
  runs: string[];
}

export interface Table {
  readonly title: string;
  readonly headers: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  /** Text under the table (what the columns mean). */
  readonly caption?: string;
}

/** What a study's analysis gives: its tables, notes under them, and the reports to make. */
export interface Analysis {
  tables: Table[];
  notes: string[];
  reports: ReportPlan[];
}

/** A reproduction study: the runs it makes and the tables it computes from them. */
export interface StudyDefinition {
  readonly id: string;
  /** Section title in docs/RESULTS.md. */
  readonly title: string;
  /** Its script, relative to the repository root. */
  readonly script: string;
  readonly args: StudyArgSpec;
  /** The runs of one invocation, in order (pure: the same options give the same specs). */
  plan(opts: StudyOptions): RunSpec[];
  /**
   * The tables from the runs (made now, or read back from docs/results with `kept` saying which
   * evaluations survived); `extra` is the raw non-run data the study recorded (study.json).
   */
  analyze(results: readonly RunResult[], opts: StudyOptions, extra: unknown): Analysis;
}

/** Runs a study from its command line: plan, run (reusing finished runs), analyze, reports, files. */
export async function runStudy(def: StudyDefinition): Promise<void> {
  const opts = parseStudyArgs(def.id, def.args);
  const study = new Study(opts);
  const results = await study.runAll(def.plan(opts));
  const analysis = def.analyze(results, opts, undefined);
  for (const r of analysis.reports) await study.compare(r.runs.map((id) => results.find((x) => x.spec.id === id)!), r.file, r.title);
  study.finish(analysis);
}

/** True when the module at `url` is the script node was started with (not imported). */
export function isMain(url: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && pathToFileURL(resolve(entry)).href === url;
}

/** Cell text for a quantity whose evaluations were not kept (results-data.ts). */
export const UNKNOWN = 'n/a †';
/** The note under a table with † cells. */
export const PARTIAL_NOTE = '† computed from the runs whose per-evaluation metrics are committed (docs/results/<study>/<mode>/runs.jsonl, "kept": "all" or "milestones"); the other seeds\' metrics were not kept when the study was run, so re-running the study recomputes these cells from every seed.';

/** True when the run's kept evaluations give exact first-reaching rounds and bits. */
export function hasMilestones(r: Pick<RunResult, 'kept'>): boolean {
  return r.kept === 'all' || r.kept === 'milestones';
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** The first evaluation whose test accuracy is at least `target`, or null. */
export function firstReaching(metrics: readonly MetricsRecord[], target: number): MetricsRecord | null {
  for (const m of metrics) if (typeof m.accuracy === 'number' && m.accuracy >= target) return m;
  return null;
}

/** Mean of the last `k` evaluations' accuracy (smooths evaluation noise at the end of a run). */
export function tailAccuracy(metrics: readonly MetricsRecord[], k: number): number {
  const acc = metrics.map((m) => m.accuracy).filter((a): a is number => typeof a === 'number');
  const tail = acc.slice(-k);
  return tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
}

export function mean(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

export function std(xs: readonly number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Groups results by a key function, keeping first-seen order. */
export function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

// ---------------------------------------------------------------------------------------------
// Formatting

/** "83.10 ± 0.12" (percent points) over seeds; no ± with one seed. */
export function pctMeanStd(xs: readonly number[], digits = 2): string {
  if (xs.length === 0) return '–';
  const m = (100 * mean(xs)).toFixed(digits);
  return xs.length > 1 ? `${m} ± ${(100 * std(xs)).toFixed(digits)}` : m;
}

export function fmtNum(x: number | null | undefined, digits = 3): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return '–';
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-3)) return x.toExponential(digits - 1);
  return Number(x.toPrecision(digits)).toString();
}

function escapeCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

export function markdownTable(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const right = headers.map((_, c) => rows.length > 0 && rows.every((r) => /^[-–+\d.,%x±\s]*(bit|kbit|Mbit|Gbit|Tbit|J|s|min|h)?$/.test(r[c] ?? '')));
  const line = (cells: readonly string[]): string => `| ${cells.map(escapeCell).join(' | ')} |`;
  return [
    line(headers),
    `| ${headers.map((_, c) => (right[c] ? '---:' : '---')).join(' | ')} |`,
    ...rows.map(line),
  ].join('\n');
}

export function analysisMarkdown(a: Pick<Analysis, 'tables' | 'notes'>): string {
  const parts: string[] = [];
  for (const t of a.tables) {
    parts.push(`#### ${t.title}\n\n${markdownTable(t.headers, t.rows)}\n${t.caption ? `\n${t.caption}\n` : ''}`);
  }
  if (a.notes.length > 0) parts.push(a.notes.map((n) => `- ${n}`).join('\n') + '\n');
  return parts.join('\n');
}

/** Runs main, printing errors plainly (no stack for expected failures) and setting the exit code. */
export function runMain(main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const text = err instanceof Error ? err.message : String(err);
    process.stderr.write(err instanceof BenchArgsError ? `${text} (see --help)\n` : `${text}\n`);
    process.exitCode = err instanceof BenchArgsError ? 2 : 1;
  });
}
