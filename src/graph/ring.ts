/** `ring`: undirected cycle, node i exchanges with i-1 and i+1 (a single edge when n = 2). */
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

export function createRing(n: number, spec = 'ring'): Topology {
  checkDevices(n, spec);
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase,
    Array.from({ length: n }, (_, i) => [...new Set([(i + 1) % n, (i - 1 + n) % n])])), false);
}
