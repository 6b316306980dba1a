/** `star`: node 0 is the server, exchanging with every worker; workers talk only to the server. */
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

export const STAR_SERVER = 0;

export function createStar(n: number, spec = 'star'): Topology {
  checkDevices(n, spec);
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase,
    Array.from({ length: n }, (_, i) => {
      if (i !== STAR_SERVER) return [STAR_SERVER];
      const workers: number[] = [];
      for (let j = 0; j < n; j++) if (j !== STAR_SERVER) workers.push(j);
      return workers;
    })), false);
}
