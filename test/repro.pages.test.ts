// The benchmark pages of docs/results (bench/repro/bench-pages.ts): README.md generated from
// source.md and the committed JSON beside it. Each page is copied into a temporary results
// directory, one number is changed (in README.md, in a JSON file, or written by hand into
// source.md), and the check must name the file and the line.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluate, PAGES, renderPage, renderPages, type BenchPage, type PageData } from '../bench/repro/bench-pages.js';
import { outOfDate } from '../bench/repro/build-results.js';
import { ratiosOf, type NatsBench } from '../bench/nats.js';
import { RESULTS_DIR } from '../bench/repro/results-data.js';

const temps: string[] = [];
after(() => { for (const t of temps) rmSync(t, { recursive: true, force: true }); });

/** A results directory holding a copy of the page's directory. */
function copyOf(page: BenchPage): string {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-pages-'));
  temps.push(dir);
  cpSync(join(RESULTS_DIR, page.dir), join(dir, page.dir), { recursive: true });
  return dir;
}

/** The problems `npm run results:check` reports for one page of the results directory `root`. */
function check(page: BenchPage, root: string): string[] {
  const { files, literalNumbers } = renderPages(root, [page]);
  return [...outOfDate(files), ...literalNumbers];
}

function page(dir: string): BenchPage {
  const p = PAGES.find((x) => x.dir === dir);
  assert.ok(p, `no page ${dir}`);
  return p;
}

/** Replaces the first `from` in a file (which must hold it). */
function edit(file: string, from: string | RegExp, to: string): void {
  const text = readFileSync(file, 'utf8');
  const changed = text.replace(from, to);
  assert.notEqual(changed, text, `${file} holds no ${String(from)}`);
  writeFileSync(file, changed);
}

/** The 1-based line of README.md holding `text`. */
function lineOf(file: string, text: string): number {
  const i = readFileSync(file, 'utf8').split('\n').findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `${file} holds no ${text}`);
  return i + 1;
}

test('pages: the committed README.md of every page is what its source.md and data give, with no number written by hand', () => {
  assert.deepEqual(PAGES.map((p) => p.dir).sort(), ['api', 'model-file', 'nats', 'page']);
  for (const p of PAGES) assert.deepEqual(check(p, copyOf(p)), [], p.dir);
});

/** A bench.json whose rows changed, with the ratios and goal it stores beside them derived again (as bench/nats.ts writes them). */
function refreshRatios(x: Record<string, unknown>): void {
  const bench = x as unknown as NatsBench;
  bench.ratios = ratiosOf(bench.rows);
  const goal = bench.goal!;
  goal.ratio = bench.ratios.find((r) => r.devices === goal.devices && r.hosts === goal.hosts)!.natsOverLocal;
}

/** Per page: a number shown in a README line (the text, or a pattern for data that is re-measured), and a JSON field that line is made from. */
const CASES: Array<{ dir: string; shown: string | RegExp; file: string; json: (x: Record<string, unknown>) => void }> = [
  { dir: 'nats', shown: /\| 10,000 \| 2 hosts × 1 worker \| [\d,]+ \|/, file: 'bench.json', json: (x) => { (x['rows'] as Array<Record<string, number>>)[9]!['msPerRound']! += 100; refreshRatios(x); } },
  { dir: 'nats', shown: /ran it: set-up [\d.]+ s/, file: 'scale.json', json: (x) => { (x['setupS'] as number) += 1; } },
  { dir: 'page', shown: '| `responsiveness-after.json` | this change | 0 | 8.86 | 521 |', file: 'responsiveness-after.json', json: (x) => { x['load1'] = 8.87; } },
  { dir: 'model-file', shown: '| test accuracy | 0.9025 |', file: 'check.json', json: (x) => { x['accuracy'] = 0.9026; } },
  { dir: 'api', shown: '`np.argpartition(np.abs(x), n - k)[n - k:]` (indices, unordered) | 28.33 | 1.0x | 5', file: 'numpy-topk.json', json: (x) => { (x['results'] as Array<Record<string, number>>)[1]!['medianMs'] = 1.2; } },
];

