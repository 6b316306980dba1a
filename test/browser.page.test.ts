// The simulation page in headless Chromium, served by `sparsepush serve` (a child process on a free
// port, built from the sources first): a 16-device Sparse-Push run of the logistic model from the
// URL shows accuracy rising and bits growing while it runs and ends with exactly the CLI's metrics
// and paramsHash; a bad config ends in state `error` with the CLI's message naming the key; Stop
// works at once while a fast run floods the page; the mlp gives the CLI's paramsHash too; a page
// that is not cross-origin isolated says so and runs on one worker, with the same result.
//
// docs/page-screenshot.png (README) is written when it is missing or SPARSEPUSH_UPDATE_SCREENSHOT=1
// (then the page also runs a second, uncompressed config, so the charts overlay two runs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { buildPage } from '../scripts/build-browser.mjs';
import { resolveConfig } from '../src/config/schema.js';
import { ConfigError } from '../src/errors.js';
import type { Metrics, RunSummary } from '../src/metrics/records.js';
import { MAX_KEPT_POINTS, niceScale, pathCommands, plotX, plotY, SeriesPoints } from '../web/src/chart-model.js';
import { collectLog, launchChromium, startServeProcess } from './support/browser.js';
import { runCli } from './support/cli.js';

const SCREENSHOT = join('docs', 'page-screenshot.png');
const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-page-'));
let built: Promise<string> | undefined;
/** The page built once from the sources, for both tests. */
const site = (): Promise<string> => (built ??= buildPage({ outDir: join(tmp, 'site'), source: true }).then(() => join(tmp, 'site')));

/** A 16-device Sparse-Push run of the logistic model on the page's MNIST (8,000 / 2,000 digits). */
const RUN = {
  name: 'page-test', devices: 16, rounds: 30, evalEvery: 5, workers: 2, model: 'logistic',
  data: { train: 'mnist', test: null }, topology: 'exponential:1',
  algorithm: { name: 'sparse-push', lr: 0.1 }, compressor: 'topk:0.01+int8',
};

/** A run of 1,000,000 rounds that produces hundreds of metrics lines per second (stopped by the test). */
const FAST = { ...RUN, rounds: 1_000_000, data: { train: 'synthetic:2000,8,2', test: null } };
/** Stop must take effect within this, also on a loaded 2-core machine. */
const STOP_WITHIN_MS = 10_000;

/** What a MutationObserver saw each time the accuracy chart was drawn with more lines. */
interface Snapshot { state: string; lines: number; accuracy: number; bitsSent: number; points: number }

/** Records a Snapshot whenever #chart-rounds shows more lines (installed before the page's own scripts). */
function recordRedraws(): void {
  const w = window as unknown as { redraws: Snapshot[]; sparsepushMetrics?: Metrics[] };
  w.redraws = [];
  let seen = -1;
  new MutationObserver(() => {
    const lines = w.sparsepushMetrics?.length ?? 0;
    const path = document.querySelector('#chart-rounds path.line');
    if (!path || lines === seen) return;
    seen = lines;
    const last = w.sparsepushMetrics![lines - 1]!;
    w.redraws.push({
      state: document.documentElement.dataset.state ?? '', lines, accuracy: last.accuracy, bitsSent: last.bitsSent,
      points: (path.getAttribute('d')?.match(/[ML]/g) ?? []).length,
    });
  }).observe(document, { childList: true, subtree: true, attributes: true });
}

/** `sparsepush run` of `config` in this process: its summary and metrics. */
async function runInCli(config: object, label: string): Promise<{ summary: RunSummary; metrics: Metrics[] }> {
  const file = join(tmp, `${label}.json`);
  const out = join(tmp, `${label}-run`);
  writeFileSync(file, JSON.stringify(config));
  const { code, err } = await runCli(['run', '--config', file, '--out', out, '--quiet']);
  assert.equal(code, 0, err);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Metrics);
  return { summary: JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as RunSummary, metrics };
}

async function openRun(page: Page, origin: string, config: object): Promise<string> {
  await page.goto(`${origin}/?config=${encodeURIComponent(JSON.stringify(config))}&autostart=1`);
  await page.waitForFunction(() => ['done', 'error', 'stopped'].includes(document.documentElement.dataset.state ?? ''), undefined, { timeout: 120_000 });
  return page.evaluate(() => document.documentElement.dataset.state ?? '');
}

const withoutWallTime = (m: Metrics): Omit<Metrics, 'wallTimeS'> => {
  const { wallTimeS: _, ...rest } = m;
  return rest;
};

