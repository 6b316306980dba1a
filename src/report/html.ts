/** The self-contained HTML page: inline CSS, inline SVG plots, summary table, resolved configs. */
import { configToYaml } from '../config/load.js';
import { PALETTE } from './charts.js';
import { finalMetrics } from './read.js';
import { formatBits, formatDuration, formatPercent, formatRatio, formatSi } from '../output/format.js';
import type { RunData } from './types.js';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function statusOf(run: RunData): string {
  if (run.error) return 'failed';
  if (run.summary) return 'finished';
  return 'incomplete';
}

interface Column {
  head: string;
  title?: string;
  cell: (run: RunData, i: number) => string;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  {
    head: 'Run',
    cell: (r, i) => `<span class="swatch" style="background:${PALETTE[i % PALETTE.length]}"></span>${escapeHtml(r.label)}${statusOf(r) === 'finished' ? '' : ` <span class="status ${statusOf(r)}">${statusOf(r)}</span>`}`,
  },
  { head: 'Algorithm', cell: (r) => escapeHtml(r.config?.algorithm?.name ?? '–') },
  { head: 'Compressor', cell: (r) => `<code>${escapeHtml(r.config?.compressor ?? '–')}</code>` },
  {
    head: 'Devices · graph · labels', title: 'devices, topology, label partition',
    cell: (r) => (r.config ? `${r.config.devices} · <code>${escapeHtml(r.config.topology)}</code> · <code>${escapeHtml(r.config.data.partition)}</code>` : '–'),
  },
  {
    head: 'Final accuracy', title: 'test accuracy at the last evaluation (its round in grey)', numeric: true,
    cell: (r) => { const f = finalMetrics(r); return `${formatPercent(f?.accuracy)}${f ? ` <span class="dim">r${f.round}</span>` : ''}`; },
  },
  { head: 'Bits sent', title: 'cumulative, all devices', numeric: true, cell: (r) => formatBits(finalMetrics(r)?.bitsSent) },
  {
    head: 'Compression', title: '32·d / bits per message', numeric: true,
    cell: (r) => formatRatio(finalMetrics(r)?.compressionRatio),
  },
  { head: 'Sim. time', numeric: true, cell: (r) => formatDuration(finalMetrics(r)?.simTimeS) },
  { head: 'Energy', numeric: true, cell: (r) => formatSi(finalMetrics(r)?.energyJ, 'J') },
  {
    head: 'To target', title: 'round / bits / simulated time at which targetAccuracy was reached', numeric: true,
    cell: (r) => {
      const t = r.summary?.toTarget;
      const target = r.config?.targetAccuracy;
      if (!finite(target) || target <= 0) return '–';
      if (!t) return r.summary ? 'not reached' : '–';
      return `r${t.round} · ${formatBits(t.bitsSent)} · ${formatDuration(t.simTimeS)}`;
    },
  },
  {
    head: 'paramsHash', title: 'sha256 of the network-average model (float32 bytes)',
    cell: (r) => (r.summary?.paramsHash
      ? `<code title="${escapeHtml(r.summary.paramsHash)}">${escapeHtml(r.summary.paramsHash.slice(0, 8))}…</code>`
      : '–'),
  },
  {
    head: 'Wall time', title: 'wall-clock time of the run, training backend', numeric: true,
    cell: (r) => {
      const backend = r.summary ? ` <span class="dim">${escapeHtml(`${r.summary.backend}${r.summary.simd ? '+simd' : ''}`)}</span>` : '';
      return `${formatDuration(r.summary?.wallTimeS ?? finalMetrics(r)?.wallTimeS)}${backend}`;
    },
  },
];

