/**
 * The measurement pages of docs/results that are not studies (nats, page, model-file, api): each
 * <page>/README.md is generated from <page>/source.md and the benchmark's JSON committed beside it,
 * so no figure on them is written by hand. build-results.ts writes them (`npm run results:build`)
 * and `npm run results:check` fails when a committed README.md differs from what its source and
 * data give, or when source.md writes a measurement by hand (facts.ts lintNumbers).
 *
 * In source.md:
 *   {{table NAME [ARGS]}}         on a line of its own: the page's table NAME, made by the formatter
 *                                 the benchmark script exports and prints with --from (PAGES below)
 *   {{[AGG] FORMAT PATH [PATH..]}} a figure read from the page's JSON files
 *   {{excerpt PATH | FROM | TO}}  the part of a text from FROM through TO (a quoted message)
 *   {{= TEXT}}                    TEXT as is: a number that is not a measurement in the data
 * PATH: DATA.key.key... where DATA names one of the page's files (PAGES below); after a key,
 *   [N] is an element, [N:] the elements from N on, [*] every element, [key=value] the elements
 *   whose key is value (as text); several values may result.
 * AGG (default one): one (exactly one value), same (every value formats alike), range ("lo–hi", or
 *   one value when both ends format alike), min, max, median, diff (of two values: the first minus
 *   the second), count (the number of values; no FORMAT).
 * FORMAT: num:D (D decimals, default 0, thousands separated), pct:D (a fraction in %), s:D
 *   (milliseconds in seconds), mb:D (bytes in MB), text, hash:N (the first N characters),
 *   spans (elements {from, to} as "from–(to − 1)", comma-separated).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { natsRatiosTable, natsRowsTable, ratiosOf, type NatsBench } from '../nats.js';
import { numpyTopkTable, numpyTopkTargets, type Report as NumpyTopkReport } from '../numpy-topk.js';
import { responsivenessTable, type Report as ResponsivenessReport } from '../page-responsiveness.js';
import { median } from '../support.js';
import { displayPath } from './common.js';
import { lintNumbers } from './facts.js';
import { modelFileTable, type CheckedRun, type ModelCheck } from './model-file.js';
import { RESULTS_DIR } from './results-data.js';

/** A page's JSON files, parsed, by the names its source uses. */
export interface PageData {
  /** name -> file name relative to the page's directory */
  readonly files: Readonly<Record<string, string>>;
  readonly json: Readonly<Record<string, unknown>>;
}

export interface BenchPage {
  /** Its directory under docs/results. */
  readonly dir: string;
  /** name -> file (relative to the directory) of the data its source reads. */
  readonly data: Readonly<Record<string, string>>;
  /** {{table NAME ARGS}} -> Markdown. */
  readonly tables: Readonly<Record<string, (data: PageData, args: string) => string>>;
  /** Fields the data stores beside what they are derived from, that differ from it (one message each). */
  readonly derivedMismatches?: (data: PageData) => string[];
}

/** `KEY=TEXT; KEY=TEXT` -> [[KEY, TEXT], ...] */
function pairs(args: string): Array<[string, string]> {
  return args.split(';').map((p) => p.trim()).filter((p) => p !== '').map((p) => {
    const at = p.indexOf('=');
    if (at < 1) throw new PageError(`expected KEY=TEXT, got '${p}'`);
    return [p.slice(0, at).trim(), p.slice(at + 1).trim()];
  });
}

export const PAGES: readonly BenchPage[] = [
  {
    dir: 'nats',
    data: { bench: 'bench.json', scale: 'scale.json' },
    tables: {
      rows: (d) => natsRowsTable(d.json['bench'] as NatsBench),
      ratios: (d) => natsRatiosTable(d.json['bench'] as NatsBench),
    },
    derivedMismatches: (d) => {
      const bench = d.json['bench'] as NatsBench;
      const derived = ratiosOf(bench.rows);
      const out: string[] = [];
      if (JSON.stringify(derived) !== JSON.stringify(bench.ratios)) out.push('bench.json: `ratios` is not what its `rows` give (bench/nats.ts ratiosOf)');
      const goal = bench.goal;
      if (goal && derived.find((r) => r.devices === goal.devices && r.hosts === goal.hosts)?.natsOverLocal !== goal.ratio) {
        out.push(`bench.json: \`goal.ratio\` is not the rounds/s ratio its \`rows\` give at ${goal.devices} devices and ${goal.hosts} hosts`);
      }
      return out;
    },
  },
  {
    dir: 'page',
    data: { before: 'responsiveness-before.json', after: 'responsiveness-after.json', hogs2: 'responsiveness-after-hogs2.json' },
    tables: {
      // ARGS: DATA=what the page column says; ... (which page each run measured)
      runs: (d, args) => responsivenessTable(pairs(args).map(([key, page]) => {
        if (!(key in d.json)) throw new PageError(`no data file '${key}' (${Object.keys(d.json).join(', ')})`);
        return { file: d.files[key]!, page, report: d.json[key] as ResponsivenessReport };
      })),
    },
  },
  {
    dir: 'model-file',
    data: { check: 'check.json', run: 'run/summary.json' },
    tables: { check: (d) => modelFileTable(d.json['check'] as ModelCheck, d.json['run'] as CheckedRun) },
  },
  {
    dir: 'api',
    data: { api: 'numpy-topk.json' },
    tables: {
      methods: (d) => numpyTopkTable(d.json['api'] as NumpyTopkReport),
      targets: (d) => numpyTopkTargets(d.json['api'] as NumpyTopkReport),
    },
  },
];

