/**
 * The AlgorithmSetup of a run, built the same way by the main thread (plan.ts) and by every worker
 * (worker/runtime.ts), so all of them hand the algorithm identical values.
 *
 * Portable: no Node built-ins.
 */
import type { AlgorithmSetup } from '../algorithms/types.js';
import type { RunConfig } from '../config/types.js';
import { RunError } from '../errors.js';
import type { Topology } from '../graph/types.js';

/** Data fractions p_i = |D_i| / sum |D_j| from the shard offsets (shard i = [shardOff[i], shardOff[i+1])). */
export function dataFractions(shardOff: Uint32Array, n: number): Float64Array {
  const total = shardOff[n]! - shardOff[0]!;
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) p[i] = (shardOff[i + 1]! - shardOff[i]!) / total;
  return p;
}

/**
 * The setup of an algorithm over n devices; `topology` null for server algorithms, which get a
 * stand-in: they run on a star whose hub (the server, node n) is outside the device set, so there
 * is no device graph to read, and reading it is an error.
 */
export function algorithmSetup(config: RunConfig, d: number, n: number, topology: Topology | null, shardOff: Uint32Array): AlgorithmSetup {
  return { config, d, n, dataFractions: dataFractions(shardOff, n), topology: topology ?? serverStandIn(n) };
}

/** The stand-in device graph of server algorithms (see algorithmSetup). */
export function serverStandIn(n: number): Topology {
  return { spec: 'star', n, directed: true, period: 1, round: () => { throw new RunError('server algorithms have no device graph'); } };
}
