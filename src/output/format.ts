/**
 * Numbers for people, one style per kind of quantity, shared by the CLI, the HTML report, the
 * results tables (bench/repro) and the browser page, so a figure reads the same everywhere.
 * Portable: no Node APIs.
 */

/** What the formatters print for a missing or non-finite value (unless told otherwise). */
export const MISSING = '–';

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** A fraction as a percentage: 0.8312 -> "83.12%" (`digits` after the point). */
export function formatPercent(x: unknown, digits = 2, missing = MISSING): string {
  return finite(x) ? `${(100 * x).toFixed(digits)}%` : missing;
}

const PREFIXES: ReadonlyArray<readonly [number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k'], [1, ''], [1e-3, 'm'], [1e-6, 'µ'], [1e-9, 'n']];

/** A ratio such as a compression factor: 247.3 -> "247x", 31.25 -> "31.3x", 1.5 -> "1.50x". */
export function formatRatio(x: unknown, missing = MISSING): string {
  if (!finite(x)) return missing;
  return `${x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)}x`;
}

/** A quantity with a decimal prefix and three significant digits: (12345, 'J') -> "12.3 kJ"; 0 -> "0 J". */
export function formatSi(v: unknown, unit = '', missing = MISSING): string {
  if (!finite(v)) return missing;
  const abs = Math.abs(v);
  if (abs === 0) return `0 ${unit}`.trim();
  for (const [scale, prefix] of PREFIXES) {
    if (abs < scale) continue;
    const q = v / scale; // at least 1000 only past the largest prefix, where toPrecision would switch to an exponent
    return `${Math.abs(q) >= 1000 ? q.toFixed(0) : q.toPrecision(3)} ${prefix}${unit}`.trim();
  }
  return `${v.toExponential(2)} ${unit}`.trim();
}

/** An axis tick: a decimal prefix, no unit, no trailing zeros: 2.5e6 -> "2.5M", 1e9 -> "1G", 42 -> "42". */
export function formatTick(v: number): string {
  for (const [scale, prefix] of PREFIXES.slice(0, 4)) if (Math.abs(v) >= scale) return `${Number((v / scale).toPrecision(3))}${prefix}`;
  return String(Number(v.toPrecision(3)));
}

/** A bit count: whole bits below 1,000, then formatSi: 999 -> "999 bit", 2.49e6 -> "2.49 Mbit". */
export function formatBits(bits: unknown, missing = MISSING): string {
  if (!finite(bits)) return missing;
  return Math.abs(bits) < 1e3 ? `${Math.round(bits)} bit` : formatSi(bits, 'bit');
}

/** Byte counts in powers of 1024: `512 bytes`, `4.00 KiB`, `1.50 GiB`, `200.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[u]}`;
}

/**
 * A length of time in seconds: three significant digits below 10 s ("0.0123 s", "7.5 s"), whole
 * seconds below 90 s ("42 s"), then minutes ("3.1 min") and hours ("2.50 h").
 */
export function formatDuration(seconds: unknown, missing = MISSING): string {
  if (!finite(seconds)) return missing;
  if (seconds < 10) return `${Number(seconds.toPrecision(3))} s`;
  if (seconds < 90) return `${seconds.toFixed(0)} s`;
  if (seconds < 5400) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(2)} h`;
}

/** Elapsed or remaining time on a clock face: 75 -> "1:15", 3725 -> "1:02:05"; "--:--" when unknown. */
export function formatClock(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
