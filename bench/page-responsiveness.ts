/**
 * How responsive the page stays while a fast run floods it with metrics lines: the page built from
 * the sources, served by `sparsepush serve`, in headless Chromium, runs a synthetic 16-device
 * Sparse-Push config of 1,000,000 rounds (hundreds of metrics lines per second) from its URL. Once
 * `--after` lines have arrived, for `--seconds` seconds it measures
 * - the main thread's busy fraction (CDP Performance.getMetrics TaskDuration over wall time; of it
 *   script, style and layout),
 * - the longest main-thread task (PerformanceObserver 'longtask'),
 * - input latency: a mouse click on the status line, every 250 ms (CDP Input.dispatchMouseEvent
 *   returns once the renderer has handled the event),
 * then presses Stop and times the click (playwright: the button is visible, stable, enabled and
 * receives the event) and until the state is `stopped` (capped at --stop-timeout s).
 *
 *   node --import tsx bench/page-responsiveness.ts [--json] [--seconds 5] [--after 20] [--hogs 0] [--stop-timeout 120]
 *   node --import tsx bench/page-responsiveness.ts --from FILE[=PAGE] [FILE[=PAGE] ...]
 *        prints saved --json runs, then their row of the table in docs/results/page/README.md
 *        (PAGE: what the page column says, which page was measured)
 *
 * --hogs N starts N busy-looping Node processes for the measurement (a loaded CI machine) and stops
 * them by pid. Wall-clock figures move with the machine's load: the 1-minute load average is reported.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { buildPage } from '../scripts/build-browser.mjs';
import { launchChromium, startServeProcess } from '../scripts/chromium.mjs';
import { benchArgs } from './args.js';
import { isMain, markdownTable } from './repro/common.js';
import { machine, median } from './support.js';

const config = {
  name: 'bench-responsiveness', devices: 16, rounds: 1_000_000, evalEvery: 5, workers: 2, model: 'logistic',
  data: { train: 'synthetic:2000,8,2', test: null }, topology: 'exponential:1',
  algorithm: { name: 'sparse-push', lr: 0.1 }, compressor: 'topk:0.01+int8',
};

/** What the page exposes (web/src/main.ts; its declarations are not part of this build). */
type PageWindow = { sparsepushMetrics?: unknown[]; sparsepushError?: string };

/** Installed before the page's scripts: the longest task since `window.longestTaskMs` was reset. */
function watchLongTasks(): void {
  const w = window as unknown as { longestTaskMs: number };
  w.longestTaskMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) w.longestTaskMs = Math.max(w.longestTaskMs, e.duration);
  }).observe({ type: 'longtask', buffered: false });
}

export interface Report {
  config: typeof config; chromium: string; machine: { cpu: string; cores: number; node: string }; load1: number; hogs: number; seconds: number; linesPerS: number;
  busyFraction: number; busy: { script: number; style: number; layout: number }; longestTaskMs: number;
  inputLatencyMs: { median: number; max: number; samples: number }; clickMs: number | null; stopMs: number | null; stopTimeoutS: number;
}

function print(r: Report): void {
  const pc = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const ms = (v: number | null): string => (v === null ? `more than ${r.stopTimeoutS} s` : `${v.toFixed(0)} ms`);
  console.log(`fast run (${r.config.data.train}, ${r.config.devices} devices, evalEvery ${r.config.evalEvery}) in Chromium ${r.chromium}, ${r.hogs} CPU hogs, load ${r.load1.toFixed(2)}`);
  console.log(`metrics lines arriving: ${r.linesPerS.toFixed(0)}/s over ${r.seconds.toFixed(1)} s`);
  console.log(`main thread busy: ${pc(r.busyFraction)} (script ${pc(r.busy.script)}, style ${pc(r.busy.style)}, layout ${pc(r.busy.layout)})   longest task: ${r.longestTaskMs.toFixed(0)} ms`);
  console.log(`input latency: median ${r.inputLatencyMs.median.toFixed(0)} ms, max ${r.inputLatencyMs.max.toFixed(0)} ms (${r.inputLatencyMs.samples} clicks)`);
  console.log(`Stop: the click lands after ${ms(r.clickMs)}, the state is stopped after ${ms(r.stopMs)}`);
}

/** Saved runs as a Markdown table, one row each: its file, the page measured, and the figures. */
export function responsivenessTable(runs: ReadonlyArray<{ file: string; page: string; report: Report }>): string {
  const pc = (v: number): string => `${(v * 100).toFixed(0)}%`;
  const stop = (v: number | null, r: Report): string => (v === null ? `not within ${r.stopTimeoutS} s` : `${v.toFixed(0)} ms`);
  return markdownTable(
    ['run', 'page', 'CPU hogs', 'load', 'lines/s', 'main thread busy (script)', 'longest task', 'input latency median / max', 'Stop: click lands / stopped'],
    runs.map(({ file, page, report: r }) => [
      `\`${file}\``, page, String(r.hogs), r.load1.toFixed(2), r.linesPerS.toFixed(0), `${pc(r.busyFraction)} (${pc(r.busy.script)})`,
      // The longtask observer reports only tasks over 50 ms.
      r.longestTaskMs > 0 ? `${r.longestTaskMs.toFixed(0)} ms` : 'none over 50 ms',
      `${r.inputLatencyMs.median.toFixed(0)} / ${r.inputLatencyMs.max.toFixed(0)} ms`, `${stop(r.clickMs, r)} / ${stop(r.stopMs, r)}`,
    ]),
  );
}

interface Options { json: boolean; seconds: number; after: number; hogs: number; 'stop-timeout': number }