test('the page runs a config from the URL live and ends with the CLI\'s paramsHash; a bad config names the key; Stop works at once during a fast run', { timeout: 240_000 }, async () => {
  const served = await startServeProcess(['--dir', await site()]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const log = collectLog(page);
    await page.addInitScript(recordRedraws);
    assert.equal(await openRun(page, served.origin, RUN), 'done', `${await page.evaluate(() => window.sparsepushError)}${log()}`);
    assert.match((await page.textContent('#isolation')) ?? '', /^Cross-origin isolated/);

    // Live: the charts grew while the state was `running` (drawn at most every 100 ms, so a
    // drawing may add several lines), each drawing showing every line received so far.
    const redraws = await page.evaluate(() => (window as unknown as { redraws: Snapshot[] }).redraws);
    const total = RUN.rounds / RUN.evalEvery + 1;
    const trace = JSON.stringify(redraws);
    assert.ok(redraws.some((r) => r.state === 'running' && r.lines < total), `drawn while running, before the last line: ${trace}`);
    assert.equal(redraws[redraws.length - 1]!.lines, total, `the last drawing has every line: ${trace}`);
    redraws.forEach((r, k) => {
      assert.equal(r.points, r.lines, `the accuracy chart has a point per line received: ${trace}`);
      if (k > 0) assert.ok(r.bitsSent > redraws[k - 1]!.bitsSent, `bits grow: ${redraws[k - 1]!.bitsSent} -> ${r.bitsSent} at drawing ${k}`);
    });

    // The same run through the CLI: the same metrics (but wall time) and the same paramsHash.
    // (as the exported files hold them: JSON, so the NaN batch loss of round 0 is null)
    const summary = JSON.parse(await page.evaluate(() => JSON.stringify(window.sparsepushSummary))) as RunSummary;
    const lines = JSON.parse(await page.evaluate(() => JSON.stringify(window.sparsepushMetrics))) as Metrics[];
    // The run is deterministic, which lines the first drawing already held is not: the rise is read off the lines.
    assert.ok(lines[lines.length - 1]!.accuracy > lines[0]!.accuracy + 0.5, `accuracy rises: ${lines[0]!.accuracy} -> ${lines[lines.length - 1]!.accuracy}`);
    const cli = await runInCli(RUN, 'isolated');
    assert.equal(summary.paramsHash, cli.summary.paramsHash);
    assert.deepEqual(lines.map(withoutWallTime), cli.metrics.map(withoutWallTime));
    // The CLI also lists the model files it wrote; the page has no run directory to write them to.
    const { modelFiles: _modelFiles, ...cliSummary } = cli.summary;
    assert.deepEqual(
      { ...summary, wallTimeS: 0, final: withoutWallTime(summary.final) },
      { ...cliSummary, wallTimeS: 0, final: withoutWallTime(cli.summary.final) },
      'summary.json has the CLI\'s shape and values (but wall times and the model files)',
    );
    assert.equal(summary.workers, 2);
    // The export buttons download exactly these records.
    const downloaded = async (label: string): Promise<string> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#runs-body tr[data-run="1"] button:text-is("${label}")`)]);
      return readFileSync((await download.path())!, 'utf8');
    };
    assert.deepEqual(JSON.parse(await downloaded('summary.json')), summary);
    assert.deepEqual((await downloaded('metrics.jsonl')).trim().split('\n').map((l) => JSON.parse(l) as Metrics), lines);
    const caption = (await page.textContent('#graph-caption')) ?? '';
    assert.match(caption, new RegExp(`^round ${RUN.rounds - 1}: ${RUN.devices} messages`), 'the last round is drawn with its messages');
    assert.equal(await page.locator('#graph path.edge').count(), RUN.devices, 'exponential:1 sends one message per device and round');

    if (!existsSync(SCREENSHOT) || process.env.SPARSEPUSH_UPDATE_SCREENSHOT === '1') {
      await page.fill('#fields input[name="compressor"]', 'none');
      await page.dispatchEvent('#fields input[name="compressor"]', 'change');
      await page.click('#start');
      await page.waitForFunction(() => document.documentElement.dataset.state === 'done' && document.querySelectorAll('#runs-body tr').length === 2, undefined, { timeout: 120_000 });
      mkdirSync('docs', { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    }

    // A bad config: state `error`, the CLI's message naming the key.
    const bad = { devices: 16, model: 'logistic', algorithm: { lr: -1 } };
    assert.equal(await openRun(page, served.origin, bad), 'error');
    const expected = (() => { try { resolveConfig(bad); } catch (err) { return err; } return null; })();
    assert.ok(expected instanceof ConfigError && expected.key === 'algorithm.lr');
    assert.equal(await page.evaluate(() => window.sparsepushError), expected.message);
    assert.match((await page.textContent('#error')) ?? '', /^algorithm\.lr: expected a number > 0, got -1/);
    // Stop works while a fast run floods the page with metrics lines (hundreds per second): once
    // more lines arrived than a chart keeps, the click lands and the run is stopped within
    // STOP_WITHIN_MS (docs/results/page: ~50 ms on a loaded 2-core machine; a page that falls
    // behind the lines never gets there). Then the chart shows every line, thinned.
    await page.goto(`${served.origin}/?config=${encodeURIComponent(JSON.stringify(FAST))}&autostart=1`);
    await page.waitForFunction((n) => (window.sparsepushMetrics?.length ?? 0) > n || document.documentElement.dataset.state !== 'running', MAX_KEPT_POINTS, { timeout: 120_000 });
    assert.equal(await page.evaluate(() => document.documentElement.dataset.state), 'running', await page.evaluate(() => window.sparsepushError));
    const pressed = performance.now();
    await page.click('#stop', { timeout: STOP_WITHIN_MS });
    await page.waitForFunction(() => document.documentElement.dataset.state === 'stopped', undefined, { timeout: STOP_WITHIN_MS });
    const stopMs = performance.now() - pressed;
    assert.ok(stopMs < STOP_WITHIN_MS, `stopped after ${stopMs.toFixed(0)} ms`);
    assert.equal(await page.textContent('#status'), 'stopped');
    const fast = JSON.parse(await page.evaluate(() => JSON.stringify(window.sparsepushMetrics))) as Metrics[];
    assert.ok(fast.length > MAX_KEPT_POINTS);
    assert.equal(await page.textContent(`#runs-body tr[data-run="1"] td:nth-child(4)`), `${fast[fast.length - 1]!.round}/${FAST.rounds}`, 'the table shows the last line');
    // The path grown while the lines arrived equals the one drawn at once from all of them.
    const series = new SeriesPoints();
    for (const m of fast) series.add(m.round, m.accuracy);
    const [xs, ys] = [niceScale(series.minX, series.maxX, false), niceScale(series.minY, series.maxY, false)];
    assert.ok(series.stride > 1, 'the series was thinned');
    assert.equal(await page.getAttribute('#chart-rounds path.line', 'd'), pathCommands(series.drawn(), 0, (v) => plotX(xs, v), (v) => plotY(ys, v)));
    // Data the page cannot read is an error too, naming the dataset.
    assert.equal(await openRun(page, served.origin, { ...RUN, data: { train: 'fashion-mnist', test: null } }), 'error');
    assert.match((await page.evaluate(() => window.sparsepushError)) ?? '', /^fashion-mnist: 'fashion-mnist' data needs a file system/);
    // A tfjs model (the mlp, on the wasm backend in the phase workers) gives the CLI's paramsHash too.
    const mlp = { name: 'page-mlp', devices: 4, rounds: 4, evalEvery: 2, workers: 2, model: 'mlp:8', data: { train: 'synthetic:400,8,2', test: null } };
    assert.equal(await openRun(page, served.origin, mlp), 'done', `${await page.evaluate(() => window.sparsepushError)}${log()}`);
    assert.equal((await page.evaluate(() => window.sparsepushSummary))!.paramsHash, (await runInCli(mlp, 'mlp')).summary.paramsHash);
  } finally {
    await browser.close();
    await served.close();
  }
});

test('a page that is not cross-origin isolated says so and runs on one worker, with the same result', { timeout: 240_000 }, async () => {
  const served = await startServeProcess(['--dir', await site(), '--no-isolation']);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const log = collectLog(page);
    const config = { name: 'plain', devices: 6, rounds: 8, evalEvery: 4, workers: 2, model: 'logistic', data: { train: 'synthetic:600,12,3', test: null }, compressor: 'randk:0.2+int8' };
    assert.equal(await openRun(page, served.origin, config), 'done', `${await page.evaluate(() => window.sparsepushError)}${log()}`);
    assert.match((await page.textContent('#isolation')) ?? '', /not cross-origin isolated .* runs use one worker/);
    const summary = (await page.evaluate(() => window.sparsepushSummary))!;
    assert.equal(summary.workers, 1);
    const cli = await runInCli(config, 'plain');
    assert.equal(cli.summary.workers, 2);
    assert.equal(summary.paramsHash, cli.summary.paramsHash);
  } finally {
    await browser.close();
    await served.close();
  }
});
