/**
 * Device ranges for the hosts of a run: contiguous (a host's arena holds one block of rows), of
 * near-equal size (every device does the same work per round, and the slowest host sets the
 * pace), and graph-aware: a cut between two hosts moves away from the equal split, within a small
 * window, only to where at least MIN_GAIN fewer edges of the topology's schedule cross it (fewer
 * messages on the bus, e.g. between two clusters); a few percent fewer messages are not worth
 * hosts of unequal size (on exponential graphs most edges cross any cut). A cut then moves by at
 * most 1% of a range to a multiple of REDUCE_BLOCK when as few edges cross there (no reduction
 * block shared by two hosts).
 */
import { ConfigError } from '../../errors.js';
import type { Topology } from '../../graph/types.js';
import { REDUCE_BLOCK } from '../../engine/layout.js';
import type { DeviceRange } from '../../engine/protocol.js';

/** Rounds of a schedule looked at (its period, at most this many). */
const MAX_ROUNDS = 64;
/** A cut moves at most n / (WINDOW * hosts) devices away from the equal split. */
const WINDOW = 8;
/** ... and only for at least this fraction fewer crossing edges than the equal split. */
const MIN_GAIN = 0.25;

/** Number of schedule edges (over the period's rounds) that cross each cut c (between devices c - 1 and c). */
export function crossingCounts(topology: Topology): Float64Array {
  const n = topology.n;
  const diff = new Float64Array(n + 2);
  const rounds = Number.isFinite(topology.period) ? Math.min(topology.period, MAX_ROUNDS) : MAX_ROUNDS;
  for (let t = 0; t < rounds; t++) {
    const out = topology.round(t).outPeers;
    for (let j = 0; j < n; j++) {
      for (const p of out[j]!) {
        if (p === j) continue;
        const lo = Math.min(j, p);
        const hi = Math.max(j, p);
        diff[lo + 1]! += 1;
        diff[hi + 1]! -= 1;
      }
    }
  }
  const cross = new Float64Array(n + 1);
  let run = 0;
  for (let c = 0; c <= n; c++) { run += diff[c]!; cross[c] = run; }
  return cross;
}

/** Ranges of `hosts` hosts over n devices (see the file comment). */
export function hostRanges(n: number, hosts: number, topology: Topology | null): DeviceRange[] {
  if (!Number.isInteger(hosts) || hosts < 1) throw new ConfigError('hosts', `expected a positive integer, got ${hosts}`);
  if (hosts > n) throw new ConfigError('hosts', `${hosts} hosts for ${n} devices: each host needs at least one device`);
  const cross = topology ? crossingCounts(topology) : null;
  const window = Math.floor(n / (WINDOW * hosts));
  const cuts: number[] = [0];
  const crossed = (c: number): number => (cross ? cross[c]! : 0);
  for (let k = 1; k < hosts; k++) {
    const lo = cuts[k - 1]! + 1;
    const hi = n - (hosts - k);
    const ideal = Math.max(lo, Math.min(hi, Math.round((n * k) / hosts)));
    let best = ideal;
    for (let c = Math.max(lo, ideal - window); c <= Math.min(hi, ideal + window); c++) {
      if (crossed(c) < crossed(best) || (crossed(c) === crossed(best) && Math.abs(c - ideal) < Math.abs(best - ideal))) best = c;
    }
    if (crossed(best) > (1 - MIN_GAIN) * crossed(ideal)) best = ideal;
    const nudge = Math.floor(n / (100 * hosts));
    const chosen = best;
    for (let c = Math.max(lo, chosen - nudge); c <= Math.min(hi, chosen + nudge); c++) {
      if (c % REDUCE_BLOCK === 0 && crossed(c) <= crossed(chosen) && (best % REDUCE_BLOCK !== 0 || Math.abs(c - chosen) < Math.abs(best - chosen))) best = c;
    }
    cuts.push(best);
  }
  cuts.push(n);
  return cuts.slice(0, hosts).map((from, k) => ({ from, to: cuts[k + 1]! }));
}
