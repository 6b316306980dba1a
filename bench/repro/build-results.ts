/**
 * docs/RESULTS.md (and docs/results/tune/exploration/README.md) from the committed data in
 * docs/results: every table is recomputed by the studies' own analyze() from the runs' summaries
 * and kept evaluations (results-data.ts), and every number of the hand-written text is a
 * {{fact}} computed from the same runs (facts.ts). The benchmark pages (docs/results/nats, page,
 * model-file, api: README.md from source.md and the JSON beside it) likewise (bench-pages.ts).
 *
 *   node --import tsx bench/repro/build-results.ts            rewrite the generated files
 *   node --import tsx bench/repro/build-results.ts --check    fail (exit 1) on any difference  (npm run results:check)
 *   node --import tsx bench/repro/build-results.ts [--import DIR] [--repeat DIR2]
 *        --import copies studies made with `bench/repro/<study>.ts [--out DIR/<study>]`
 *        (DIR/<study>/<mode>/) into docs/results, then rewrites; --repeat records a second run of
 *        the quick studies (DIR2/<study>/quick) to show whether every paramsHash repeated
 *   node --import tsx bench/repro/build-results.ts --refill DIR
 *        evaluations for committed runs that kept none, from re-runs of their commands.sh lines
 *        into DIR/<study>/<mode>/<id>/ (each must give the committed paramsHash)
 *   node --import tsx bench/repro/build-results.ts --import-exploration DIR
 *        run directories made outside any study script (DIR/<id>/) into tune/exploration
 *   node --import tsx bench/repro/build-results.ts --extract DIR
 *        the committed runs as run directories DIR/<study>/<mode>/<id>/ (summary.json,
 *        metrics.jsonl, config.resolved.yaml), for `sparsepush compare` or `run --config`
 *
 * Sources it reads besides the data: docs/results/intro.md, summary.md, <study>/discussion.md and
 * tune/exploration/intro.md. Takes a few seconds; it trains nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { readMetrics } from '../../src/metrics/jsonl.js';
import type { RunSummaryFile } from '../../src/metrics/records.js';
import {
  analysisMarkdown, commandsScript, displayPath, isMain, markdownTable, parseStudyArgs, ROOT, runMain, type RunResult, type StudyDefinition, type StudyOptions,
} from './common.js';
import { formatDuration } from '../../src/output/format.js';
import { benchArgs } from '../args.js';
import { renderPages } from './bench-pages.js';
import { DAGC_STUDY } from './dagc.js';
import { EXPLORATION, explorationTables } from './exploration.js';
import { Facts, lintNumbers } from './facts.js';
import {
  canonicalJson, collectionDir, keepMetrics, readProvenance, readRuns, RESULTS_DIR, trimSummary, writeProvenance, writeRuns,
  type Kept, type RunRecord, type StudyProvenance,
} from './results-data.js';
import { SCALE_STUDY } from './scale.js';
import { SKEW_STUDY } from './skew.js';
import { SPARSE_PUSH_STUDY } from './sparse-push.js';
import { TUNE_STUDY } from './tune.js';

const STUDIES: readonly StudyDefinition[] = [SPARSE_PUSH_STUDY, SKEW_STUDY, DAGC_STUDY, SCALE_STUDY, TUNE_STUDY];
const MODES = ['full', 'quick'] as const;
type Mode = typeof MODES[number];
const RESULTS_MD = join(ROOT, 'docs', 'RESULTS.md');
/** Pages written by hand that are not rendered: no hand-written measurements in them (lintNumbers). */
const HAND_WRITTEN = [join(ROOT, 'README.md'), join(ROOT, 'docs', 'algorithms.md'), join(ROOT, 'docs', 'model-files.md')];
const EXPLORATION_MD = join(RESULTS_DIR, 'tune', 'exploration', 'README.md');

// ---------------------------------------------------------------------------------------------
// Reading a committed study back

