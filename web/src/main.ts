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
import type { RunConfig } from '../../src/config/types.js';
import { formatBits, formatDuration, formatPercent } from '../../src/output/format.js';
import { drawChart, fmt, PALETTE, type ChartSpec, type Series } from './charts.js';
import { ConfigForm, fields, getPath, type RawConfig } from './form.js';
import { drawRound } from './graph-view.js';
import type { CoordinatorApi, Metrics, PageAssets, RunEvent, RunStarted, RunSummary } from './protocol.js';

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

function redrawCharts(): void {
  for (const c of CHARTS) {
    const series: Series[] = runs.map((r) => ({ label: r.label, color: r.color, points: r.metrics.map(c.point) }));
    drawChart($<SVGSVGElement>(c.id), c.spec, series);
  }
}

function renderRuns(): void {
  const body = $<HTMLTableSectionElement>('runs-body');
  body.replaceChildren();
  for (const r of runs) {
    const last = r.metrics[r.metrics.length - 1];
    const tr = document.createElement('tr');
    tr.dataset.run = String(r.id);
    const cells = [
      '', r.label, String(r.info?.workers ?? ''), last ? `${last.round}/${r.config.rounds}` : '',
      last ? formatPercent(last.accuracy) : '', last ? formatBits(last.bitsSent) : '',
      r.summary ? formatDuration(r.summary.wallTimeS) : r.status, r.summary ? r.summary.paramsHash.slice(0, 12) : '',
    ];
    cells.forEach((text, k) => {
      const td = document.createElement('td');
      if (k === 0) { td.className = 'swatch'; const s = document.createElement('span'); s.style.background = r.color; td.append(s); }
      else if (k === 7) { const code = document.createElement('code'); code.textContent = text; if (r.summary) code.title = r.summary.paramsHash; td.append(code); }
      else td.textContent = text;
      tr.append(td);
    });
    const exp = document.createElement('td');
    if (r.summary) {
      exp.append(downloadButton('summary.json', `${JSON.stringify(r.summary, null, 2)}\n`, 'application/json', `${r.config.name}-${r.id}-summary.json`));
    }
    if (r.metrics.length > 0) {
      exp.append(' ', downloadButton('metrics.jsonl', r.metrics.map((m) => JSON.stringify(m)).join('\n') + '\n', 'application/x-ndjson', `${r.config.name}-${r.id}-metrics.jsonl`));
    }
    tr.append(exp);
    body.append(tr);
  }
}

function downloadButton(text: string, content: string, type: string, filename: string): HTMLButtonElement {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = text;
  b.addEventListener('click', () => {
    const url = URL.createObjectURL(new Blob([content], { type }));
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
  $<HTMLParagraphElement>('status').textContent = text;
}

function onEvent(run: Run, event: RunEvent): void {
  if (event.kind === 'started') {
    run.info = event.info;
    status(`running on ${event.info.workers} worker${event.info.workers === 1 ? '' : 's'} (${event.info.backend}${event.info.simd ? ', SIMD' : ''}), ${event.info.params.toLocaleString('en')} parameters per device`);
  } else if (event.kind === 'metrics') {
    const m = event.metrics;
    run.metrics.push(m);
    status(`round ${m.round}/${run.config.rounds} · accuracy ${formatPercent(m.accuracy)} · ${formatBits(m.bitsSent)} sent · ${formatDuration(m.wallTimeS)}`);
    redrawCharts();
  } else {
    $<HTMLElement>('graph-caption').textContent = drawRound($<SVGSVGElement>('graph'), event.picture);
  }
  renderRuns();
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
  renderRuns();
  setState('running');
  setRunning(true);
  const worker = new Worker(new URL('./coordinator.js', import.meta.url), { type: 'module', name: 'sparsepush-coordinator' });
  const api = Comlink.wrap<CoordinatorApi>(worker);
  active = { run, api, worker };
  try {
    const summary = await api.run({ config, workers: poolSize(config), assets, version: SPARSEPUSH_VERSION }, Comlink.proxy((e: RunEvent) => onEvent(run, e)));
    run.summary = summary;
    run.status = 'done';
    window.sparsepushSummary = summary;
    status(`done: accuracy ${formatPercent(summary.final.accuracy)} after ${summary.rounds} rounds, ${formatBits(summary.final.bitsSent)}, ${formatDuration(summary.wallTimeS)} on ${summary.workers} worker${summary.workers === 1 ? '' : 's'}`);
    setState('done');
  } catch (err) {
    const stopped = run.status === 'stopped';
    run.status = stopped ? 'stopped' : 'error';
    if (stopped) { status('stopped'); setState('stopped'); } else fail(err);
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
    active = null;
    setRunning(false);
    renderRuns();
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
  redrawCharts();
  renderRuns();
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
redrawCharts();
$<HTMLButtonElement>('start').disabled = false;
setState('idle');
if (urlError) fail(new Error(urlError));
else if (params.get('autostart') === '1') void start(initial);
