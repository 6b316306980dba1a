/**
 * What the live charts draw, without the DOM: axis scales with nice ticks, and each series as a
 * bounded polyline that only grows. A run can produce hundreds of metrics lines per second for
 * hours, so a series keeps at most MAX_KEPT_POINTS of them (every stride-th, stride doubling when
 * full; the latest point is always drawn), and its path grows by appending between rescales.
 */

/** Points kept per series (a chart is ~400 px wide: more would not show). */
export const MAX_KEPT_POINTS = 600;

/** A chart's size (SVG user units) and the margins around its plot area. */
export const PLOT = { width: 460, height: 250, left: 58, right: 14, top: 30, bottom: 40 } as const;

export interface AxisScale {
  /** The domain in axis units (log10 of the value on a log axis). */
  readonly lo: number;
  readonly hi: number;
  readonly log: boolean;
  /** Tick values (data units). */
  readonly ticks: readonly number[];
}

/** An axis unit from a data value: log10 on a log axis; NaN when the value cannot be drawn. */
export function toAxis(v: number, log: boolean): number {
  if (!Number.isFinite(v) || (log && v <= 0)) return Number.NaN;
  return log ? Math.log10(v) : v;
}

function niceStep(span: number, count: number): number {
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  return (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
}

/**
 * The scale covering [min, max] (axis units; min > max: no data): whole decades on a log axis,
 * about five nice steps on a linear one.
 */
export function niceScale(min: number, max: number, log: boolean): AxisScale {
  const empty = !(min <= max);
  if (log) {
    let lo = empty ? 0 : Math.floor(min);
    let hi = empty ? 1 : Math.ceil(max);
    if (hi === lo) { lo -= 1; hi += 1; }
    const every = Math.max(1, Math.ceil((hi - lo) / 6));
    const ticks: number[] = [];
    for (let e = lo; e <= hi; e += every) ticks.push(Number(`1e${e}`)); // exact: 10 ** -4 is 9.999...e-5
    return { lo, hi, log, ticks };
  }
  let lo = empty ? 0 : min;
  let hi = empty ? 1 : max;
  if (hi === lo) { lo -= 0.5; hi += 0.5; }
  const step = niceStep(hi - lo, 5);
  lo = Math.floor(lo / step) * step;
  hi = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let t = lo; t <= hi + step / 2; t += step) ticks.push(Number(t.toPrecision(12)));
  return { lo, hi, log, ticks };
}

export function sameScale(a: AxisScale | null, b: AxisScale): boolean {
  return a !== null && a.lo === b.lo && a.hi === b.hi && a.log === b.log;
}

/** Maps axis units of `s` onto [from, to] pixels. */
export function pixel(s: AxisScale, v: number, from: number, to: number): number {
  return from + ((v - s.lo) / (s.hi - s.lo)) * (to - from);
}

/** Horizontal position in the plot area of x (axis units). */
export const plotX = (s: AxisScale, v: number): number => pixel(s, v, PLOT.left, PLOT.width - PLOT.right);
/** Vertical position in the plot area of y (axis units). */
export const plotY = (s: AxisScale, v: number): number => pixel(s, v, PLOT.height - PLOT.bottom, PLOT.top);

/**
 * One series of a chart, fed point by point (axis units; NaN coordinates are skipped). Keeps the
 * extent of every point it was given and every stride-th of them for drawing.
 */
export class SeriesPoints {
  /** Points given so far, drawable or not (the caller's cursor into its data). */
  seen = 0;
  /** Drawable points given so far. */
  count = 0;
  stride = 1;
  /** Kept points, x and y interleaved: drawable points number 0, stride, 2 stride, ... */
  readonly kept: number[] = [];
  /** Bumped whenever kept points were dropped (the drawn path must be rebuilt, not appended to). */
  generation = 0;
  minX = Number.POSITIVE_INFINITY;
  maxX = Number.NEGATIVE_INFINITY;
  minY = Number.POSITIVE_INFINITY;
  maxY = Number.NEGATIVE_INFINITY;
  /** The latest drawable point (NaN before the first). */
  lastX = Number.NaN;
  lastY = Number.NaN;

  add(x: number, y: number): void {
    this.seen++;
    if (Number.isNaN(x) || Number.isNaN(y)) return;
    if (x < this.minX) this.minX = x;
    if (x > this.maxX) this.maxX = x;
    if (y < this.minY) this.minY = y;
    if (y > this.maxY) this.maxY = y;
    this.lastX = x;
    this.lastY = y;
    if (this.count % this.stride === 0) {
      this.kept.push(x, y);
      if (this.kept.length > 2 * MAX_KEPT_POINTS) this.thin();
    }
    this.count++;
  }

  /** Doubles the stride: keeps every other kept point (drawable numbers 0, 2 stride, 4 stride, ...). */
  private thin(): void {
    let w = 0;
    for (let r = 0; r < this.kept.length; r += 4) {
      this.kept[w++] = this.kept[r]!;
      this.kept[w++] = this.kept[r + 1]!;
    }
    this.kept.length = w;
    this.stride *= 2;
    this.generation++;
  }

  /** True when the latest drawable point is not a kept one (it is drawn after them). */
  get lastIsExtra(): boolean {
    return this.count > 0 && (this.count - 1) % this.stride !== 0;
  }

  /** The points to draw, x and y interleaved: the kept ones, then the latest. */
  drawn(): number[] {
    return this.lastIsExtra ? [...this.kept, this.lastX, this.lastY] : [...this.kept];
  }
}

/** SVG path commands through `points` (x, y interleaved, pixels), from point `from` on. */
export function pathCommands(points: readonly number[], from: number, mapX: (v: number) => number, mapY: (v: number) => number): string {
  let d = '';
  for (let i = 2 * from; i < points.length; i += 2) d += `${i === 0 ? 'M' : 'L'}${mapX(points[i]!).toFixed(1)},${mapY(points[i + 1]!).toFixed(1)}`;
  return d;
}
