/**
 * `random-regular:k`: a uniformly-ish random undirected k-regular graph, sampled once from the
 * seed and conditioned on being connected.
 *
 * - k = 2: a connected 2-regular graph is a Hamiltonian cycle, sampled exactly as a random cyclic order.
 * - k > (n-1)/2: the complement of a random (n-1-k)-regular graph (dense pairing would stall;
 *   min degree >= n/2 also guarantees connectivity).
 * - otherwise: random stub pairing (configuration model), keeping only pairs that are neither
 *   loops nor repeated edges, reshuffling the leftover stubs until done and restarting when no
 *   valid pair is left. Disconnected samples are redrawn; attempt a uses the graph stream of
 *   (seed, device 0, round a).
 */
import { GraphError } from '../errors.js';
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';
import { GraphStream } from './random.js';
import { shuffle, type IntSource } from '../kernels/rng.js';

const ints = (stream: GraphStream): IntSource => ({ nextInt: (m) => stream.below(m) });

const MAX_ATTEMPTS = 1000;

function randomCycle(n: number, stream: GraphStream): Set<number>[] {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffle(order, ints(stream));
  const adjacency = Array.from({ length: n }, () => new Set<number>());
  for (let i = 0; i < n; i++) {
    const a = order[i]!;
    const b = order[(i + 1) % n]!;
    adjacency[a]!.add(b);
    adjacency[b]!.add(a);
  }
  return adjacency;
}

/** One pairing attempt; undefined when it got stuck (leftover stubs admit no valid pair). */
function pairStubs(n: number, k: number, stream: GraphStream): Set<number>[] | undefined {
  const adjacency = Array.from({ length: n }, () => new Set<number>());
  let stubs = new Int32Array(n * k);
  for (let s = 0; s < n * k; s++) stubs[s] = Math.floor(s / k);
  let remaining = stubs.length;
  while (remaining > 0) {
    shuffle(stubs, ints(stream), remaining);
    const leftover: number[] = [];
    for (let s = 0; s + 1 < remaining; s += 2) {
      const a = stubs[s]!;
      const b = stubs[s + 1]!;
      if (a !== b && !adjacency[a]!.has(b)) {
        adjacency[a]!.add(b);
        adjacency[b]!.add(a);
      } else {
        leftover.push(a, b);
      }
    }
    if (leftover.length === 0) return adjacency;
    const nodes = [...new Set(leftover)];
    let pairable = false;
    for (let x = 0; x < nodes.length && !pairable; x++) {
      for (let y = x + 1; y < nodes.length && !pairable; y++) pairable = !adjacency[nodes[x]!]!.has(nodes[y]!);
    }
    if (!pairable) return undefined;
    stubs = Int32Array.from(leftover);
    remaining = leftover.length;
  }
  return adjacency;
}

function isConnected(adjacency: Set<number>[]): boolean {
  const seen = new Uint8Array(adjacency.length);
  const stack = [0];
  seen[0] = 1;
  let count = 1;
  while (stack.length > 0) {
    for (const j of adjacency[stack.pop()!]!) {
      if (!seen[j]) { seen[j] = 1; count++; stack.push(j); }
    }
  }
  return count === adjacency.length;
}

/** A connected undirected k-regular graph on n nodes as adjacency sets (deterministic in seed). */
export function sampleRegularGraph(n: number, k: number, seed: number, spec = `random-regular:${k}`): Set<number>[] {
  if (!Number.isSafeInteger(k) || k < 1) throw new GraphError(`topology '${spec}': degree k must be an integer >= 1, got ${k}`);
  if (k > n - 1) throw new GraphError(`topology '${spec}': degree k = ${k} needs devices > ${k}, got devices = ${n}`);
  if ((n * k) % 2 !== 0) throw new GraphError(`topology '${spec}': a k-regular graph needs devices * k even, got devices = ${n}, k = ${k}`);
  if (k === 1 && n > 2) throw new GraphError(`topology '${spec}': a 1-regular graph is a perfect matching, disconnected for devices = ${n} > 2`);
  const complement = k > (n - 1) / 2;
  const degree = complement ? n - 1 - k : k;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stream = new GraphStream(seed, 0, attempt);
    let adjacency: Set<number>[] | undefined;
    if (degree === 0) adjacency = Array.from({ length: n }, () => new Set<number>());
    else if (degree === 2 && !complement) adjacency = randomCycle(n, stream);
    else adjacency = pairStubs(n, degree, stream);
    if (adjacency === undefined) continue;
    if (complement) {
      adjacency = adjacency.map((peers, i) => {
        const rest = new Set<number>();
        for (let j = 0; j < n; j++) if (j !== i && !peers.has(j)) rest.add(j);
        return rest;
      });
    }
    if (isConnected(adjacency)) return adjacency;
  }
  throw new GraphError(`topology '${spec}': no connected ${k}-regular graph on devices = ${n} found in ${MAX_ATTEMPTS} attempts (seed ${seed})`);
}

export function createRandomRegular(n: number, k: number, seed: number, spec = `random-regular:${k}`): Topology {
  checkDevices(n, spec);
  const adjacency = sampleRegularGraph(n, k, seed, spec);
  return new PeriodicTopology(spec, n, 1, (phase) => roundGraphFromOutPeers(spec, phase, adjacency.map((peers) => [...peers])), false);
}
