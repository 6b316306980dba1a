/**
 * Run progress: on a terminal, one line redrawn in place (bar, round/rounds, accuracy, bits, ETA);
 * otherwise one plain line per evaluation (logs, CI); nothing with --quiet. The set-up before
 * round 0 (dataset conversion, data generation, the arena fill) likewise: a bar per stage, left
 * on screen with its time when the stage ends; off a terminal a line when a stage starts and one
 * when it ends.
 */
import type { MetricsRecord } from '../metrics/records.js';
import { formatBits, formatClock, formatDuration, formatPercent } from '../output/format.js';
import type { SetupProgress } from '../setup-progress.js';
import type { ProgressEvent } from './engine.js';

export interface ProgressOptions {
  write: (text: string) => void;
  tty: boolean;
  quiet: boolean;
  columns?: number;
  /** Prefix for each line, e.g. the run name in the demo. */
  label?: string;
  /** Milliseconds clock (tests pass a fake one). */
  now?: () => number;
}

export interface Progress {
  update(ev: ProgressEvent): void;
  /** A set-up stage's progress (before round 0). */
  setup(p: SetupProgress): void;
  /** Ends the in-place line (call before printing anything else). */
  done(): void;
}

/** Minimum time between redraws of the in-place line. */
const REDRAW_MS = 100;

function finite(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** "acc 71.30%  loss 0.812  bits 1.2 Gbit" from whatever metrics are present. */
export function metricsText(m: MetricsRecord | undefined): string {
  if (!m) return '';
  const parts: string[] = [];
  if (finite(m.accuracy)) parts.push(`acc ${formatPercent(m.accuracy)}`);
  if (finite(m.loss)) parts.push(`loss ${m.loss.toFixed(3)}`);
  if (finite(m.bitsSent)) parts.push(`bits ${formatBits(m.bitsSent)}`);
  if (finite(m.simTimeS)) parts.push(`sim ${formatDuration(m.simTimeS)}`);
  return parts.join('  ');
}

export function createProgress(opts: ProgressOptions): Progress {
  if (opts.quiet) return { update() {}, setup() {}, done() {} };
  const now = opts.now ?? (() => Date.now());
  const prefix = opts.label ? `${opts.label}  ` : '';
  let start: { t: number; round: number } | null = null;
  let last: MetricsRecord | undefined;
  let lastDraw = -Infinity;
  let drawn = false;
  let stage: { name: string; t: number } | null = null;
  const columns = (): number => (opts.columns && opts.columns > 20 ? opts.columns : 100);
  const bar = (done: number, total: number): string => {
    const width = Math.max(10, Math.min(30, columns() - 72)); // fixed per terminal, so the line does not jitter
    const filled = Math.round((width * done) / Math.max(1, total));
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  };

  const eta = (ev: ProgressEvent): string => {
    if (!start || ev.round <= start.round) return '--:--';
    const perRound = (now() - start.t) / 1000 / (ev.round - start.round);
    return formatClock(perRound * (ev.rounds - ev.round));
  };

  return {
    update(ev) {
      start ??= { t: now(), round: ev.round };
      if (ev.metrics) last = ev.metrics;
      if (!opts.tty) {
        if (ev.metrics) {
          const elapsed = formatClock((now() - start.t) / 1000);
          opts.write(`${prefix}round ${ev.round}/${ev.rounds}  ${metricsText(ev.metrics)}  elapsed ${elapsed}  eta ${eta(ev)}\n`);
        }
        return;
      }
      const t = now();
      if (!ev.metrics && ev.round !== ev.rounds && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const stats = `${prefix}${String(ev.round).padStart(String(ev.rounds).length)}/${ev.rounds}  ${metricsText(last)}  ETA ${eta(ev)}`;
      opts.write(`\r\x1b[2K${`${bar(ev.round, ev.rounds)} ${stats}`.slice(0, columns() - 1)}`);
      drawn = true;
    },
    setup(p) {
      const t = now();
      const fresh = stage?.name !== p.stage;
      if (fresh) stage = { name: p.stage, t };
      const finished = p.done >= p.total;
      const seconds = ((t - stage!.t) / 1000).toFixed(1);
      if (!opts.tty) {
        if (fresh) opts.write(`${prefix}${p.stage}: ${p.total} ${p.unit}\n`);
        if (finished) {
          opts.write(`${prefix}${p.stage}: done in ${seconds} s\n`);
          stage = null;
        }
        return;
      }
      if (!fresh && !finished && t - lastDraw < REDRAW_MS) return;
      lastDraw = t;
      const text = finished ? `${p.total} ${p.unit} in ${seconds} s` : `${p.done}/${p.total} ${p.unit}`;
      opts.write(`\r\x1b[2K${`${bar(p.done, p.total)} ${prefix}${p.stage}  ${text}`.slice(0, columns() - 1)}${finished ? '\n' : ''}`);
      drawn = !finished;
      if (finished) stage = null;
    },
    done() {
      if (drawn) opts.write('\n');
      drawn = false;
    },
  };
}
