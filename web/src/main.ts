/**
 * The simulation page. A run's main side lives in a coordinator Web Worker (coordinator.ts), which
 * drives the devices' Web Workers over one shared arena; this thread validates the config, shows
 * what the coordinator reports and keeps every run for the charts and exports.
 *
 * URL contract (scripts, tests): `?config=<URL-encoded JSON config>&autostart=1` runs that config;
 * `document.documentElement.dataset.state` goes loading -> idle -> running -> done | error |
 * stopped; `window.sparsepushMetrics` holds the current run's metrics.jsonl lines as they arrive;
 * when done `window.sparsepushSummary` is the summary.json object, on error `window.sparsepushError`
 * is the message (a config error starts with the key, as in the CLI).
 */
import * as Comlink from 'comlink';
import { resolveConfig } from '../../src/config/schema.js';
import { ALGORITHM_NAMES } from '../../src/algorithms/registry.js';
import { getPath, type RawConfig } from '../../src/config/paths.js';
import type { RunConfig } from '../../src/config/types.js';
import { formatBits, formatDuration, formatPercent } from '../../src/output/format.js';
import { fmt, LiveChart, PALETTE, type ChartSpec } from './charts.js';
import { ConfigForm, fields } from './form.js';
import { drawRound } from './graph-view.js';
import type { CoordinatorApi, Metrics, PageAssets, RoundPicture, RunStarted, RunSummary, RunUpdate } from './protocol.js';

declare const SPARSEPUSH_VERSION: string;

declare global {
  interface Window {
    sparsepushSummary?: RunSummary;
    sparsepushError?: string;
    sparsepushMetrics?: Metrics[];
  }
}

type PageState = 'loading' | 'idle' | 'running' | 'done' | 'error' | 'stopped';

/** What the page starts with; keys it leaves out take the CLI's defaults. */
const PAGE_DEFAULTS: RawConfig = {
  name: 'page',
  devices: 16,
  rounds: 100,
  evalEvery: 5,
  model: 'logistic',
  data: { train: 'mnist', test: null },
  topology: 'exponential:1',
  algorithm: { name: 'sparse-push', lr: 0.1 },
  compressor: 'topk:0.01+int8',
};

interface Run {
  readonly id: number;
  readonly label: string;
  readonly color: string;
  readonly config: RunConfig;
  readonly metrics: Metrics[];
  info?: RunStarted;
  /** The latest round's graph the coordinator sent. */
  picture?: RoundPicture;
  summary?: RunSummary;
  status: 'running' | 'done' | 'error' | 'stopped';
}

const $ = <T extends HTMLElement | SVGSVGElement>(id: string): T => document.getElementById(id) as T;
const runs: Run[] = [];
let active: { run: Run; api: Comlink.Remote<CoordinatorApi>; worker: Worker } | null = null;

const isolated = globalThis.crossOriginIsolated === true;
const cores = Math.max(1, navigator.hardwareConcurrency || 1);

function setState(state: PageState): void {
  document.documentElement.dataset.state = state;
}

function showError(message: string | null): void {
  const box = $<HTMLParagraphElement>('error');
  box.hidden = message === null;
  box.textContent = message ?? '';
}

const assets: PageAssets = {
  mnistTrain: new URL('./data/mnist-train.u8', location.href).href,
  mnistTest: new URL('./data/mnist-test.u8', location.href).href,
  tfjsWasm: new URL('./tfjs/', location.href).href,
};

// ---------------------------------------------------------------- charts

const CHARTS: { id: string; spec: ChartSpec; point: (m: Metrics) => [number, number] }[] = [
  { id: 'chart-rounds', spec: { title: 'Test accuracy vs rounds', x: { title: 'round', format: fmt.int }, y: { title: 'accuracy of the average model', format: fmt.percent } }, point: (m) => [m.round, m.accuracy] },
  { id: 'chart-bits', spec: { title: 'Test accuracy vs bits sent', x: { title: 'bits sent, all devices (log)', log: true, format: fmt.si }, y: { title: 'accuracy', format: fmt.percent } }, point: (m) => [m.bitsSent, m.accuracy] },
  { id: 'chart-consensus', spec: { title: 'Consensus distance', x: { title: 'round', format: fmt.int }, y: { title: '1/n Σ ‖z_i − z̄‖² (log)', log: true, format: fmt.exp } }, point: (m) => [m.round, m.consensusDistance] },
];
const charts = CHARTS.map((c) => ({ chart: new LiveChart($<SVGSVGElement>(c.id), c.spec), point: c.point }));

/**
 * Minimum time between two drawings of the page while a run goes: metrics can arrive hundreds of
 * times per second, faster than anyone reads them and than a screen refreshes.
 */
const DRAW_INTERVAL_MS = 100;
let drawnAt = Number.NEGATIVE_INFINITY;
let graphShown: RoundPicture | undefined;
/** A drawing asked for: the timer until DRAW_INTERVAL_MS has passed, then the animation frame. */
interface PendingDraw { timer: ReturnType<typeof setTimeout> | null; frame: number | null }
let pending: PendingDraw | null = null;

