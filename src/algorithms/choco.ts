/**
 * CHOCO-SGD (Koloskova et al. 2019) on an undirected, static graph with a symmetric, doubly
 * stochastic W: compressed differences against public copies x̂ (reference: docs/algorithms.md#choco):
 *   local: x_i -= lr u_i(grad F_i(x_i))
 *   send:  q_i = C(x_i - x̂_i) ; x̂_j += q_j for j in N_i ∪ {i}
 *   mix:   x_i += gamma sum_j W_ij (x̂_j - x̂_i)
 * Each device would need its neighbours' x̂_j; since x̂_j is the sum of all of j's past messages
 * and W is static and symmetric, device i keeps instead the aggregate ŝ_i = sum_j W_ij x̂_j
 * (j in N_i ∪ {i}), updated from in-messages: ŝ_i += W_ii q_i + sum_{j in N_i} W_ij q_j. Because the
 * rows of W sum to 1, sum_j W_ij (x̂_j - x̂_i) = ŝ_i - x̂_i, so
 *   send: q_i = C(x_i - x̂_i) ; x̂_i += q_i ; ŝ_i += W_ii q_i ; post q_i
 *   mix:  ŝ_i += sum_{j in N_i} W_ij q_j ; x_i += gamma (ŝ_i - x̂_i)
 * (2 extra d-vectors per device instead of deg_i + 1 copies.)
 * W is the Metropolis-Hastings matrix of the static graph, W_ij = 1 / (1 + max(deg_i, deg_j)) for
 * neighbours and W_ii = 1 - sum_j W_ij (as dpsgd; it is 1/(deg+1) on regular graphs).
 *
 * Sum conservation: sum_i (ŝ_i - x̂_i) = sum_j x̂_j (sum_i W_ij) - sum_j x̂_j = 0 because W's columns
 * sum to 1 (W symmetric), so sum_i x_i changes only by the local steps.
 *
 * The aggregate is exact only while every neighbour sees every q_i. So directed graphs and
 * time-varying schedules (period > 1) are refused (ConfigError naming `topology`), and under
 * offline faults a device with an offline neighbour sends nothing that round (its x̂_i stays, so
 * all aggregates stay exact). An offline device misses its side gamma (ŝ_i - x̂_i) of the pairwise
 * terms its neighbours keep applying; both x̂_i and its neighbours' x̂_j are frozen meanwhile (nobody
 * next to it sends), so on its return it applies gamma m (ŝ_i - x̂_i) for the m missed rounds in its
 * send hook (the last mixed round is kept in the 1-element vector `mixed`). The sum of x is
 * conserved again once every device has been online since its last offline round.
 * A dropped link (decided by the receiver) leaves the receiver's ŝ off by W_ij q_j for good,
 * breaking exact conservation: runs stay deterministic, not exact.
 * Unbiased compressors (qsgd, randk:scaled) are damped into contractions as in sparse-push.ts
 * (messageRule: C = Q / (1 + omega), Koloskova et al.'s rescaling).
 * No push-sum weight: w_i stays 1 and the de-biased model is x_i.
 * Koloskova et al. start x̂ at 0; here x̂_i and ŝ_i start at the initial model x(0) every device
 * starts from (the same iteration when x(0) = 0, as for logistic; see sparse-push.ts for why).
 */
import { ConfigError } from '../errors.js';
import type { Topology } from '../graph/types.js';
import type { Algorithm, AlgorithmSetup, DeviceContext } from './types.js';
import { localStepsOnX } from './common.js';
import { MIXED_NAME, compressOptions, messageScale, mixedStamp, validateCompressor, validateGamma } from './compressed-gossip.js';

const COPY = 'xhat';
const AGGREGATE = 'shat';

/** Degrees of a static undirected topology (cache: same in every worker). */
const degreeCache = new WeakMap<Topology, Int32Array>();
function degrees(topology: Topology): Int32Array {
  let deg = degreeCache.get(topology);
  if (!deg) {
    const g = topology.round(0);
    deg = Int32Array.from(g.outPeers, (peers) => peers.length);
    degreeCache.set(topology, deg);
  }
  return deg;
}

