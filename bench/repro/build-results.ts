/**
 * Builds docs/RESULTS.md (and docs/results/**) from the reproduction studies' outputs.
 *
 *   node --import tsx bench/repro/build-results.ts [--runs DIR] [--check DIR]
 *
 * Reads <runs>/<study>/<quick|full>/results.json for every study (default runs/repro), copies the
 * raw run summaries (metrics.jsonl + summary.json of every run, nothing else), the studies'
 * results.md / results.json / commands.sh and their `sparsepush compare` reports into
 * docs/results/<study>/<mode>/, and writes docs/RESULTS.md: per study the tables (quick-mode and
 * full-mode numbers clearly apart), the exact commands, the machine, the runtime, and the
 * hand-written discussion in docs/results/<study>/discussion.md (how our numbers compare with the
 * papers' and why we think they differ). A study mode missing from <runs> keeps its committed
 * copy in docs/results/<study>/<mode>/ (tables from its results.json). When <check>/<study>/quick
 * exists (a second run of a quick study into another directory), it also tabulates whether every
 * run's paramsHash repeated.
 *
 * Takes a few seconds: it trains nothing; it runs `sparsepush compare` to re-make each study's
 * reports from the thinned copies, so the committed reports stay small.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { RunSummaryFile } from '../../src/metrics/records.js';
import {
  chooseCli, displayPath, execCli, fmtDuration, markdownTable, readStudyRecord, ROOT, runMain, studyMarkdown, type ReportSpec, type StudyRecord,
} from './common.js';

const STUDIES: ReadonlyArray<{ id: string; title: string; script: string }> = [
  { id: 'sparse-push', title: 'Sparse-Push and Skew-Compensated Sparse-Push (arXiv 2102.05715)', script: 'bench/repro/sparse-push.ts' },
  { id: 'dagc', title: 'DAGC-R and DAGC-A (arXiv 2311.07324)', script: 'bench/repro/dagc.ts' },
  { id: 'scale', title: 'Scale: 10,000 devices on one box', script: 'bench/repro/scale.ts' },
  { id: 'tune', title: 'Tuning behind the defaults: lr and gamma for SGP and Sparse-Push (issue #5)', script: 'bench/repro/tune.ts' },
];
const MODES = ['full', 'quick'] as const;
/** Per-device arrays longer than this are summarised in the committed copies (size). */
const MAX_PER_DEVICE = 64;
/** Evaluations kept in the committed copy of a run's metrics.jsonl. */
const MAX_EVALS = 60;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return resolve(i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback);
}