if (isMain(import.meta.url)) {
  const { values: opts, positionals, fail } = benchArgs({
    script: 'bench/page-responsiveness.ts',
    purpose: 'How responsive the page stays (main thread, input latency, Stop) while a fast run floods it with metrics lines.',
    options: {
      json: { type: 'boolean', description: 'one JSON document on stdout' },
      seconds: { type: 'number', above: 0, default: 5, description: 'seconds of measurement' },
      after: { type: 'number', integer: true, min: 0, default: 20, description: 'metrics lines to wait for before measuring' },
      hogs: { type: 'number', integer: true, min: 0, default: 0, description: 'busy-looping Node processes during the measurement' },
      'stop-timeout': { type: 'number', above: 0, default: 120, description: 'seconds to wait for Stop to take effect' },
      from: { type: 'boolean', description: 'print saved --json runs (the FILE[=PAGE] arguments) and their table instead of measuring' },
    },
    positionals: { name: 'FILE[=PAGE]', description: 'with --from: a saved --json run; PAGE is what the table\'s page column says' },
  });
  if (opts.from) {
    if (positionals.length === 0) fail('--from needs a file (a saved --json run)');
    const runs = positionals.map((a) => {
      const [file, page = ''] = a.split(/=(.*)/s) as [string, string?];
      return { file: basename(file), page, report: JSON.parse(readFileSync(file, 'utf8')) as Report };
    });
    for (const r of runs) print(r.report);
    console.log(`\n${responsivenessTable(runs)}`);
  } else {
    if (positionals.length > 0) fail(`unexpected argument '${positionals[0]}' (files are read only with --from)`);
    await measure(opts);
  }
}

async function measure({ json, seconds, after, hogs: hogCount, 'stop-timeout': stopTimeoutS }: Options): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-bench-responsive-'));
  await buildPage({ outDir: join(tmp, 'site'), source: true });
  const served = await startServeProcess(['--dir', join(tmp, 'site')]);
  const browser = await launchChromium();
  const hogs: ChildProcess[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.addInitScript(watchLongTasks);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    /** Main-thread seconds so far: all tasks, and of them script, style and layout. */
    const mainThread = async (): Promise<Record<'task' | 'script' | 'style' | 'layout', number>> => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      const get = (name: string): number => metrics.find((m) => m.name === name)!.value;
      return { task: get('TaskDuration'), script: get('ScriptDuration'), style: get('RecalcStyleDuration'), layout: get('LayoutDuration') };
    };
    const lines = (): Promise<number> => page.evaluate(() => (window as unknown as PageWindow).sparsepushMetrics?.length ?? 0);

    await page.goto(`${served.origin}/?config=${encodeURIComponent(JSON.stringify(config))}&autostart=1`);
    await page.waitForFunction((n) => ((window as unknown as PageWindow).sparsepushMetrics?.length ?? 0) >= n || document.documentElement.dataset.state === 'error', after, { timeout: 120_000 });
    if (await page.evaluate(() => document.documentElement.dataset.state) !== 'running') throw new Error(`the run did not start: ${await page.evaluate(() => (window as unknown as PageWindow).sparsepushError)}`);
    for (let k = 0; k < hogCount; k++) hogs.push(spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' }));

    const box = (await page.locator('#status').boundingBox())!;
    const load1 = machine().loadAverage[0]!;
    await page.evaluate(() => { (window as unknown as { longestTaskMs: number }).longestTaskMs = 0; });
    const main0 = await mainThread();
    const lines0 = await lines();
    const t0 = performance.now();
    const inputMs: number[] = [];
    while (performance.now() - t0 < seconds * 1000) {
      const c0 = performance.now();
      await page.mouse.click(box.x + 2, box.y + box.height / 2);
      inputMs.push(performance.now() - c0);
      const rest = 250 - (performance.now() - c0);
      if (rest > 0) await new Promise((r) => setTimeout(r, rest));
    }
    const wallS = (performance.now() - t0) / 1000;
    const main1 = await mainThread();
    const busyFraction = (main1.task - main0.task) / wallS;
    const busy = { script: (main1.script - main0.script) / wallS, style: (main1.style - main0.style) / wallS, layout: (main1.layout - main0.layout) / wallS };
    const linesPerS = ((await lines()) - lines0) / wallS;
    const longestTaskMs = await page.evaluate(() => (window as unknown as { longestTaskMs: number }).longestTaskMs);

    const s0 = performance.now();
    let clickMs: number | null = null;
    let stopMs: number | null = null;
    try {
      await page.click('#stop', { timeout: stopTimeoutS * 1000 });
      clickMs = performance.now() - s0;
      await page.waitForFunction(() => document.documentElement.dataset.state === 'stopped', undefined, { timeout: stopTimeoutS * 1000 });
      stopMs = performance.now() - s0;
    } catch {
      // Not within the cap: reported as null.
    }
    const report: Report = {
      config, chromium: browser.version(), machine: (({ cpu, cores, node }) => ({ cpu, cores, node }))(machine()), load1, hogs: hogCount, seconds: wallS,
      linesPerS, busyFraction, busy, longestTaskMs,
      inputLatencyMs: { median: median(inputMs), max: Math.max(...inputMs), samples: inputMs.length },
      clickMs, stopMs, stopTimeoutS,
    };
    if (json) console.log(JSON.stringify(report, null, 2));
    else print(report);
  } finally {
    for (const h of hogs) if (h.pid !== undefined) process.kill(h.pid, 'SIGKILL');
    await browser.close();
    await served.close();
  }
}