/**
 * Updates only record what arrived and call this: the page is drawn in an animation frame (none
 * while the tab is hidden), at most once per DRAW_INTERVAL_MS.
 */
function scheduleDraw(): void {
  if (pending) return;
  const p: PendingDraw = { timer: null, frame: null };
  pending = p;
  p.timer = setTimeout(() => {
    p.timer = null;
    p.frame = requestAnimationFrame(() => { p.frame = null; draw(); });
  }, Math.max(0, drawnAt + DRAW_INTERVAL_MS - performance.now()));
}

/** Brings charts, graph, status and table up to date with the runs, now. */
function draw(): void {
  if (pending) {
    if (pending.timer !== null) clearTimeout(pending.timer);
    if (pending.frame !== null) cancelAnimationFrame(pending.frame);
    pending = null;
  }
  drawnAt = performance.now();
  for (const { chart, point } of charts) {
    chart.update(runs.map((r) => ({ key: String(r.id), label: r.label, color: r.color, length: r.metrics.length, point: (i: number) => point(r.metrics[i]!) })));
  }
  const run = active?.run;
  if (run) {
    const m = run.metrics[run.metrics.length - 1];
    if (m) status(`round ${m.round}/${run.config.rounds} · accuracy ${formatPercent(m.accuracy)} · ${formatBits(m.bitsSent)} sent · ${formatDuration(m.wallTimeS)}`);
    else if (run.info) status(`running on ${run.info.workers} worker${run.info.workers === 1 ? '' : 's'} (${run.info.backend}${run.info.simd ? ', SIMD' : ''}), ${run.info.params.toLocaleString('en')} parameters per device`);
    if (run.picture && run.picture !== graphShown) {
      $<HTMLElement>('graph-caption').textContent = drawRound($<SVGSVGElement>('graph'), run.picture);
      graphShown = run.picture;
    }
  }
  for (const r of runs) renderRow(r);
}

/** The table row of `run`, created on first use; cells are written only when their text changes. */
function renderRow(r: Run): void {
  const body = $<HTMLTableSectionElement>('runs-body');
  let tr = body.querySelector<HTMLTableRowElement>(`tr[data-run="${r.id}"]`);
  if (!tr) {
    tr = document.createElement('tr');
    tr.dataset.run = String(r.id);
    for (let k = 0; k < 9; k++) tr.append(document.createElement('td'));
    const swatch = document.createElement('span');
    swatch.style.background = r.color;
    tr.cells[0]!.className = 'swatch';
    tr.cells[0]!.append(swatch);
    tr.cells[7]!.append(document.createElement('code'));
    body.append(tr);
  }
  const last = r.metrics[r.metrics.length - 1];
  const texts = [
    r.label, String(r.info?.workers ?? ''), last ? `${last.round}/${r.config.rounds}` : '',
    last ? formatPercent(last.accuracy) : '', last ? formatBits(last.bitsSent) : '',
    r.summary ? formatDuration(r.summary.wallTimeS) : r.status,
  ];
  texts.forEach((text, k) => {
    const td = tr.cells[k + 1]!;
    if (td.textContent !== text) td.textContent = text;
  });
  const code = tr.cells[7]!.firstElementChild as HTMLElement;
  if (r.summary && code.title !== r.summary.paramsHash) {
    code.textContent = r.summary.paramsHash.slice(0, 12);
    code.title = r.summary.paramsHash;
  }
  const exp = tr.cells[8]!;
  const buttons = (r.summary ? 1 : 0) + (r.metrics.length > 0 ? 1 : 0);
  if (exp.querySelectorAll('button').length !== buttons) {
    exp.replaceChildren();
    if (r.summary) {
      const summary = r.summary;
      exp.append(downloadButton('summary.json', () => `${JSON.stringify(summary, null, 2)}\n`, 'application/json', `${r.config.name}-${r.id}-summary.json`));
    }
    if (r.metrics.length > 0) {
      exp.append(' ', downloadButton('metrics.jsonl', () => r.metrics.map((m) => JSON.stringify(m)).join('\n') + '\n', 'application/x-ndjson', `${r.config.name}-${r.id}-metrics.jsonl`));
    }
  }
}

/** A button that downloads `content()`, made when clicked. */
function downloadButton(text: string, content: () => string, type: string, filename: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([content()], { type }));
    const a = document.createElement('a');
    a.href = url;
    a.download = filename;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  });
  return b;
}

// ---------------------------------------------------------------- runs

function poolSize(config: RunConfig): number {
  if (!isolated) return 1;
  return Math.max(1, Math.min(config.devices, config.workers > 0 ? config.workers : cores));
}

function status(text: string): void {
  const line = $<HTMLParagraphElement>('status');
  if (line.textContent !== text) line.textContent = text;
}