/** Words of a recorded invocation after the script ("node --import tsx bench/repro/x.ts --quick" -> ["--quick"]). */
export function invocationArgs(invocation: string, script: string): string[] {
  const words: string[] = invocation.match(/'(?:[^']|'\\'')*'|\S+/g) ?? [];
  const at = words.indexOf(script);
  if (at < 0) throw new Error(`invocation "${invocation}" does not run ${script}`);
  return words.slice(at + 1).map((w) => (w.startsWith("'") ? w.slice(1, -1).replace(/'\\''/g, "'") : w));
}

export interface LoadedStudy {
  def: StudyDefinition;
  mode: Mode;
  dir: string;
  provenance: StudyProvenance;
  opts: StudyOptions;
  records: RunRecord[];
  results: RunResult[];
}

/** A committed study mode as the analysis sees it, or null when it was never committed. */
export function loadStudy(def: StudyDefinition, mode: Mode): LoadedStudy | null {
  const dir = collectionDir(def.id, mode);
  const provenance = readProvenance(dir);
  if (!provenance) return null;
  const where = displayPath(dir);
  const opts = parseStudyArgs(def.id, def.args, invocationArgs(provenance.invocation, def.script));
  if ((opts.quick ? 'quick' : 'full') !== mode) throw new Error(`${where}/study.json: its invocation is a ${opts.quick ? 'quick' : 'full'} run`);
  const records = readRuns(join(dir, 'runs.jsonl'));
  const byId = new Map(records.map((r) => [r.id, r]));
  const specs = def.plan(opts);
  const planned = specs.map((s) => s.id);
  if (planned.join('\n') !== provenance.runs.join('\n')) {
    const missing = planned.filter((id) => !provenance.runs.includes(id));
    const extra = provenance.runs.filter((id) => !planned.includes(id));
    throw new Error(`${where}: ${def.script} now plans other runs than study.json records (planned, not recorded: ${missing.join(', ') || 'none'}; recorded, not planned: ${extra.join(', ') || 'none'}); re-run the study or restore the plan`);
  }
  const results: RunResult[] = specs.map((spec) => {
    const r = byId.get(spec.id);
    if (!r) throw new Error(`${where}/runs.jsonl: run ${spec.id} of study.json is missing`);
    return { spec, dir: '', summary: r.summary, metrics: r.metrics, kept: r.kept, reused: true, command: '' };
  });
  if (records.length !== specs.length) throw new Error(`${where}/runs.jsonl: ${records.length - specs.length} runs are not in study.json`);
  return { def, mode, dir, provenance, opts, records, results };
}

// ---------------------------------------------------------------------------------------------
// Rendering

function machineLine(p: StudyProvenance): string {
  const m = p.machine;
  return `${m.cores} × ${m.cpu}, ${m.memGiB} GiB, Node ${m.node} (${m.platform}); load average ${m.loadAvgStart} at start, ${m.loadAvgEnd} at the end (the machine is shared with other agents)`;
}

function keptLine(records: readonly RunRecord[]): string {
  const count = new Map<string, number>();
  for (const r of records) {
    const k = r.kept.startsWith('thinned') ? 'thinned' : r.kept;
    count.set(k, (count.get(k) ?? 0) + 1);
  }
  const label: Record<string, string> = { all: 'every evaluation', milestones: 'every evaluation that raised the best accuracy, the last two and a thinned series', thinned: 'a thinned series only', none: 'no evaluations (summary only)' };
  return ['all', 'milestones', 'thinned', 'none'].filter((k) => count.has(k)).map((k) => `${count.get(k)} with ${label[k]}`).join(', ');
}

function studySection(def: StudyDefinition, loaded: readonly LoadedStudy[], facts: Facts): string {
  const out: string[] = [`## ${def.title}`, ''];
  const discussion = join(RESULTS_DIR, def.id, 'discussion.md');
  if (existsSync(discussion)) out.push(facts.render(readFileSync(discussion, 'utf8'), displayPath(discussion), def.id).trim(), '');
  if (loaded.length === 0) out.push(`Not run yet: \`node --import tsx ${def.script} --quick\`.`, '');
  for (const s of loaded) {
    const p = s.provenance;
    const label = s.mode === 'quick' ? 'QUICK-MODE numbers (small: fewer rounds / seeds / configurations than the full study)' : 'Full-mode numbers';
    const rel = `results/${def.id}/${s.mode}/`;
    out.push(`### ${label}`, '');
    out.push(`- Command: \`${p.invocation}\` — ${p.runsExecuted + p.runsReused} runs, ${formatDuration(p.wallS)} wall time`
      + `${p.runsReused > 0 ? ` in the last invocation (${p.runsReused} runs reused from earlier invocations)` : ''}, ${p.seeds} seed(s), ${p.workers} worker thread(s) per run, started ${p.started}; every command in [commands.sh](${rel}commands.sh).`);
    out.push(`- Machine: ${machineLine(p)}.`);
    out.push(`- Code: commit ${p.machine.git.commit}${p.machine.git.modified.length > 0 ? ` plus uncommitted work in progress in ${p.machine.git.modified.map((f) => `\`${f}\``).join(', ')}` : ''}; CLI \`${p.cli}\`.`);
    out.push(`- Data: [${rel}runs.jsonl](${rel}runs.jsonl), one line per run (its summary.json and kept evaluations: ${keptLine(s.records)}), and [study.json](${rel}study.json).`);
    for (const n of p.notes ?? []) out.push(`- ${n}`);
    out.push('');
    out.push(analysisMarkdown(s.def.analyze(s.results, s.opts, p.extra)));
  }
  return out.join('\n');
}

interface Repeat {
  invocation: string;
  /** The checkout the second run used (its study.json). */
  commit: string;
  wallS: number;
  runsExecuted: number;
  runs: Record<string, { paramsHash: string; accuracy: number | null }>;
}

function repeatSection(loaded: readonly LoadedStudy[]): string[] {
  const md: string[] = ['## Re-running a study reproduces its rows', ''];
  let any = false;
  for (const s of loaded) {
    const f = join(s.dir, 'repeat.json');
    if (s.mode !== 'quick' || !existsSync(f)) continue;
    any = true;
    const again = JSON.parse(readFileSync(f, 'utf8')) as Repeat;
    const rows: string[][] = [];
    let same = 0;
    for (const r of s.results) {
      const b = again.runs[r.spec.id];
      if (!b) continue;
      const eq = b.paramsHash === r.summary.paramsHash;
      if (eq) same++;
      rows.push([r.spec.id, r.summary.paramsHash.slice(0, 16), b.paramsHash.slice(0, 16), eq ? 'identical' : 'DIFFERENT',
        `${((r.summary.final.accuracy ?? 0) * 100).toFixed(2)} / ${((b.accuracy ?? 0) * 100).toFixed(2)}`]);
    }
    md.push(`\`${s.def.id}\` quick mode, run a second time from scratch into another directory (\`${again.invocation}\` at commit ${again.commit}, ${formatDuration(again.wallS)}, ${again.runsExecuted} runs executed; [repeat.json](results/${s.def.id}/quick/repeat.json)): ${same} of ${rows.length} runs gave the identical paramsHash (sha256 of the final network-average model), so the tables repeat exactly.`, '');
    md.push(markdownTable(['Run', 'paramsHash (committed)', 'paramsHash (again)', 'Result', 'Accuracy % (committed / again)'], rows), '');
  }
  if (!any) md.push('No repeat run recorded (run a quick study a second time with `--out runs/repro-check/<study>`, then `build-results.ts --import runs/repro --repeat runs/repro-check`).', '');
  return md;
}

/** The generated files (path -> contents) and the numbers their sources write by hand. */
export function renderAll(): { files: Map<string, string>; literalNumbers: string[] } {
  const loaded = new Map<string, LoadedStudy[]>();
  for (const def of STUDIES) loaded.set(def.id, MODES.map((m) => loadStudy(def, m)).filter((s): s is LoadedStudy => s !== null));
  const exploration = readRuns(join(EXPLORATION.dir, 'runs.jsonl'));
  const facts = new Facts();
  for (const list of loaded.values()) for (const s of list) facts.addCollection(`${s.def.id}/${s.mode}`, s.records, s.provenance.extra);
  facts.addCollection('tune/exploration', exploration);

  const files = new Map<string, string>();
  const md: string[] = [
    '# Reproducing the papers at laptop scale',
    '',
    '<!-- Generated by `node --import tsx bench/repro/build-results.ts` from the data in docs/results (checked by `npm run results:check`); edit docs/results/intro.md, summary.md and <study>/discussion.md, not this file. -->',
    '',
  ];
  for (const f of ['intro.md', 'summary.md']) {
    const p = join(RESULTS_DIR, f);
    if (existsSync(p)) md.push(facts.render(readFileSync(p, 'utf8'), displayPath(p), 'sparse-push').trim(), '');
  }
  const runtimes: string[][] = [];
  for (const def of STUDIES) {
    for (const s of loaded.get(def.id)!) {
      const p = s.provenance;
      runtimes.push([def.id, s.mode, formatDuration(p.runsWallS), `${formatDuration(p.wallS)}${p.runsReused > 0 ? ` (${p.runsReused} of ${p.runsExecuted + p.runsReused} runs reused)` : ''}`, String(p.runsExecuted + p.runsReused), String(p.seeds), `\`${p.invocation}\``]);
    }
  }
  md.push('## Studies and runtimes', '', markdownTable(['Study', 'Mode', 'Σ run wall times', 'Last invocation', 'Runs', 'Seeds', 'Command'], runtimes), '',
    'Σ run wall times: the runs\' own wall times from their summary.json (data loading, training, evaluation, report; not the ~2–5 s process start-up each). Last invocation: the script\'s wall time the last time it was invoked (finished runs are reused, so a re-invocation is fast). Each script\'s header states its measured runtime from scratch.', '');
  for (const def of STUDIES) md.push(studySection(def, loaded.get(def.id)!, facts));
  md.push(...repeatSection([...loaded.values()].flat()));
  files.set(RESULTS_MD, md.join('\n').replace(/\n{3,}/g, '\n\n'));

  const intro = join(EXPLORATION.dir, 'intro.md');
  const x: string[] = [
    `<!-- Generated by \`node --import tsx bench/repro/build-results.ts\` from runs.jsonl and intro.md in this directory (checked by \`npm run results:check\`); edit intro.md or bench/repro/exploration.ts, not this file. -->`,
    '',
    facts.render(readFileSync(intro, 'utf8'), displayPath(intro), 'tune/exploration').trim(),
    '',
  ];
  for (const t of explorationTables(exploration)) {
    x.push(`**${facts.render(t.title, `${displayPath(EXPLORATION_MD)} table title`, 'tune/exploration')}**`, '', markdownTable(t.headers, t.rows), '');
  }
  files.set(EXPLORATION_MD, x.join('\n').replace(/\n{3,}/g, '\n\n'));
  const pages = renderPages();
  for (const [file, text] of pages.files) files.set(file, text);
  return { files, literalNumbers: [...facts.literalNumbers, ...pages.literalNumbers] };
}

// ---------------------------------------------------------------------------------------------
// Import, extract

/** The metrics file of a run directory and what it holds. */
function runMetrics(dir: string): { metrics: RunRecord['metrics']; kept: Kept } {
  if (existsSync(join(dir, 'metrics.jsonl'))) return keepMetrics(readMetrics(join(dir, 'metrics.jsonl')));
  const thinned = readdirSync(dir).find((f) => /^metrics\.every\d+\.jsonl$/.test(f));
  if (thinned) return { metrics: readMetrics(join(dir, thinned)), kept: `thinned:${Number(/\d+/.exec(thinned)![0])}` };
  return { metrics: [], kept: 'none' };
}

/** A run directory as a committed record. */
export function packRun(id: string, dir: string): RunRecord {
  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as RunSummaryFile;
  return { id, summary: trimSummary(summary), ...runMetrics(dir) };
}

/** Where a study mode's run `id` lives under `modeDir` (the study layout, or `runs/<id>`). */
function runDirOf(modeDir: string, id: string): string {
  return existsSync(join(modeDir, id, 'summary.json')) ? join(modeDir, id) : join(modeDir, 'runs', id);
}

function importStudies(root: string, repeatRoot: string | null): void {
  for (const def of STUDIES) {
    for (const mode of MODES) {
      const src = join(root, def.id, mode);
      const f = existsSync(join(src, 'study.json')) ? join(src, 'study.json') : join(src, 'results.json');
      if (!existsSync(f)) continue;
      const raw = JSON.parse(readFileSync(f, 'utf8')) as StudyProvenance & { data?: unknown };
      const provenance: StudyProvenance = {
        study: raw.study, mode: raw.mode, seeds: raw.seeds, workers: raw.workers, started: raw.started, wallS: raw.wallS,
        runsExecuted: raw.runsExecuted, runsReused: raw.runsReused, runsWallS: raw.runsWallS, cli: raw.cli, invocation: raw.invocation,
        machine: raw.machine, runs: raw.runs,
        ...(raw.extra !== undefined ? { extra: raw.extra } : def.id === 'scale' && raw.data ? { extra: (raw.data as { bench: unknown }).bench } : {}),
        ...(raw.notes && typeof raw.notes[0] === 'string' && f.endsWith('study.json') ? { notes: raw.notes } : {}),
      };
      const records = provenance.runs.map((id) => packRun(id, runDirOf(src, id)));
      const dst = collectionDir(def.id, mode);
      mkdirSync(dst, { recursive: true });
      writeRuns(join(dst, 'runs.jsonl'), records);
      writeProvenance(dst, provenance);
      const commands = join(src, 'commands.sh');
      if (existsSync(commands)) writeFileSync(join(dst, 'commands.sh'), readFileSync(commands, 'utf8'));
      else writeFileSync(join(dst, 'commands.sh'), commandsScript(def.id, mode, provenance.invocation, []));
      console.log(`${def.id} ${mode}: ${records.length} runs from ${displayPath(src)} -> ${displayPath(dst)}`);
      if (repeatRoot && mode === 'quick') importRepeat(def, join(repeatRoot, def.id, 'quick'), dst);
    }
  }
}

function importRepeat(def: StudyDefinition, src: string, dst: string): void {
  const f = join(src, 'study.json');
  if (!existsSync(f)) return;
  const p = JSON.parse(readFileSync(f, 'utf8')) as StudyProvenance;
  const runs: Repeat['runs'] = {};
  for (const id of p.runs) {
    const s = JSON.parse(readFileSync(join(src, id, 'summary.json'), 'utf8')) as RunSummaryFile;
    runs[id] = { paramsHash: s.paramsHash, accuracy: s.final.accuracy ?? null };
  }
  const repeat: Repeat = { invocation: p.invocation, commit: p.machine.git.commit, wallS: p.wallS, runsExecuted: p.runsExecuted, runs };
  writeFileSync(join(dst, 'repeat.json'), JSON.stringify(repeat, null, 2) + '\n');
  console.log(`${def.id} quick: repeat of ${p.runs.length} runs from ${displayPath(src)}`);
}

/**
 * Re-made runs of a committed study (the same commands, DIR/<study>/<mode>/<id>/) give the
 * committed runs the evaluations their first invocation did not keep. Each must have the committed
 * run's paramsHash (the same run); the summary stays the committed one, and study.json notes it.
 */
function refillMetrics(root: string): void {
  const date = new Date().toISOString().slice(0, 10);
  for (const def of STUDIES) {
    for (const mode of MODES) {
      const src = join(root, def.id, mode);
      if (!existsSync(src)) continue;
      const dir = collectionDir(def.id, mode);
      const records = readRuns(join(dir, 'runs.jsonl'));
      const provenance = readProvenance(dir);
      if (!provenance) throw new Error(`${displayPath(dir)} holds no committed study to refill`);
      const refilled: string[] = [];
      const out = records.map((r) => {
        const runDir = join(src, r.id);
        if (!existsSync(join(runDir, 'summary.json'))) return r;
        const again = packRun(r.id, runDir);
        if (again.summary.paramsHash !== r.summary.paramsHash) {
          throw new Error(`${displayPath(runDir)}: paramsHash ${again.summary.paramsHash.slice(0, 16)} is not the committed ${r.summary.paramsHash.slice(0, 16)}: not the same run`);
        }
        refilled.push(r.id);
        return { ...r, metrics: again.metrics, kept: again.kept, metricsFrom: `re-run ${date} with sparsepush ${again.summary.version} and the command of commands.sh (identical paramsHash)` };
      });
      if (refilled.length === 0) continue;
      writeRuns(join(dir, 'runs.jsonl'), out);
      const note = `The evaluations of ${refilled.length} runs (${refilled.join(', ')}) come from re-running their commands on ${date}: each gave the committed paramsHash (the first invocation kept only seed 1's evaluations).`;
      writeProvenance(dir, { ...provenance, notes: [...(provenance.notes ?? []), note] });
      console.log(`${def.id} ${mode}: evaluations of ${refilled.length} runs from ${displayPath(src)} (identical paramsHash)`);
    }
  }
}

/** Adds (or replaces) the run directories under `src` in the exploration collection. */
function importExploration(src: string): void {
  const file = join(EXPLORATION.dir, 'runs.jsonl');
  const records = new Map(readRuns(file).map((r) => [r.id, r]));
  let n = 0;
  for (const id of readdirSync(src).sort()) {
    if (!existsSync(join(src, id, 'summary.json'))) continue;
    records.set(id, packRun(id, join(src, id)));
    n++;
  }
  writeRuns(file, [...records.values()].sort((a, b) => a.id.localeCompare(b.id)));
  console.log(`tune/exploration: ${n} runs from ${displayPath(src)}`);
}

/**
 * Runs committed without (exact) evaluations take them from another committed run that is the
 * same run: same paramsHash, same sparsepush version, same config but for its name. Recorded in
 * `metricsFrom`.
 */
function fillMetricsFromTwins(): void {
  const files: string[] = [];
  for (const def of STUDIES) for (const mode of MODES) files.push(join(collectionDir(def.id, mode), 'runs.jsonl'));
  files.push(join(EXPLORATION.dir, 'runs.jsonl'));
  const all = files.map((f) => ({ f, name: displayPath(f), records: readRuns(f) }));
  const key = (r: RunRecord): string => {
    const c = { ...(r.summary.config as unknown as Record<string, unknown>) };
    delete c['name'];
    delete c['workers'];
    return `${r.summary.paramsHash}|${r.summary.version}|${canonicalJson(c)}`;
  };
  const donors = new Map<string, string>();
  const donorRecords = new Map<string, RunRecord>();
  for (const { name, records } of all) {
    for (const r of records) {
      if (r.kept !== 'all' && r.kept !== 'milestones') continue;
      if (r.metricsFrom) continue;
      const k = key(r);
      if (!donors.has(k)) { donors.set(k, `${name}: ${r.id}`); donorRecords.set(k, r); }
    }
  }
  for (const { f, records } of all) {
    let filled = 0;
    const out = records.map((r) => {
      if (r.kept === 'all' || r.kept === 'milestones') return r;
      const k = key(r);
      const d = donorRecords.get(k);
      if (!d) return r;
      filled++;
      return { ...r, metrics: d.metrics, kept: d.kept, metricsFrom: donors.get(k)! };
    });
    if (filled > 0) {
      writeRuns(f, out);
      console.log(`${displayPath(f)}: evaluations of ${filled} runs taken from the same runs elsewhere in docs/results`);
    }
  }
}

function extract(root: string): void {
  const collections: Array<[string, RunRecord[]]> = [];
  for (const def of STUDIES) for (const mode of MODES) collections.push([`${def.id}/${mode}`, readRuns(join(collectionDir(def.id, mode), 'runs.jsonl'))]);
  collections.push(['tune/exploration', readRuns(join(EXPLORATION.dir, 'runs.jsonl'))]);
  let n = 0;
  for (const [name, records] of collections) {
    for (const r of records) {
      const dir = join(root, name, r.id);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'summary.json'), JSON.stringify(r.summary, null, 2) + '\n');
      writeFileSync(join(dir, 'metrics.jsonl'), r.metrics.map((m) => JSON.stringify(m)).join('\n') + (r.metrics.length > 0 ? '\n' : ''));
      writeFileSync(join(dir, 'config.resolved.yaml'), stringify(r.summary.config));
      n++;
    }
  }
  console.log(`${n} runs written under ${displayPath(root)} (metrics.jsonl holds the kept evaluations only; see results-data.ts)`);
}

