/** Small SVG line charts for the live page: several runs overlaid, linear or log axes, redrawn on every update. */
import { formatPercent, formatTick } from '../../src/output/format.js';

// The HTML report's palette: a run has the same colour on the page and in its report.
export { PALETTE } from '../../src/report/charts.js';

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

export interface AxisSpec {
  readonly title: string;
  readonly log?: boolean;
  readonly format: (v: number) => string;
}

export interface ChartSpec {
  readonly title: string;
  readonly x: AxisSpec;
  readonly y: AxisSpec;
}

const W = 460;
const H = 250;
const M = { left: 58, right: 14, top: 30, bottom: 40 };
const SVG_NS = 'http://www.w3.org/2000/svg';

function el<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

interface Scale { map(v: number): number; ticks: number[] }

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

function scale(values: number[], log: boolean, from: number, to: number): Scale {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    let lo = finite.length ? Math.floor(Math.log10(Math.min(...finite))) : 0;
    let hi = finite.length ? Math.ceil(Math.log10(Math.max(...finite))) : 1;
    if (hi === lo) { lo -= 1; hi += 1; }
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e += every) ticks.push(10 ** e);
    return { map: (v) => from + ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (to - from), ticks };
  }
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { map: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks };
}

/** Redraws `host` (an <svg>) with the series; points with a non-finite or (log) non-positive coordinate are skipped. */
export function drawChart(host: SVGSVGElement, spec: ChartSpec, series: readonly Series[]): void {
  host.replaceChildren();
  host.setAttribute('viewBox', `0 0 ${W} ${H}`);
  host.setAttribute('role', 'img');
  host.setAttribute('aria-label', spec.title);
  const usable = (v: number, log?: boolean): boolean => Number.isFinite(v) && (!log || v > 0);
  const pts = series.map((s) => s.points.filter(([x, y]) => usable(x, spec.x.log) && usable(y, spec.y.log)));
  const xs = scale(pts.flat().map((p) => p[0]), spec.x.log === true, M.left, W - M.right);
  const ys = scale(pts.flat().map((p) => p[1]), spec.y.log === true, H - M.bottom, M.top);

  host.append(el('text', { x: M.left, y: 18, class: 'chart-title' }, spec.title));
  for (const t of ys.ticks) {
    const y = ys.map(t);
    host.append(el('line', { x1: M.left, x2: W - M.right, y1: y, y2: y, class: 'grid' }));
    host.append(el('text', { x: M.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, spec.y.format(t)));
  }
  for (const t of xs.ticks) {
    const x = xs.map(t);
    host.append(el('line', { x1: x, x2: x, y1: H - M.bottom, y2: H - M.bottom + 4, class: 'axis' }));
    host.append(el('text', { x, y: H - M.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, spec.x.format(t)));
  }
  host.append(el('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }));
  host.append(el('text', { x: (M.left + W - M.right) / 2, y: H - 6, class: 'axis-title', 'text-anchor': 'middle' }, spec.x.title));
  host.append(el('text', { x: 14, y: (M.top + H - M.bottom) / 2, class: 'axis-title', 'text-anchor': 'middle', transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, spec.y.title));

  series.forEach((s, k) => {
    const p = pts[k]!;
    if (p.length === 0) return;
    const d = p.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${xs.map(x).toFixed(1)},${ys.map(y).toFixed(1)}`).join('');
    host.append(el('path', { d, class: 'line', stroke: s.color, 'data-run': s.label }));
    const [lx, ly] = p[p.length - 1]!;
    host.append(el('circle', { cx: xs.map(lx).toFixed(1), cy: ys.map(ly).toFixed(1), r: 3, fill: s.color }));
  });
}

/** Axis tick labels. */
export const fmt = {
  int: (v: number): string => (Math.abs(v) >= 1000 ? formatTick(v) : String(Math.round(v))),
  percent: (v: number): string => formatPercent(v, 0),
  si: formatTick,
  exp: (v: number): string => v.toExponential(0),
};
