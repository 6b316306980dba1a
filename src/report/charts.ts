/** Vega-Lite specs of the report's plots (one colour per run, shared across plots). */
import type { TopLevelSpec } from 'vega-lite';
import type { MetricsRecord } from '../metrics/records.js';
import type { RunData } from './types.js';

const CHART_WIDTH = 560;
const CHART_HEIGHT = 280;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
/** Tableau 10: distinguishable, colour-blind tolerant. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];
/** More points than this per run: draw lines only. */
const MAX_POINTS_WITH_MARKERS = 60;
/** More devices than this: bits per device as a line instead of grouped bars. */
const MAX_BAR_DEVICES = 64;

export interface Chart {
  id: string;
  title: string;
  /** Null when no run has the data; `note` says why. */
  spec: TopLevelSpec | null;
  note?: string;
}

type Field = 'accuracy' | 'loss' | 'bitsSent' | 'simTimeS' | 'energyJ' | 'consensusDistance' | 'round';

interface AxisDef {
  field: Field;
  title: string;
  log?: boolean;
  format?: string;
}

const AXES: Record<Field, AxisDef> = {
  round: { field: 'round', title: 'Communication round' },
  accuracy: { field: 'accuracy', title: 'Test accuracy', format: '.3~%' },
  loss: { field: 'loss', title: 'Test loss (cross-entropy)', format: '.3~g' },
  bitsSent: { field: 'bitsSent', title: 'Bits sent, all devices (log scale)', log: true, format: '.2~s' },
  simTimeS: { field: 'simTimeS', title: 'Simulated time (s)', format: '~s' },
  energyJ: { field: 'energyJ', title: 'Energy, all devices (J, log scale)', log: true, format: '.2~s' },
  consensusDistance: { field: 'consensusDistance', title: 'Consensus distance (log scale)', log: true, format: '.0e' },
};

function baseConfig(legendSymbol: 'stroke' | 'square' = 'stroke'): Record<string, unknown> {
  return {
    font: FONT,
    background: 'white',
    padding: 8,
    view: { stroke: null },
    title: { fontSize: 15, fontWeight: 600, anchor: 'start', color: '#1f2933', offset: 10 },
    axis: {
      labelFontSize: 11, titleFontSize: 12, titleFontWeight: 500, titleColor: '#3e4c59', labelColor: '#52606d',
      gridColor: '#e4e7eb', domainColor: '#9aa5b1', tickColor: '#9aa5b1', titlePadding: 8,
    },
    legend: {
      orient: 'top', direction: 'horizontal', title: null, labelFontSize: 12, symbolStrokeWidth: 3,
      labelLimit: 260, columns: 3, symbolType: legendSymbol,
    },
    line: { strokeWidth: 2.2, interpolate: 'linear' },
    point: { size: 28, filled: true },
    bar: { cornerRadiusEnd: 1 },
  };
}

function colorEncoding(labels: readonly string[]): Record<string, unknown> {
  return {
    field: 'run', type: 'nominal', title: null,
    scale: { domain: labels, range: labels.map((_, i) => PALETTE[i % PALETTE.length]) },
    sort: labels,
  };
}

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function series(runs: readonly RunData[], x: AxisDef, y: AxisDef): Array<Record<string, number | string>> {
  const rows: Array<Record<string, number | string>> = [];
  for (const run of runs) {
    for (const m of run.metrics) {
      const xv = (m as MetricsRecord)[x.field];
      const yv = (m as MetricsRecord)[y.field];
      if (!finite(xv) || !finite(yv)) continue;
      if ((x.log && xv <= 0) || (y.log && yv <= 0)) continue; // log axes cannot show 0 (e.g. bits at round 0)
      rows.push({ run: run.label, [x.field]: xv, [y.field]: yv });
    }
  }
  return rows;
}