// ---------------------------------------------------------------------------------------------

/** One message per generated file whose committed copy differs, naming its first differing line. */
export function outOfDate(files: ReadonlyMap<string, string>): string[] {
  const out: string[] = [];
  for (const [file, text] of files) {
    const committed = existsSync(file) ? readFileSync(file, 'utf8') : '';
    if (committed !== text) out.push(`${displayPath(file)} differs from what the committed data gives, first at ${firstDifference(committed, text)}`);
  }
  return out;
}

/** First lines where two texts differ, for the --check message. */
function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (x[i] !== y[i]) return `line ${i + 1}:\n  committed: ${x[i] ?? '(end of file)'}\n  generated: ${y[i] ?? '(end of file)'}`;
  }
  return '';
}

async function main(): Promise<void> {
  const dir = { type: 'string', placeholder: 'DIR' } as const;
  const { values } = benchArgs({
    script: 'bench/repro/build-results.ts',
    purpose: 'docs/RESULTS.md and the generated pages of docs/results from the committed data (see the header of the script).',
    options: {
      check: { type: 'boolean', description: 'write nothing; exit 1 when a generated file differs or the text holds a hand-written measurement (npm run results:check)' },
      import: { ...dir, description: 'copy studies made with bench/repro/<study>.ts from DIR/<study>/<mode>/ into docs/results first' },
      repeat: { ...dir, description: 'record a second run of the quick studies (DIR/<study>/quick) to show whether every paramsHash repeated' },
      extract: { ...dir, description: 'only write the committed runs as run directories DIR/<study>/<mode>/<id>/' },
      'import-exploration': { ...dir, description: 'import run directories made outside any study (DIR/<id>/) into tune/exploration' },
      refill: { ...dir, description: 'evaluations for committed runs that kept none, from re-runs of their commands.sh lines in DIR' },
    },
  });
  const path = (v: string | undefined): string | null => (v === undefined ? null : resolve(v));
  const extractTo = path(values.extract);
  if (extractTo) { extract(extractTo); return; }
  const importFrom = path(values.import);
  const repeatFrom = path(values.repeat);
  if (importFrom) importStudies(importFrom, repeatFrom);
  else if (repeatFrom) for (const def of STUDIES) importRepeat(def, join(repeatFrom, def.id, 'quick'), collectionDir(def.id, 'quick'));
  const explorationFrom = path(values['import-exploration']);
  if (explorationFrom) importExploration(explorationFrom);
  const refillFrom = path(values.refill);
  if (refillFrom) refillMetrics(refillFrom);
  if (importFrom || explorationFrom || refillFrom) fillMetricsFromTwins();
  const { files, literalNumbers } = renderAll();
  // Hand-written pages that are not generated must not quote measurements either.
  const problems = [...literalNumbers];
  for (const page of HAND_WRITTEN) {
    readFileSync(page, 'utf8').split('\n').forEach((line, i) => { for (const p of lintNumbers(line)) problems.push(`${displayPath(page)}:${i + 1}: ${p}`); });
  }
  if (values.check) {
    const staleFiles = outOfDate(files);
    for (const p of [...staleFiles, ...problems]) console.error(p);
    if (staleFiles.length > 0 || problems.length > 0) {
      throw new Error(`results:check failed: ${staleFiles.length} generated file(s) out of date${problems.length > 0 ? `, ${problems.length} number(s) in the text not computed from the data` : ''}; run \`node --import tsx bench/repro/build-results.ts\` and commit`);
    }
    console.log(`results:check: ${[...files.keys()].map(displayPath).join(', ')} match the committed data`);
    return;
  }
  for (const [file, text] of files) writeFileSync(file, text);
  for (const p of problems) console.error(p);
  console.log(`wrote ${[...files.keys()].map(displayPath).join(', ')}`);
  if (problems.length > 0) process.exitCode = 1;
}

if (isMain(import.meta.url)) runMain(main);