class PageError extends Error {}

// ---------------------------------------------------------------------------------------------
// Figures

/** The values at `path` ("bench.rows[devices=1000].load1"). */
export function valuesAt(json: Readonly<Record<string, unknown>>, path: string): unknown[] {
  const head = /^[\w-]+/.exec(path);
  if (!head || !(head[0] in json)) throw new PageError(`'${path}' does not start with a data name (${Object.keys(json).join(', ')})`);
  let values: unknown[] = [json[head[0]]];
  const rest = path.slice(head[0].length);
  const steps = [...rest.matchAll(/\.([\w-]+)|\[([^\]]*)\]/g)];
  if (steps.map((s) => s[0]).join('') !== rest) throw new PageError(`cannot read path '${path}'`);
  for (const [step, key, bracket] of steps) {
    if (key !== undefined) {
      values = values.map((v) => {
        if (v === null || typeof v !== 'object' || !(key in v)) throw new PageError(`${path}: no '${key}' at '${step}'`);
        return (v as Record<string, unknown>)[key];
      });
      continue;
    }
    const b = bracket!.trim();
    values = values.flatMap((v): unknown[] => {
      if (!Array.isArray(v)) throw new PageError(`${path}: '${step}' on something that is not a list`);
      const list = v as unknown[];
      if (b === '*') return list;
      if (/^\d+$/.test(b)) {
        if (Number(b) >= list.length) throw new PageError(`${path}: no element ${b} (${list.length} elements)`);
        return [list[Number(b)]];
      }
      if (/^\d+:$/.test(b)) return list.slice(Number(b.slice(0, -1)));
      const eq = /^([\w-]+)=(.*)$/.exec(b);
      if (!eq) throw new PageError(`${path}: bad selector '${step}'`);
      return list.filter((x) => x !== null && typeof x === 'object' && String((x as Record<string, unknown>)[eq[1]!]) === eq[2]);
    });
  }
  if (values.length === 0) throw new PageError(`${path}: no value`);
  return values;
}

/** x with d decimals, thousands separated, a minus sign for negatives, never "−0". */
function grouped(x: number, d: number): string {
  const r = Number(x.toFixed(d));
  return (r === 0 ? 0 : r).toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }).replace(/^-/, '−');
}

const NUMERIC: Readonly<Record<string, { scale: number; decimals: number }>> = {
  num: { scale: 1, decimals: 0 }, pct: { scale: 100, decimals: 0 }, s: { scale: 1e-3, decimals: 1 }, mb: { scale: 1e-6, decimals: 2 },
};
const AGGREGATES = new Set(['one', 'same', 'range', 'min', 'max', 'median', 'diff', 'count']);

function numberOf(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PageError(`${what}: ${JSON.stringify(v)} is not a finite number`);
  return v;
}

