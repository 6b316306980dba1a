/**
 * Device ranges for the hosts of a run: contiguous (a host's arena holds one block of rows), of
 * near-equal size (every device does the same work per round), and graph-aware: each cut between
 * two hosts moves within a small window around the equal split to where the fewest edges of the
 * topology's schedule cross it (fewer messages on the bus); among equal cuts a multiple of
 * REDUCE_BLOCK wins (no reduction block shared by two hosts), then the one nearest the equal split.
 */
import { ConfigError } from '../../errors.js';
import type { Topology } from '../../graph/types.js';
import { REDUCE_BLOCK } from '../../engine/layout.js';
import type { DeviceRange } from '../../engine/protocol.js';

/** Rounds of a schedule looked at (its period, at most this many). */
const MAX_ROUNDS = 64;
/** A cut moves at most n / (WINDOW * hosts) devices away from the equal split. */
const WINDOW = 8;

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
  for (let k = 1; k < hosts; k++) {
    const ideal = Math.round((n * k) / hosts);
    const lo = Math.max(cuts[k - 1]! + 1, ideal - window);
    const hi = Math.min(n - (hosts - k), ideal + window);
    let best = Math.max(lo, Math.min(hi, ideal));
    const score = (c: number): [number, number, number] => [cross ? cross[c]! : 0, c % REDUCE_BLOCK === 0 ? 0 : 1, Math.abs(c - ideal)];
    for (let c = lo; c <= hi; c++) {
      const a = score(c);
      const b = score(best);
      if (a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])))) best = c;
    }
    cuts.push(best);
  }
  cuts.push(n);
  return cuts.slice(0, hosts).map((from, k) => ({ from, to: cuts[k + 1]! }));
}