test('pages: one number changed in README.md, or in the JSON it comes from, fails the check naming the file and line', () => {
  for (const c of CASES) {
    const p = page(c.dir);
    // In README.md: the last digit of the shown figure.
    let root = copyOf(p);
    const readme = join(root, p.dir, 'README.md');
    const shown = typeof c.shown === 'string' ? c.shown : c.shown.exec(readFileSync(readme, 'utf8'))?.[0] ?? String(c.shown);
    const line = lineOf(readme, shown);
    const last = shown.replace(/\d(?=\D*$)/, (d) => String((Number(d) + 1) % 10));
    edit(readme, shown, last);
    let problems = check(p, root);
    assert.equal(problems.length, 1, `${c.dir}: ${problems.join('\n')}`);
    assert.match(problems[0]!, new RegExp(`${p.dir}/README\\.md differs .* line ${line}:`));
    assert.ok(problems[0]!.includes(`committed: ${readFileSync(readme, 'utf8').split('\n')[line - 1]}`), problems[0]);

    // In the data: the README line no longer matches what the JSON gives.
    root = copyOf(p);
    const data = join(root, p.dir, c.file);
    const json = JSON.parse(readFileSync(data, 'utf8')) as Record<string, unknown>;
    c.json(json);
    writeFileSync(data, JSON.stringify(json, null, 2));
    problems = check(p, root);
    assert.equal(problems.length, 1, `${c.dir}/${c.file}: ${problems.join('\n')}`);
    assert.match(problems[0]!, new RegExp(`${p.dir}/README\\.md differs .* line ${line}:`));
    assert.ok(problems[0]!.includes(`committed: ${readFileSync(join(RESULTS_DIR, p.dir, 'README.md'), 'utf8').split('\n')[line - 1]}`), problems[0]);
  }
});

test('pages: nats bench.json\'s stored ratios and goal must be what its rows give', () => {
  const p = page('nats');
  for (const [field, change] of [
    ['`ratios`', (x: Record<string, unknown>) => { (x['ratios'] as Array<Record<string, number>>)[3]!['natsOverLocal']! += 0.01; }],
    ['`goal.ratio`', (x: Record<string, unknown>) => { (x['goal'] as Record<string, number>)['ratio']! += 0.01; }],
  ] as const) {
    const root = copyOf(p);
    const data = join(root, p.dir, 'bench.json');
    const json = JSON.parse(readFileSync(data, 'utf8')) as Record<string, unknown>;
    change(json);
    writeFileSync(data, JSON.stringify(json, null, 2));
    const { literalNumbers } = renderPage(p, root);
    assert.equal(literalNumbers.length, 1, literalNumbers.join('\n'));
    assert.ok(literalNumbers[0]!.includes(`nats/bench.json: ${field} is not`), literalNumbers[0]);
  }
});

test('pages: a measurement written by hand into source.md fails the check naming source.md and the line', () => {
  for (const p of PAGES) {
    const root = copyOf(p);
    const source = join(root, p.dir, 'source.md');
    const lines = readFileSync(source, 'utf8').split('\n');
    const at = lines.findIndex((l) => /^[A-Za-z]/.test(l) && !l.includes('{{'));
    lines[at] = `${lines[at]} It took 12.34 s, 41x faster.`;
    writeFileSync(source, lines.join('\n'));
    const { literalNumbers } = renderPage(p, root);
    assert.equal(literalNumbers.length, 2, literalNumbers.join('\n'));
    assert.ok(literalNumbers[0]!.endsWith(`${p.dir}/source.md:${at + 1}: '12.34' written by hand`), literalNumbers[0]);
    assert.ok(literalNumbers[1]!.endsWith(`${p.dir}/source.md:${at + 1}: '41x' written by hand`), literalNumbers[1]);
  }
});

