/**
 * `exponential:p`: the time-varying directed exponential graph of Stochastic Gradient Push
 * (Assran et al. 2019; facebookresearch/stochastic_gradient_push, NPeerDynamicDirectedExponentialGraph).
 *
 * Node r's phone book is (r + j (p+1)^e) mod n for e = 0..floor(log_{p+1}(n-1)) (outer) and
 * j = 1..p (inner), duplicates dropped, first occurrence kept. The offsets are the same for every
 * node. In round t node r sends to phone_book[(g + t p) mod L], g = 0..p-1 (L = phone book length),
 * so every round is p-regular in and out, hence doubly stochastic.
 *
 * Differences from SGP's Python: (1) floor(log) is computed with integers; SGP's
 * int(math.log(n-1, p+1)) loses the top exponent when n-1 is an exact power whose float log rounds
 * down (e.g. n = 244, p = 2: math.log(243, 3) = 4.999...). (2) An offset that is a multiple of n
 * would make a node its own peer (SGP keeps it, e.g. n = 6, p = 2 lists +6 = self); it is dropped
 * here like a duplicate, since a node always keeps its own share anyway. (3) p must be <= n-1.
 * (4) The period reported is the least one, L / gcd(L, p) (L itself is also a period).
 */
import { GraphError } from '../errors.js';
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

/** The phone-book offsets (peer = (r + offset) mod n), in phone-book order. */
export function exponentialOffsets(n: number, p: number): number[] {
  const base = p + 1;
  const offsets: number[] = [];
  const seen = new Set<number>([0]);
  for (let power = 1; power <= n - 1; power *= base) {
    for (let j = 1; j <= p; j++) {
      const offset = (j * power) % n;
      if (!seen.has(offset)) {
        seen.add(offset);
        offsets.push(offset);
      }
    }
  }
  return offsets;
}

/** Rounds after which the schedule of exponential:p on n nodes repeats (it takes the offsets p at a time). */
export function exponentialPeriod(n: number, p: number): number {
  const L = exponentialOffsets(n, p).length;
  return L / gcd(L, p);
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function createExponential(n: number, p: number, spec = `exponential:${p}`): Topology {
  checkDevices(n, spec);
  if (!Number.isSafeInteger(p) || p < 1) throw new GraphError(`topology '${spec}': peers per round p must be an integer >= 1, got ${p}`);
  if (p > n - 1) throw new GraphError(`topology '${spec}' sends to ${p} peers per round but devices = ${n} leaves only ${n - 1}`);
  const offsets = exponentialOffsets(n, p);
  const L = offsets.length;
  const period = exponentialPeriod(n, p);
  return new PeriodicTopology(spec, n, period, (phase) => {
    const roundOffsets: number[] = [];
    for (let g = 0; g < p; g++) roundOffsets.push(offsets[(g + phase * p) % L]!);
    return roundGraphFromOutPeers(spec, phase, Array.from({ length: n }, (_, r) => roundOffsets.map((o) => (r + o) % n)));
  });
}
