/**
 * `torus` / `torus:RxC`: 2-D wrap-around grid, node id = row * C + col, each node exchanging with
 * its 4 neighbours. Without RxC the shape is the factorization of n closest to square with R, C >= 3.
 */
import { GraphError } from '../errors.js';
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

/** R x C = n with 3 <= R <= C and R as large as possible, or undefined when n has no such factorization. */
export function torusShape(n: number): { rows: number; cols: number } | undefined {
  for (let rows = Math.floor(Math.sqrt(n)); rows >= 3; rows--) {
    if (n % rows === 0 && n / rows >= 3) return { rows, cols: n / rows };
  }
  return undefined;
}

export function createTorus(n: number, shape?: { rows: number; cols: number }, spec = 'torus'): Topology {
  checkDevices(n, spec);
  let rows: number;
  let cols: number;
  if (shape) {
    ({ rows, cols } = shape);
    if (rows * cols !== n) throw new GraphError(`topology '${spec}' has ${rows} x ${cols} = ${rows * cols} nodes but devices = ${n}`);
  } else {
    const found = torusShape(n);
    if (!found) {
      throw new GraphError(`topology '${spec}' needs devices = R x C with R, C >= 3, but devices = ${n} has no such factorization (e.g. 9, 12, 15, 16, ... work; or choose another topology)`);
    }
    ({ rows, cols } = found);
  }
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase,
    Array.from({ length: n }, (_, id) => {
      const r = Math.floor(id / cols);
      const c = id % cols;
      return [
        ((r + rows - 1) % rows) * cols + c,
        ((r + 1) % rows) * cols + c,
        r * cols + (c + cols - 1) % cols,
        r * cols + (c + 1) % cols,
      ];
    })), false);
}
