/** `complete`: every node exchanges with every other node (the matrix is J/n: consensus in one round). */
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

export function createComplete(n: number, spec = 'complete'): Topology {
  checkDevices(n, spec);
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase,
    Array.from({ length: n }, (_, i) => {
      const peers: number[] = [];
      for (let j = 0; j < n; j++) if (j !== i) peers.push(j);
      return peers;
    })), false);
}