/** Takes an update of the active run: records it and asks for a frame (drawing waits for it). */
function onUpdate(run: Run, update: RunUpdate): void {
  if (update.started) run.info = update.started;
  for (const m of update.metrics) run.metrics.push(m);
  if (update.picture) run.picture = update.picture;
  scheduleDraw();
}

async function start(raw: RawConfig): Promise<void> {
  showError(null);
  window.sparsepushError = undefined;
  window.sparsepushSummary = undefined;
  window.sparsepushMetrics = undefined;
  let config: RunConfig;
  try {
    config = resolveConfig(raw);
  } catch (err) {
    fail(err);
    return;
  }
  const id = runs.length + 1;
  const run: Run = {
    id, color: PALETTE[(id - 1) % PALETTE.length]!, config, metrics: [], status: 'running',
    label: `#${id} ${config.algorithm.name} ${config.compressor}, ${config.devices} devices, ${config.topology}, ${config.model}`,
  };
  runs.push(run);
  window.sparsepushMetrics = run.metrics;
  renderRow(run);
  setState('running');
  setRunning(true);
  const worker = new Worker(new URL('./coordinator.js', import.meta.url), { type: 'module', name: 'sparsepush-coordinator' });
  const api = Comlink.wrap<CoordinatorApi>(worker);
  active = { run, api, worker };
  try {
    const summary = await api.run({ config, workers: poolSize(config), assets, version: SPARSEPUSH_VERSION }, Comlink.proxy((u: RunUpdate) => onUpdate(run, u)));
    draw();
    run.summary = summary;
    run.status = 'done';
    window.sparsepushSummary = summary;
    status(`done: accuracy ${formatPercent(summary.final.accuracy)} after ${summary.rounds} rounds, ${formatBits(summary.final.bitsSent)}, ${formatDuration(summary.wallTimeS)} on ${summary.workers} worker${summary.workers === 1 ? '' : 's'}`);
    setState('done');
  } catch (err) {
    draw();
    const stopped = run.status === 'stopped';
    run.status = stopped ? 'stopped' : 'error';
    if (stopped) { status('stopped'); setState('stopped'); } else fail(err);
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
    active = null;
    setRunning(false);
    renderRow(run);
  }
}

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  window.sparsepushError = message;
  showError(message);
  status('');
  setState('error');
}

function setRunning(running: boolean): void {
  $<HTMLButtonElement>('start').disabled = running;
  $<HTMLButtonElement>('stop').disabled = !running;
  form.setDisabled(running);
}

// ---------------------------------------------------------------- wiring

const isolation = $<HTMLParagraphElement>('isolation');
if (isolated) {
  isolation.className = 'banner ok';
  isolation.textContent = `Cross-origin isolated: runs use up to ${cores} Web Workers over one shared memory, the same engine and the same results as the sparsepush CLI.`;
} else {
  isolation.className = 'banner warn';
  isolation.textContent = 'This page is not cross-origin isolated (it was served without the Cross-Origin-Opener-Policy / Cross-Origin-Embedder-Policy headers), so its Web Workers cannot share memory: runs use one worker, with the same results. `sparsepush serve` sends the headers.';
}

const DEFAULTS = resolveConfig({});
const form = new ConfigForm($<HTMLFormElement>('fields'), $<HTMLTextAreaElement>('config-json'), fields(ALGORITHM_NAMES), (path) => getPath(DEFAULTS as unknown as RawConfig, path), (config, error) => {
  showError(error ?? null);
  const share = $<HTMLAnchorElement>('share');
  share.href = config ? `?config=${encodeURIComponent(JSON.stringify(config))}&autostart=1` : '#';
});

$<HTMLButtonElement>('start').addEventListener('click', () => {
  const parsed = form.parse();
  if (!parsed.config) { fail(new Error(parsed.error)); return; }
  void start(parsed.config);
});
$<HTMLButtonElement>('stop').addEventListener('click', () => {
  if (!active) return;
  active.run.status = 'stopped';
  void active.api.stop();
});
$<HTMLButtonElement>('clear').addEventListener('click', () => {
  runs.splice(0, runs.length, ...(active ? [active.run] : []));
  $<HTMLTableSectionElement>('runs-body').replaceChildren();
  draw();
});

const params = new URLSearchParams(location.search);
const fromUrl = params.get('config');
let initial: RawConfig = PAGE_DEFAULTS;
let urlError: string | null = null;
if (fromUrl !== null) {
  try {
    const value: unknown = JSON.parse(fromUrl);
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('expected a JSON object of config keys');
    initial = value as RawConfig;
  } catch (err) {
    urlError = `(config): the config in the URL is not a JSON object: ${(err as Error).message}`;
  }
}
form.set(initial);
$<HTMLButtonElement>('start').disabled = false;
setState('idle');
if (urlError) fail(new Error(urlError));
else if (params.get('autostart') === '1') void start(initial);
