/**
 * Small SVG line charts for the live page: several runs overlaid, linear or log axes. A chart is
 * updated, not redrawn: new points are appended to the runs' paths, and the axes and paths are
 * rebuilt only when the scale changes (chart-model.ts keeps every path bounded).
 */
import { formatPercent, formatTick } from '../../src/output/format.js';
import { niceScale, pathCommands, PLOT, plotX, plotY, sameScale, SeriesPoints, toAxis, type AxisScale } from './chart-model.js';
import { el } from './svg.js';

// The HTML report's palette: a run has the same colour on the page and in its report.
export { PALETTE } from '../../src/report/charts.js';

/** A series as the chart reads it: append-only, `length` points so far. */
export interface SeriesSource {
  /** Identifies the series across updates. */
  readonly key: string;
  readonly label: string;
  readonly color: string;
  readonly length: number;
  point(i: number): readonly [number, number];
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

const { width: W, height: H } = PLOT;
const M = PLOT;

/** A series on screen: its points, its path (created at its first drawable point) and end marker. */
interface DrawnSeries {
  readonly points: SeriesPoints;
  readonly path: SVGPathElement;
  readonly dot: SVGCircleElement;
  /** The path through the kept points drawn so far, and how many of them it has. */
  keptPath: string;
  keptDrawn: number;
  generation: number;
  d: string;
}

export class LiveChart {
  private readonly lines = new Map<string, DrawnSeries>();
  private readonly axes: SVGGElement;
  private readonly layer: SVGGElement;
  private x: AxisScale | null = null;
  private y: AxisScale | null = null;

  constructor(host: SVGSVGElement, private readonly spec: ChartSpec) {
    host.replaceChildren();
    host.setAttribute('viewBox', `0 0 ${W} ${H}`);
    host.setAttribute('role', 'img');
    host.setAttribute('aria-label', spec.title);
    host.append(el('text', { x: M.left, y: 18, class: 'chart-title' }, spec.title));
    this.axes = el('g', {});
    this.layer = el('g', {});
    host.append(this.axes, this.layer);
    this.update([]);
  }

  /**
   * Shows exactly these series: takes their points added since the last update, drops series no
   * longer listed. Points with a non-finite or (log axis) non-positive coordinate are skipped.
   */
  update(sources: readonly SeriesSource[]): void {
    const logX = this.spec.x.log === true;
    const logY = this.spec.y.log === true;
    const keys = new Set(sources.map((s) => s.key));
    for (const [key, s] of this.lines) {
      if (keys.has(key)) continue;
      s.path.remove();
      s.dot.remove();
      this.lines.delete(key);
    }
    for (const src of sources) {
      let s = this.lines.get(src.key);
      if (!s) {
        s = {
          points: new SeriesPoints(), keptPath: '', keptDrawn: 0, generation: 0, d: '',
          path: el('path', { class: 'line', stroke: src.color, 'data-run': src.label }),
          dot: el('circle', { r: 3, fill: src.color }),
        };
        this.lines.set(src.key, s);
      }
      for (let i = s.points.seen; i < src.length; i++) {
        const [x, y] = src.point(i);
        s.points.add(toAxis(x, logX), toAxis(y, logY));
      }
    }

    let minX = Number.POSITIVE_INFINITY, maxX = Number.NEGATIVE_INFINITY, minY = Number.POSITIVE_INFINITY, maxY = Number.NEGATIVE_INFINITY;
    for (const { points: p } of this.lines.values()) {
      minX = Math.min(minX, p.minX); maxX = Math.max(maxX, p.maxX);
      minY = Math.min(minY, p.minY); maxY = Math.max(maxY, p.maxY);
    }
    const xs = niceScale(minX, maxX, logX);
    const ys = niceScale(minY, maxY, logY);
    const rescaled = !sameScale(this.x, xs) || !sameScale(this.y, ys);
    if (rescaled) {
      this.x = xs;
      this.y = ys;
      this.drawAxes(xs, ys);
    }
    const mapX = (v: number): number => plotX(xs, v);
    const mapY = (v: number): number => plotY(ys, v);
    for (const s of this.lines.values()) {
      const p = s.points;
      if (p.count === 0) continue;
      const kept = p.kept.length / 2;
      if (rescaled || s.generation !== p.generation) {
        s.keptPath = pathCommands(p.kept, 0, mapX, mapY);
        s.generation = p.generation;
      } else if (kept > s.keptDrawn) {
        s.keptPath += pathCommands(p.kept, s.keptDrawn, mapX, mapY);
      }
      s.keptDrawn = kept;
      const cx = mapX(p.lastX).toFixed(1);
      const cy = mapY(p.lastY).toFixed(1);
      const d = p.lastIsExtra ? `${s.keptPath}L${cx},${cy}` : s.keptPath;
      if (d === s.d) continue;
      s.d = d;
      s.path.setAttribute('d', d);
      s.dot.setAttribute('cx', cx);
      s.dot.setAttribute('cy', cy);
      if (!s.path.isConnected) this.layer.append(s.path, s.dot);
    }
  }

  private drawAxes(xs: AxisScale, ys: AxisScale): void {
    const { spec } = this;
    const g = this.axes;
    g.replaceChildren();
    for (const t of ys.ticks) {
      const y = plotY(ys, toAxis(t, ys.log));
      g.append(el('line', { x1: M.left, x2: W - M.right, y1: y, y2: y, class: 'grid' }));
      g.append(el('text', { x: M.left - 6, y: y + 4, class: 'tick', 'text-anchor': 'end' }, spec.y.format(t)));
    }
    for (const t of xs.ticks) {
      const x = plotX(xs, toAxis(t, xs.log));
      g.append(el('line', { x1: x, x2: x, y1: H - M.bottom, y2: H - M.bottom + 4, class: 'axis' }));
      g.append(el('text', { x, y: H - M.bottom + 16, class: 'tick', 'text-anchor': 'middle' }, spec.x.format(t)));
    }
    g.append(el('line', { x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom, class: 'axis' }));
    g.append(el('text', { x: (M.left + W - M.right) / 2, y: H - 6, class: 'axis-title', 'text-anchor': 'middle' }, spec.x.title));
    g.append(el('text', { x: 14, y: (M.top + H - M.bottom) / 2, class: 'axis-title', 'text-anchor': 'middle', transform: `rotate(-90 14 ${(M.top + H - M.bottom) / 2})` }, spec.y.title));
  }
}

/** Axis tick labels. */
export const fmt = {
  int: (v: number): string => (Math.abs(v) >= 1000 ? formatTick(v) : String(Math.round(v))),
  percent: (v: number): string => formatPercent(v, 0),
  si: formatTick,
  exp: (v: number): string => v.toExponential(0),
};