function summaryTable(runs: readonly RunData[]): string {
  const head = COLUMNS.map((c) => `<th${c.numeric ? ' class="num"' : ''}${c.title ? ` title="${escapeHtml(c.title)}"` : ''}>${c.head}</th>`).join('');
  const body = runs.map((r, i) => `<tr>${COLUMNS.map((c) => `<td${c.numeric ? ' class="num"' : ''}>${c.cell(r, i)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-wrap"><table class="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table></div>`;
}

export interface RenderedChart {
  id: string;
  title: string;
  svg: string | null;
  note?: string;
}

const CSS = `
:root { color-scheme: light; --ink: #1f2933; --muted: #616e7c; --line: #e4e7eb; --bg: #f5f7fa; --accent: #4e79a7; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: #1f2933; color: #f5f7fa; padding: 22px 32px 18px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; letter-spacing: .2px; }
header p { margin: 0; color: #cbd2d9; font-size: 13px; }
main { max-width: 1480px; margin: 0 auto; padding: 20px 32px 48px; }
h2 { font-size: 17px; font-weight: 650; margin: 30px 0 12px; }
.table-wrap { overflow-x: auto; background: white; border: 1px solid var(--line); border-radius: 8px; }
table.summary { border-collapse: collapse; width: 100%; font-size: 13px; }
table.summary td.num, table.summary th, table.summary td:nth-child(2), table.summary td:nth-child(3) { white-space: nowrap; }
table.summary th, table.summary td { padding: 8px 8px; border-bottom: 1px solid var(--line); text-align: left; }
table.summary th { background: #f9fafb; font-weight: 600; color: #3e4c59; position: sticky; top: 0; }
table.summary tr:last-child td { border-bottom: none; }
table.summary .num { text-align: right; font-variant-numeric: tabular-nums; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 3px; margin-right: 8px; vertical-align: -1px; }
.status { padding: 1px 8px; border-radius: 10px; font-size: 12px; }
.status.finished { background: #e3f9e5; color: #207227; }
.status.failed { background: #ffe3e3; color: #a61b1b; }
.status.incomplete { background: #fff3c4; color: #8d6708; }
.grid { display: flex; flex-wrap: wrap; gap: 18px; }
figure.chart { margin: 0; background: white; border: 1px solid var(--line); border-radius: 8px; padding: 10px 10px 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figure.chart.empty { padding: 18px 20px; color: var(--muted); min-width: 300px; }
figure.chart.empty h3 { margin: 0 0 6px; font-size: 15px; color: var(--ink); }
.errors { background: #fff5f5; border: 1px solid #ffbdbd; border-radius: 8px; padding: 10px 16px; }
.errors p { margin: 4px 0; }
details { background: white; border: 1px solid var(--line); border-radius: 8px; margin: 0 0 10px; }
details summary { cursor: pointer; padding: 10px 14px; font-weight: 600; }
details pre { margin: 0; padding: 0 18px 14px; font: 12.5px/1.45 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; overflow-x: auto; }
.dim { color: var(--muted); font-size: 12px; }
.dir { color: var(--muted); font-weight: 400; font-size: 12.5px; margin-left: 8px; }
footer { color: var(--muted); font-size: 12px; margin-top: 36px; }
`;

function chartFigure(c: RenderedChart): string {
  if (c.svg) return `<figure class="chart" id="${c.id}" aria-label="${escapeHtml(c.title)}">${c.svg}</figure>`;
  return `<figure class="chart empty" id="${c.id}"><h3>${escapeHtml(c.title)}</h3><p>Not plotted: ${escapeHtml(c.note ?? 'no data')}.</p></figure>`;
}

export function reportHtml(runs: readonly RunData[], charts: readonly RenderedChart[], opts: { title?: string; generatedAt?: Date; version?: string } = {}): string {
  const title = opts.title ?? (runs.length === 1 ? `sparsepush run: ${runs[0]!.label}` : `sparsepush comparison: ${runs.map((r) => r.label).join(' vs ')}`);
  const when = (opts.generatedAt ?? new Date()).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
  const byId = new Map(charts.map((c) => [c.id, c]));
  const group = (ids: string[]): string => `<div class="grid">${ids.map((id) => byId.get(id)).filter((c): c is RenderedChart => !!c).map(chartFigure).join('\n')}</div>`;
  const failed = runs.filter((r) => r.error);
  const errors = failed.length === 0 ? '' : `<h2>Failures</h2><div class="errors">${failed.map((r) => `<p><b>${escapeHtml(r.label)}</b>: ${escapeHtml(r.error!)}</p>`).join('')}</div>`;
  const configs = runs.map((r) => {
    const yaml = r.config ? configToYaml(r.config, `${r.label}`) : '# no resolved config found in this run directory\n';
    return `<details${runs.length === 1 ? ' open' : ''}><summary>${escapeHtml(r.label)}<span class="dir">${escapeHtml(r.dir)}</span></summary><pre>${escapeHtml(yaml)}</pre></details>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(title)}</h1>
<p>${runs.length} run${runs.length === 1 ? '' : 's'} · generated ${escapeHtml(when)}${opts.version ? ` · sparsepush ${escapeHtml(opts.version)}` : ''}</p>
</header>
<main>
<h2>Summary</h2>
${summaryTable(runs)}
${errors}
<h2>Accuracy and loss vs rounds</h2>
${group(['accuracy-rounds', 'loss-rounds'])}
<h2>Accuracy and loss vs communication</h2>
${group(['accuracy-bits', 'loss-bits'])}
<h2>Accuracy and loss vs simulated time</h2>
${group(['accuracy-time', 'loss-time'])}
<h2>Consensus and per-device communication</h2>
${group(['consensus-rounds', 'bits-per-device'])}
<h2>Energy</h2>
${group(['accuracy-energy'])}
<h2>Resolved config</h2>
${configs}
<footer>Self-contained report: plots are inline SVG rendered with Vega-Lite at build time; no scripts, no network.</footer>
</main>
</body>
</html>
`;
}
