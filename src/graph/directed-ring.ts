/** `directed-ring`: node i sends to i+1 only (every round's matrix is (I + shift) / 2). */
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

export function createDirectedRing(n: number, spec = 'directed-ring'): Topology {
  checkDevices(n, spec);
  // `directed` is derived: with n = 2 the two edges are each other's reverse.
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase,
    Array.from({ length: n }, (_, i) => [(i + 1) % n])));
}