const DATA: PageData = {
  files: { a: 'a.json', b: 'b.json' },
  json: {
    a: { rows: [{ n: 1, ms: 1500, f: -0.003 }, { n: 1, ms: 2500, f: 0.071 }, { n: 2, ms: 12_345.6, f: 0.154 }], hash: '9f0dcef351dd52e8', msg: 'refused: the arena needs 5.65 GiB; use 2 hosts (details)', hosts: [{ from: 0, to: 14976 }, { from: 14976, to: 30000 }] },
    b: { load: 14.37, rows: [{ n: 1, ms: 1500 }] },
  },
};

test('pages: figures read from the JSON by path, aggregate and format', () => {
  const f = (e: string): string => evaluate(e, DATA);
  assert.equal(f('num a.rows[2].ms'), '12,346');
  assert.equal(f('num:1 a.rows[2].ms'), '12,345.6');
  assert.equal(f('s:2 a.rows[2].ms'), '12.35');
  assert.equal(f('mb:3 a.rows[2].ms'), '0.012');
  assert.equal(f('range pct a.rows[*].f'), '0–15', 'a rounded −0.3% shows as 0, never −0');
  assert.equal(f('range pct:1 a.rows[*].f'), '−0.3–15.4');
  assert.equal(f('range s:1 a.rows[n=1].ms'), '1.5–2.5');
  assert.equal(f('range num a.rows[n=2].ms'), '12,346', 'one value: no range');
  assert.equal(f('max num a.rows[*].ms b.load'), '12,346');
  assert.equal(f('min num:1 a.rows[*].ms b.load'), '14.4');
  assert.equal(f('median num a.rows[1:].ms'), '7,423');
  assert.equal(f('diff num:1 a.rows[0].ms a.rows[2].ms'), '−10,845.6');
  assert.equal(f('same s:1 a.rows[0].ms b.rows[*].ms'), '1.5');
  assert.equal(f('count a.rows[n=1]'), '2');
  assert.equal(f('hash:8 a.hash'), '9f0dcef3');
  assert.equal(f('text a.rows[0].n'), '1');
  assert.equal(f('spans a.hosts[*]'), '0–14,975, 14,976–29,999');
  assert.equal(f('excerpt a.msg | the arena | hosts'), 'the arena needs 5.65 GiB; use 2 hosts');
  assert.equal(f('= 15x'), '15x');
});

test('pages: a figure that does not select exactly what it says is an error naming the problem', () => {
  const bad: Array<[string, RegExp]> = [
    ['num c.rows', /does not start with a data name \(a, b\)/],
    ['num a.rows[*].ms', /3 values, expected one/],
    ['same num a.rows[*].ms', /the values differ \(1,500, 2,500, 12,346\)/],
    ['num a.rows[n=9].ms', /no value/],
    ['num a.rows[7].ms', /no element 7 \(3 elements\)/],
    ['num a.nothing', /no 'nothing'/],
    ['num a.hash', /"9f0dcef351dd52e8" is not a finite number/],
    ['num a.rows.ms', /no 'ms'/],
    ['num a.rows[', /cannot read path/],
    ['wide a.rows[0].ms', /unknown format 'wide'/],
    ['num:x a.rows[0].ms', /bad precision/],
    ['excerpt a.msg | nowhere | hosts', /holds no 'nowhere'/],
    ['range spans a.hosts[*]', /no AGG/],
    ['diff num a.rows[*].ms', /diff takes two values, a.rows\[\*\].ms gives 3/],
  ];
  for (const [expr, message] of bad) assert.throws(() => evaluate(expr, DATA), message, expr);
});

test('pages: a bad {{...}} or {{table}} in source.md is an error naming source.md and the line', () => {
  const p = page('nats');
  for (const [text, message] of [['{{num bench.nothing}}', /no 'nothing'/], ['{{table nothing}}', /no table 'nothing' \(rows, ratios\)/]] as const) {
    const root = copyOf(p);
    const source = join(root, p.dir, 'source.md');
    writeFileSync(source, `# Title\n\n${text}\n`);
    assert.throws(() => renderPage(p, root), (err: Error) => err.message.includes('nats/source.md:3: ') && message.test(err.message));
  }
});