/** One {{...}} of a page's source (not a table) as text. */
export function evaluate(expr: string, data: PageData): string {
  if (expr.startsWith('=')) return expr.slice(1).trim();
  const [head, ...cuts] = expr.split(' | ');
  const words = head!.trim().split(/\s+/);
  if (words[0] === 'excerpt') {
    if (words.length !== 2 || cuts.length !== 2) throw new PageError('excerpt takes one path, then | FROM | TO');
    const values = valuesAt(data.json, words[1]!);
    const text = values[0];
    if (values.length !== 1 || typeof text !== 'string') throw new PageError(`${words[1]}: not one text`);
    const from = text.indexOf(cuts[0]!);
    const to = from < 0 ? -1 : text.indexOf(cuts[1]!, from);
    if (from < 0 || to < 0) throw new PageError(`${words[1]} holds no '${cuts[0]}' … '${cuts[1]}'`);
    return text.slice(from, to + cuts[1]!.length);
  }
  if (cuts.length > 0) throw new PageError("' | ' is for excerpt only");
  const aggregate = AGGREGATES.has(words[0]!) ? words.shift()! : 'one';
  const paths = aggregate === 'count' ? words : words.slice(1);
  if (paths.length === 0) throw new PageError('no path');
  const values = paths.flatMap((p) => valuesAt(data.json, p));
  if (aggregate === 'count') return String(values.length);
  const [format, param] = words[0]!.split(':') as [string, string | undefined];
  const p = param === undefined ? undefined : Number(param);
  if (p !== undefined && !(Number.isInteger(p) && p >= 0)) throw new PageError(`bad precision in '${words[0]}'`);
  let show: (v: unknown) => string;
  let numeric: { scale: number; decimals: number } | undefined;
  if (format === 'text') show = (v) => String(v);
  else if (format === 'hash') show = (v) => String(v).slice(0, p ?? 8);
  else if (format === 'spans') {
    show = (v) => {
      const s = v as { from?: unknown; to?: unknown };
      return `${grouped(numberOf(s.from, 'from'), 0)}–${grouped(numberOf(s.to, 'to') - 1, 0)}`;
    };
    if (aggregate !== 'one') throw new PageError('spans lists every value itself: no AGG');
    return values.map(show).join(', ');
  } else if ((numeric = NUMERIC[format]) !== undefined) {
    const { scale, decimals } = numeric;
    show = (v) => grouped(numberOf(v, paths.join(' ')) * scale, p ?? decimals);
  } else throw new PageError(`unknown format '${format}' (num pct s mb text hash spans)`);
  const numbers = (): number[] => values.map((v) => numberOf(v, paths.join(' ')));
  switch (aggregate) {
    case 'one':
      if (values.length !== 1) throw new PageError(`${paths.join(' ')}: ${values.length} values, expected one (use same, range, min, max, median or count)`);
      return show(values[0]);
    case 'same': {
      const shown = new Set(values.map(show));
      if (shown.size !== 1) throw new PageError(`${paths.join(' ')}: the values differ (${[...shown].join(', ')})`);
      return [...shown][0]!;
    }
    case 'range': {
      const xs = numbers();
      const lo = show(Math.min(...xs));
      const hi = show(Math.max(...xs));
      return lo === hi ? lo : `${lo}–${hi}`;
    }
    case 'min': return show(Math.min(...numbers()));
    case 'max': return show(Math.max(...numbers()));
    case 'diff': {
      const xs = numbers();
      if (xs.length !== 2) throw new PageError(`diff takes two values, ${paths.join(' ')} gives ${xs.length}`);
      return show(xs[0]! - xs[1]!);
    }
    default: return show(median(numbers()));
  }
}

// ---------------------------------------------------------------------------------------------
// Pages

export function loadPageData(page: BenchPage, resultsDir: string): PageData {
  const json: Record<string, unknown> = {};
  for (const [name, file] of Object.entries(page.data)) {
    const f = join(resultsDir, page.dir, file);
    if (!existsSync(f)) throw new Error(`${displayPath(f)}: missing (data of ${page.dir}/source.md)`);
    try {
      json[name] = JSON.parse(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new Error(`${displayPath(f)}: ${(err as Error).message}`);
    }
  }
  return { files: page.data, json };
}

/**
 * A page's README.md from its source.md and data, and the numbers source.md writes by hand
 * ("file:line: ..."). A bad {{...}} throws an error naming source.md and the line.
 */
export function renderPage(page: BenchPage, resultsDir: string = RESULTS_DIR): { file: string; text: string; literalNumbers: string[] } {
  const source = join(resultsDir, page.dir, 'source.md');
  const where = displayPath(source);
  const data = loadPageData(page, resultsDir);
  const literalNumbers: string[] = [];
  const lines = readFileSync(source, 'utf8').split('\n').map((line, i) => {
    const at = `${where}:${i + 1}`;
    try {
      for (const p of lintNumbers(line)) literalNumbers.push(`${at}: ${p}`);
      const table = /^\{\{table\s+([\w-]+)\s*(.*?)\}\}$/.exec(line.trim());
      if (table) {
        const make = page.tables[table[1]!];
        if (!make) throw new PageError(`no table '${table[1]}' (${Object.keys(page.tables).join(', ')})`);
        return make(data, table[2]!);
      }
      // `code spans` are left as written (they may show the {{...}} syntax itself).
      return line.split(/(`[^`]*`)/).map((part) => (part.startsWith('`') ? part : part.replace(/\{\{(.*?)\}\}/g, (_, expr: string) => evaluate(expr.trim(), data)))).join('');
    } catch (err) {
      if (err instanceof PageError) throw new Error(`${at}: ${err.message}`);
      throw err;
    }
  });
  for (const m of page.derivedMismatches?.(data) ?? []) literalNumbers.push(`${displayPath(join(resultsDir, page.dir))}/${m}`);
  const header = '<!-- Generated by `npm run results:build` (bench/repro/bench-pages.ts) from source.md and the JSON files in this directory; checked by `npm run results:check`. Edit source.md, not this file. -->';
  return { file: join(resultsDir, page.dir, 'README.md'), text: [header, '', ...lines].join('\n'), literalNumbers };
}

/** Every page (path -> contents) and the numbers their sources write by hand. */
export function renderPages(resultsDir: string = RESULTS_DIR, pages: readonly BenchPage[] = PAGES): { files: Map<string, string>; literalNumbers: string[] } {
  const files = new Map<string, string>();
  const literalNumbers: string[] = [];
  for (const page of pages) {
    const r = renderPage(page, resultsDir);
    files.set(r.file, r.text);
    literalNumbers.push(...r.literalNumbers);
  }
  return { files, literalNumbers };
}