function lineChart(id: string, title: string, runs: readonly RunData[], labels: readonly string[], xField: Field, yField: Field): Chart {
  const x = AXES[xField];
  const y = AXES[yField];
  const values = series(runs, x, y);
  if (values.length === 0) {
    const anyValue = runs.some((r) => r.metrics.some((m) => finite(m[x.field]) && finite(m[y.field])));
    const note = anyValue
      ? `every recorded ${x.log ? xField : yField} is 0, which a log scale cannot show${yField === 'consensusDistance' ? ' (server algorithms keep a single model)' : ''}`
      : `no run recorded ${yField} against ${xField}`;
    return { id, title, spec: null, note };
  }
  const perRun = Math.max(...labels.map((l) => values.filter((v) => v.run === l).length));
  const axis = (a: AxisDef): Record<string, unknown> => ({
    field: a.field, type: 'quantitative', title: a.title,
    scale: a.log ? { type: 'log' } : { zero: a.field === 'accuracy' ? false : a.field === 'round' || a.field === 'simTimeS' || a.field === 'energyJ' },
    axis: {
      ...(a.format ? { format: a.format } : {}),
      // Log axes: label the decades only (1e-3, 1e-2, ...), which reads far better than every tick.
      ...(a.log ? { labelExpr: 'abs(log(datum.value) / LN10 - round(log(datum.value) / LN10)) < 1e-6 ? datum.label : ""' } : {}),
    },
  });
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title, width: CHART_WIDTH, height: CHART_HEIGHT, config: baseConfig(),
    data: { values },
    mark: { type: 'line', point: perRun <= MAX_POINTS_WITH_MARKERS, clip: true },
    encoding: { x: axis(x), y: axis(y), color: colorEncoding(labels), order: { field: x.field, type: 'quantitative' } },
  } as TopLevelSpec;
  return { id, title, spec };
}

function bitsPerDeviceChart(runs: readonly RunData[], labels: readonly string[]): Chart {
  const id = 'bits-per-device';
  const title = 'Bits sent per device';
  const values: Array<Record<string, number | string>> = [];
  let devices = 0;
  for (const run of runs) {
    const bits = run.summary?.bitsPerDevice;
    if (!bits) continue;
    devices = Math.max(devices, bits.length);
    bits.forEach((b, device) => { if (finite(b)) values.push({ run: run.label, device, bits: b }); });
  }
  if (values.length === 0) return { id, title, spec: null, note: 'no finished run recorded bitsPerDevice' };
  const y = { field: 'bits', type: 'quantitative', title: 'Bits sent (whole run)', axis: { format: '.2~s' } };
  const bars = devices <= MAX_BAR_DEVICES;
  const common = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, width: CHART_WIDTH, height: CHART_HEIGHT, config: baseConfig(bars ? 'square' : 'stroke'), data: { values } };
  const spec = (bars
    ? {
        ...common,
        mark: { type: 'bar' },
        encoding: {
          x: { field: 'device', type: 'ordinal', title: 'Device', axis: { labelAngle: 0, labelOverlap: 'greedy' } },
          xOffset: { field: 'run', type: 'nominal', sort: labels },
          y, color: colorEncoding(labels),
        },
      }
    : {
        ...common,
        mark: { type: 'line', strokeWidth: 1.2, interpolate: 'linear' },
        encoding: {
          x: { field: 'device', type: 'quantitative', title: 'Device', scale: { zero: true, nice: false } },
          y, color: colorEncoding(labels),
        },
      }) as TopLevelSpec;
  return { id, title, spec };
}

/** Every plot of a report, in page order. */
export function reportCharts(runs: readonly RunData[]): Chart[] {
  const labels = runs.map((r) => r.label);
  return [
    lineChart('accuracy-rounds', 'Test accuracy vs rounds', runs, labels, 'round', 'accuracy'),
    lineChart('loss-rounds', 'Test loss vs rounds', runs, labels, 'round', 'loss'),
    lineChart('accuracy-bits', 'Test accuracy vs bits sent', runs, labels, 'bitsSent', 'accuracy'),
    lineChart('loss-bits', 'Test loss vs bits sent', runs, labels, 'bitsSent', 'loss'),
    lineChart('accuracy-time', 'Test accuracy vs simulated time', runs, labels, 'simTimeS', 'accuracy'),
    lineChart('loss-time', 'Test loss vs simulated time', runs, labels, 'simTimeS', 'loss'),
    lineChart('consensus-rounds', 'Consensus distance vs rounds', runs, labels, 'round', 'consensusDistance'),
    bitsPerDeviceChart(runs, labels),
    lineChart('accuracy-energy', 'Test accuracy vs energy', runs, labels, 'energyJ', 'accuracy'),
  ];
}