function mhWeight(deg: Int32Array, i: number, j: number): number {
  return 1 / (1 + Math.max(deg[i]!, deg[j]!));
}

/** W_ii = 1 - sum over static neighbours of W_ij. */
function selfWeight(topology: Topology, i: number): number {
  const deg = degrees(topology);
  let off = 0;
  for (const j of topology.round(0).outPeers[i]!) off += mhWeight(deg, i, j);
  return 1 - off;
}

function sends(dev: DeviceContext): boolean {
  const deg = degrees(dev.setup.topology)[dev.device]!;
  return deg > 0 && dev.outPeers.length === deg;
}

export function createChoco(): Algorithm {
  const name = 'choco';
  return {
    name,
    kind: 'decentralized',
    sendsWeight: false,
    scratchVectors: 2,
    needsUndirected: true,
    validate(setup: AlgorithmSetup): void {
      const { topology } = setup;
      if (topology.directed) {
        throw new ConfigError('topology', `choco needs an undirected graph (symmetric W), got directed '${topology.spec}'; use ring, torus, complete, star, random-regular:k or an undirected edge list (or sparse-push for directed graphs)`);
      }
      if (topology.period !== 1) {
        throw new ConfigError('topology', `choco needs a static graph (its aggregates of neighbours' public copies assume a fixed W), got '${topology.spec}' with period ${topology.period}; use a static topology (or sparse-push for time-varying ones)`);
      }
      validateGamma(setup, name);
      validateCompressor(setup, name);
    },
    // x̂_i and ŝ_i start at the common initial model x(0) (ŝ_i = sum_j W_ij x(0) = x(0)), as in
    // sparse-push.ts: with x̂ = 0 the first messages would carry x(0) rather than progress.
    deviceVectors: () => [{ name: COPY, init: 'x' }, { name: AGGREGATE, init: 'x' }, { name: MIXED_NAME, length: 1 }],
    serverVectors: () => [],
    compressorSpec: (setup: AlgorithmSetup) => setup.config.compressor,
    local: (dev: DeviceContext) => localStepsOnX(dev),
    send(dev: DeviceContext): void {
      const missed = dev.round - mixedStamp(dev)[0]!;
      if (missed > 0) {
        const diff = dev.scratch(0);
        dev.kernels.sub(dev.d, dev.vector(AGGREGATE).ptr, dev.vector(COPY).ptr, diff.ptr);
        dev.kernels.axpy(dev.d, dev.config.algorithm.gamma * missed, diff.ptr, dev.x.ptr);
      }
      if (!sends(dev)) return;
      const k = dev.kernels;
      const d = dev.d;
      const copy = dev.vector(COPY);
      const diff = dev.scratch(0);
      k.sub(d, dev.x.ptr, copy.ptr, diff.ptr);
      const out = dev.outbox();
      const bytes = dev.compressor.compressInto(diff.view, out, compressOptions(dev));
      const q = out.subarray(0, bytes);
      const c = messageScale(dev);
      dev.compressor.accumulate(q, d, c, copy.view);
      dev.compressor.accumulate(q, d, c * selfWeight(dev.setup.topology, dev.device), dev.vector(AGGREGATE).view);
      dev.post(bytes);
    },
    mix(dev: DeviceContext): void {
      const k = dev.kernels;
      const d = dev.d;
      const deg = degrees(dev.setup.topology);
      const agg = dev.vector(AGGREGATE);
      const c = messageScale(dev);
      for (const msg of dev.inbox()) {
        dev.compressor.accumulate(msg.bytes, d, c * mhWeight(deg, dev.device, msg.from), agg.view);
      }
      const diff = dev.scratch(0);
      k.sub(d, agg.ptr, dev.vector(COPY).ptr, diff.ptr);
      k.axpy(d, dev.config.algorithm.gamma, diff.ptr, dev.x.ptr);
      mixedStamp(dev)[0] = dev.round + 1;
    },
  };
}
