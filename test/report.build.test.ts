import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataError } from '../src/errors.js';
import { buildReport, readMetrics, readRuns } from '../src/report/index.js';
import { scopeSvgIds } from '../src/report/render.js';
import { fakeRun } from './report.fixtures.js';
import { readJsonl } from '../src/metrics/jsonl.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-report-'));

function figure(html: string, id: string): string {
  const m = new RegExp(`<figure class="chart[^"]*" id="${id}"[^>]*>([\\s\\S]*?)</figure>`).exec(html);
  assert.ok(m, `figure ${id} present`);
  return m[1]!;
}
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}
const LINE = 'aria-roledescription="line mark"';
const POINT = 'aria-roledescription="point"';
const BAR = 'aria-roledescription="bar"';

test('a comparison report: one line per run in every plot, points per evaluation, bars per device', async () => {
  const root = join(tmp, 'three');
  const dirs = [
    fakeRun(root, { name: 'sgp', algorithm: 'sgp', compressor: 'none', bitsPerRound: 251200 }),
    fakeRun(root, { name: 'sparse-push', bitsPerRound: 4000, plateau: 0.8 }),
    fakeRun(root, { name: 'sc-sparse-push', algorithm: 'sc-sparse-push', bitsPerRound: 4000 }),
  ];
  const out = join(tmp, 'three.html');
  const built = await buildReport(dirs, out);
  const html = readFileSync(out, 'utf8');
  assert.equal(built.file, out);
  assert.equal(count(html, '<svg'), 9);

  // 7 evaluations per run (rounds 0..60 every 10); log-scale x axes drop round 0 (0 bits, 0 J).
  const expected: Record<string, { lines: number; points: number }> = {
    'accuracy-rounds': { lines: 3, points: 21 }, 'loss-rounds': { lines: 3, points: 21 },
    'accuracy-bits': { lines: 3, points: 18 }, 'loss-bits': { lines: 3, points: 18 },
    'accuracy-time': { lines: 3, points: 21 }, 'loss-time': { lines: 3, points: 21 },
    'consensus-rounds': { lines: 3, points: 21 }, 'accuracy-energy': { lines: 3, points: 18 },
  };
  for (const [id, e] of Object.entries(expected)) {
    const svg = figure(html, id);
    assert.equal(count(svg, LINE), e.lines, `${id} lines`);
    assert.equal(count(svg, POINT), e.points, `${id} points`);
    // Every line has a real path (a move and several segments).
    for (const m of svg.matchAll(/aria-roledescription="line mark" d="([^"]*)"/g)) assert.ok(m[1]!.length > 20, `${id}: ${m[1]}`);
    // Legend by run name.
    for (const name of ['sgp', 'sparse-push', 'sc-sparse-push']) assert.ok(svg.includes(`>${name}</text>`), `${id} legend has ${name}`);
  }
  assert.equal(count(figure(html, 'bits-per-device'), BAR), 3 * 8);
  // Axis titles with units, plot titles.
  assert.ok(html.includes('Bits sent, all devices (log scale)'));
  assert.ok(html.includes('Simulated time (s)'));
  assert.ok(html.includes('Test accuracy vs rounds'));
  // Each plot gets one colour per run, the same across plots.
  const colours = (svg: string): string[] => [...svg.matchAll(/aria-roledescription="line mark" d="[^"]*" stroke="(#[0-9a-f]{6})"/g)].map((m) => m[1]!);
  assert.deepEqual(colours(figure(html, 'accuracy-rounds')), colours(figure(html, 'loss-time')));
  assert.equal(new Set(colours(figure(html, 'accuracy-rounds'))).size, 3);

  // Summary table and resolved configs.
  assert.equal(count(html, '<tbody>'), 1);
  assert.equal(count(html.slice(html.indexOf('<tbody>'), html.indexOf('</tbody>')), '<tr>'), 3);
  assert.ok(html.includes('<code>topk:0.01</code>'));
  assert.ok(html.includes('title="' + 'ab'.repeat(32) + '"'), 'full paramsHash in the title');
  assert.ok(html.includes('algorithm:\n  name: sc-sparse-push'), 'resolved config YAML');
});

test('the report is self-contained: no scripts, no external URLs, unique SVG ids', async () => {
  const root = join(tmp, 'self');
  const dirs = [fakeRun(root, { name: 'a' }), fakeRun(root, { name: 'b' })];
  const out = join(tmp, 'self.html');
  await buildReport(dirs, out);
  const html = readFileSync(out, 'utf8');
  assert.equal(/<script/i.test(html), false);
  assert.equal(/<link/i.test(html), false);
  assert.equal(/<img/i.test(html), false);
  assert.equal(/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html), false, 'no network references in src/href');
  assert.equal(/url\(\s*["']?https?:/i.test(html), false);
  assert.equal(/@import/i.test(html), false);
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]!);
  assert.equal(new Set(ids).size, ids.length, 'ids are unique across the inlined SVGs');
  for (const m of html.matchAll(/url\(#([^)]+)\)/g)) assert.ok(ids.includes(m[1]!), `url(#${m[1]}) resolves`);
});

test('unfinished, failed and server runs: status shown, missing data explained, not plotted', async () => {
  const root = join(tmp, 'mixed');
  const dirs = [
    fakeRun(root, { name: 'done' }),
    fakeRun(root, { name: 'partial', unfinished: true }),
    fakeRun(root, { name: 'crashed', error: 'NaN in device 3 at round 40' }),
  ];
  const html = readFileSync((await buildReport(dirs, join(tmp, 'mixed.html'))).file, 'utf8');
  assert.ok(html.includes('status incomplete'));
  assert.ok(html.includes('status failed'));
  assert.ok(html.includes('NaN in device 3 at round 40'));
  // Only the finished run has bitsPerDevice.
  assert.equal(count(figure(html, 'bits-per-device'), BAR), 8);
  assert.equal(count(figure(html, 'accuracy-rounds'), LINE), 3);

  const server = [fakeRun(join(tmp, 'server'), { name: 'ef-sgd', algorithm: 'ef-sgd', noConsensus: true })];
  const h2 = readFileSync((await buildReport(server, join(tmp, 'server.html'))).file, 'utf8');
  const consensus = figure(h2, 'consensus-rounds');
  assert.equal(consensus.includes('<svg'), false);
  assert.match(consensus, /Not plotted: no run recorded consensusDistance against round/);
  const zero = [fakeRun(join(tmp, 'server0'), { name: 'dagc-r', algorithm: 'ef-sgd', noConsensus: 'zero' })];
  const h3 = readFileSync((await buildReport(zero, join(tmp, 'server0.html'))).file, 'utf8');
  assert.match(figure(h3, 'consensus-rounds'), /every recorded consensusDistance is 0, which a log scale cannot show \(server algorithms keep a single model\)/);
});

test('many devices: bits per device as a line; repeated run names are told apart', async () => {
  const root = join(tmp, 'many');
  const a = fakeRun(join(root, 'x'), { name: 'same', devices: 200 });
  const b = fakeRun(join(root, 'y'), { name: 'same', devices: 200 });
  const built = await buildReport([a, b], join(tmp, 'many.html'));
  assert.deepEqual(built.runs.map((r) => r.label), ['same (x/same)', 'same (y/same)']);
  const html = readFileSync(built.file, 'utf8');
  const bits = figure(html, 'bits-per-device');
  assert.equal(count(bits, BAR), 0);
  assert.equal(count(bits, LINE), 2);
});

test('metrics.jsonl: malformed lines name file and line; a torn last line is skipped', () => {
  const dir = fakeRun(join(tmp, 'torn'), { name: 'torn', unfinished: true });
  const file = join(dir, 'metrics.jsonl');
  const n = readMetrics(file).length;
  appendFileSync(file, '{"round": 70, "accur');
  assert.equal(readMetrics(file).length, n);
  assert.throws(() => readJsonl(file, undefined, { skipTorn: false }), (e: unknown) => e instanceof DataError && /: line \d+: not valid JSON/.test(e.message), 'files written whole keep no torn line');
  const broken = join(tmp, 'broken.jsonl');
  writeFileSync(broken, '{"round": 0}\nnot json\n{"round": 10}\n');
  assert.throws(() => readMetrics(broken), (e: unknown) => e instanceof DataError && e.message.startsWith(`${broken}: line 2:`));
  writeFileSync(broken, '{"round": 0}\n{"accuracy": 0.5}\n');
  assert.throws(() => readMetrics(broken), /line 2: expected an object with a numeric 'round'/);
  assert.throws(() => readRuns([join(tmp, 'does-not-exist')]), /not a directory/);
});

test('scopeSvgIds prefixes ids and their references only', () => {
  const svg = '<svg><clipPath id="clip1"><rect/></clipPath><g clip-path="url(#clip1)"></g><use href="#clip1"/><g clip-path="url(#other)"/></svg>';
  assert.equal(scopeSvgIds(svg, 'p'), '<svg><clipPath id="p-clip1"><rect/></clipPath><g clip-path="url(#p-clip1)"></g><use href="#p-clip1"/><g clip-path="url(#other)"/></svg>');
});