function dirSize(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/**
 * Copies one run's summary.json (per-device arrays of large runs summarised) and, when asked, its
 * metrics.jsonl thinned to at most MAX_EVALS evaluations (every k-th line and the last; the
 * tables were computed from the full file; it stays in the run directory under runs/).
 */
function copyRun(src: string, dst: string, withMetrics: boolean): void {
  mkdirSync(dst, { recursive: true });
  if (withMetrics) {
    const { lines, step } = thinLines(readFileSync(join(src, 'metrics.jsonl'), 'utf8'));
    writeFileSync(join(dst, step > 1 ? `metrics.every${step}.jsonl` : 'metrics.jsonl'), lines.join('\n') + '\n');
  }
  const summary = JSON.parse(readFileSync(join(src, 'summary.json'), 'utf8')) as RunSummaryFile & Record<string, unknown>;
  const per = summary.bitsPerDevice;
  if (Array.isArray(per) && per.length > MAX_PER_DEVICE) {
    let min = Infinity, max = -Infinity, sum = 0;
    for (const b of per) { min = Math.min(min, b); max = Math.max(max, b); sum += b; }
    delete (summary as Record<string, unknown>)['bitsPerDevice'];
    summary['bitsPerDeviceStats'] = { devices: per.length, min, mean: sum / per.length, max };
    summary['_trimmed'] = `bitsPerDevice (${per.length} entries) replaced by bitsPerDeviceStats by bench/repro/build-results.ts`;
  }
  writeFileSync(join(dst, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
}

/** Lines of a metrics.jsonl kept for committed copies and plots: every k-th and the last. */
function thinLines(text: string): { lines: string[]; step: number } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const step = Math.ceil(lines.length / MAX_EVALS);
  return { lines: lines.filter((_, i) => i % step === 0 || i === lines.length - 1), step };
}

/**
 * Re-makes a study's `sparsepush compare` report from thinned copies of its runs (≤ MAX_EVALS
 * evaluations each), so committed reports stay small however long the runs were.
 */
async function thinnedReport(modeDir: string, spec: ReportSpec, out: string): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'repro-report-'));
  try {
    const dirs: string[] = [];
    for (const run of spec.runs) {
      const d = join(tmp, basename(run));
      mkdirSync(d);
      writeFileSync(join(d, 'metrics.jsonl'), thinLines(readFileSync(join(modeDir, run, 'metrics.jsonl'), 'utf8')).lines.join('\n') + '\n');
      copyFileSync(join(modeDir, run, 'summary.json'), join(d, 'summary.json'));
      dirs.push(d);
    }
    const r = await execCli(chooseCli(), ['compare', ...dirs, '--out', out, '--title', spec.title]);
    if (r.code !== 0) throw new Error(`compare failed for ${spec.file}: ${r.stderr}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

interface Check { study: string; rows: string[][]; same: number; total: number }

/** Compares paramsHash of every run present in both directories. */
function checkRepeat(study: string, first: string, second: string): Check | null {
  if (!existsSync(first) || !existsSync(second)) return null;
  const rows: string[][] = [];
  let same = 0;
  for (const id of readdirSync(second).sort()) {
    const a = join(first, id, 'summary.json');
    const b = join(second, id, 'summary.json');
    if (!existsSync(a) || !existsSync(b)) continue;
    const sa = JSON.parse(readFileSync(a, 'utf8')) as RunSummaryFile;
    const sb = JSON.parse(readFileSync(b, 'utf8')) as RunSummaryFile;
    const eq = sa.paramsHash === sb.paramsHash;
    if (eq) same++;
    rows.push([id, sa.paramsHash.slice(0, 16), sb.paramsHash.slice(0, 16), eq ? 'identical' : 'DIFFERENT',
      `${((sa.final.accuracy ?? 0) * 100).toFixed(2)} / ${((sb.final.accuracy ?? 0) * 100).toFixed(2)}`]);
  }
  return rows.length > 0 ? { study, rows, same, total: rows.length } : null;
}

function machineLine(r: StudyRecord): string {
  const m = r.machine;
  return `${m.cores} × ${m.cpu}, ${m.memGiB} GiB, Node ${m.node} (${m.platform}); load average ${m.loadAvgStart} at start, ${m.loadAvgEnd} at the end (the machine is shared with other agents)`;
}

function studySection(study: { id: string; title: string; script: string }, records: Array<[string, StudyRecord]>, docsDir: string, plotted: ReadonlyMap<string, readonly string[]>): string {
  const out: string[] = [`## ${study.title}`, ''];
  const discussion = join(docsDir, 'results', study.id, 'discussion.md');
  if (existsSync(discussion)) out.push(readFileSync(discussion, 'utf8').trim(), '');
  if (records.length === 0) {
    out.push(`Not run yet: \`node --import tsx ${study.script} --quick\`.`, '');
    return out.join('\n');
  }
  for (const [mode, r] of records) {
    const label = mode === 'quick' ? 'QUICK-MODE numbers (small: fewer rounds / seeds / configurations than the full study)' : 'Full-mode numbers';
    out.push(`### ${label}`, '');
    out.push(`- Command: \`${r.invocation}\` — ${r.runsExecuted + r.runsReused} runs, ${fmtDuration(r.wallS)} wall time`
      + `${r.runsReused > 0 ? ` in the last invocation (${r.runsReused} runs reused from earlier invocations)` : ''}, ${r.seeds} seed(s), ${r.workers} worker thread(s) per run, started ${r.started}.`);
    out.push(`- Machine: ${machineLine(r)}.`);
    out.push(`- Code: commit ${r.machine.git.commit}${r.machine.git.modified.length > 0 ? ` plus uncommitted work in progress in ${r.machine.git.modified.map((f) => `\`${f}\``).join(', ')}` : ''}; CLI \`${r.cli}\`.`);
    const plots = plotted.get(`${study.id}/${mode}`) ?? [];
    out.push(`- Raw data: [docs/results/${study.id}/${mode}/](results/${study.id}/${mode}/) (results.json with every row's numbers and paramsHash, commands.sh, and per run summary.json plus, for seed 1, metrics.jsonl thinned to ≤ ${MAX_EVALS} evaluations)`
      + `${plots.length > 0 ? `; plots (\`sparsepush compare\` reports, open in a browser): ${plots.map((p) => `[${p}](results/${study.id}/${mode}/${p})`).join(', ')}` : ''}.`);
    out.push('');
    out.push(studyMarkdown(r).replace(/^#### /gm, '#### '));
    out.push('<details><summary>Exact commands (' + r.commands.length + ')</summary>', '', '```sh', ...r.commands, '```', '', '</details>', '');
  }
  return out.join('\n');
}

async function main(): Promise<void> {
  const runsRoot = arg('runs', join(ROOT, 'runs', 'repro'));
  const checkRoot = arg('check', join(ROOT, 'runs', 'repro-check'));
  const docsDir = join(ROOT, 'docs');
  const sections: string[] = [];
  const checks: Check[] = [];
  const runtimes: string[][] = [];
  const plotted = new Map<string, readonly string[]>();
  for (const study of STUDIES) {
    const records: Array<[string, StudyRecord]> = [];
    for (const mode of MODES) {
      const r = readStudyRecord(join(runsRoot, study.id), mode);
      const dst = join(docsDir, 'results', study.id, mode);
      if (!r) {
        // Not in <runs> (e.g. a fresh checkout: runs/ is not committed): keep the committed copy
        // in docs/results/ as it is, and its tables in RESULTS.md.
        const kept = readStudyRecord(join(docsDir, 'results', study.id), mode);
        if (kept) {
          records.push([mode, kept]);
          const plots = mode === 'full' || !records.some(([m]) => m === 'full') ? kept.reports.filter((f) => existsSync(join(dst, f))) : [];
          plotted.set(`${study.id}/${mode}`, plots);
          runtimes.push([study.id, mode, kept.runsWallS !== undefined ? fmtDuration(kept.runsWallS) : '–', `${fmtDuration(kept.wallS)}${kept.runsReused > 0 ? ` (${kept.runsReused} of ${kept.runsExecuted + kept.runsReused} runs reused)` : ''}`, String(kept.runsExecuted + kept.runsReused), String(kept.seeds), `\`${kept.invocation}\``]);
          console.log(`${study.id} ${mode}: not in ${displayPath(join(runsRoot, study.id, mode))}; kept the committed ${displayPath(dst)}`);
        }
        continue;
      }
      records.push([mode, r]);
      const src = join(runsRoot, study.id, mode);
      rmSync(dst, { recursive: true, force: true });
      mkdirSync(dst, { recursive: true });
      // Size: every run's summary, metrics of seed 1 only, plots of one mode (full when it exists).
      for (const id of r.runs ?? []) {
        if (existsSync(join(src, id, 'summary.json'))) copyRun(join(src, id), join(dst, 'runs', id), !/-s([2-9]|\d\d+)$/.test(id));
      }
      const plots = mode === 'full' || !records.some(([m]) => m === 'full') ? r.reports : [];
      for (const f of ['results.json', 'results.md', 'commands.sh']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
      for (const f of plots) {
        const specOf = r.reportSpecs?.find((x) => x.file === f);
        if (specOf) await thinnedReport(src, specOf, join(dst, f));
        else if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
      }
      plotted.set(`${study.id}/${mode}`, plots);
      runtimes.push([study.id, mode, r.runsWallS !== undefined ? fmtDuration(r.runsWallS) : '–', `${fmtDuration(r.wallS)}${r.runsReused > 0 ? ` (${r.runsReused} of ${r.runsExecuted + r.runsReused} runs reused)` : ''}`, String(r.runsExecuted + r.runsReused), String(r.seeds), `\`${r.invocation}\``]);
      console.log(`${study.id} ${mode}: copied to ${displayPath(dst)} (${(dirSize(dst) / 1e6).toFixed(2)} MB)`);
    }
    sections.push(studySection(study, records, docsDir, plotted));
    const c = checkRepeat(study.id, join(runsRoot, study.id, 'quick'), join(checkRoot, study.id, 'quick'));
    if (c) checks.push(c);
  }

  const intro = join(docsDir, 'results', 'intro.md');
  const md: string[] = [
    '# Reproducing the papers at laptop scale',
    '',
    '<!-- Generated by `node --import tsx bench/repro/build-results.ts`; edit docs/results/intro.md, summary.md and <study>/discussion.md, not this file. -->',
    '',
  ];
  if (existsSync(intro)) md.push(readFileSync(intro, 'utf8').trim(), '');
  const summary = join(docsDir, 'results', 'summary.md');
  if (existsSync(summary)) md.push(readFileSync(summary, 'utf8').trim(), '');
  md.push('## Studies and runtimes', '', markdownTable(['Study', 'Mode', 'Σ run wall times', 'Last invocation', 'Runs', 'Seeds', 'Command'], runtimes), '',
    'Σ run wall times: the runs\' own wall times from their summary.json (data loading, training, evaluation, report; not the ~2–5 s process start-up each). Last invocation: the script\'s wall time the last time it was invoked (finished runs are reused, so a re-invocation is fast). Each script\'s header states its measured runtime from scratch.', '');
  md.push(...sections);
  md.push('## Re-running a study reproduces its rows', '');
  if (checks.length === 0) {
    md.push('No repeat run found (run a quick study a second time with `--out runs/repro-check/<study>`).', '');
  } else {
    for (const c of checks) {
      const again = readStudyRecord(join(checkRoot, c.study), 'quick');
      md.push(`\`${c.study}\` quick mode, run twice into different directories (the second time from scratch: \`${again?.invocation ?? ''}\`, ${again ? fmtDuration(again.wallS) : '?'}, ${again?.runsExecuted ?? '?'} runs executed): ${c.same} of ${c.total} runs gave the identical paramsHash (sha256 of the final network-average model), so the tables repeat exactly.`, '');
      md.push(markdownTable(['Run', 'paramsHash (1st)', 'paramsHash (2nd)', 'Result', 'Accuracy % (1st / 2nd)'], c.rows), '');
    }
  }
  const file = join(docsDir, 'RESULTS.md');
  writeFileSync(file, md.join('\n').replace(/\n{3,}/g, '\n\n'));
  const size = existsSync(join(docsDir, 'results')) ? dirSize(join(docsDir, 'results')) : 0;
  console.log(`wrote ${displayPath(file)}; docs/results holds ${(size / 1e6).toFixed(2)} MB`);
}

runMain(main);
