/**
 * The synchronous parameter-server round shared by ef-sgd, dagc-r and dagc-a; they differ only in
 * the compressor each worker encodes with (reference: docs/algorithms.md#server-algorithms-ef-sgd-dagc-r-dagc-a).
 *
 * Round t, worker i (error-feedback memory e_i in region dev.ef, starts 0), server model x:
 *   train:  g_i = lr (grad F_i(x; batch) + weightDecay x)                            (H = 1)
 *           g_i = x - z_H, z_0 = x, z_{h+1} = z_h - lr (grad F_i(z_h) + weightDecay z_h)  (H > 1)
 *           v_i = e_i + g_i ;  Delta_i = C_i(v_i) ;  e_i = v_i - Delta_i ;  upload Delta_i
 *   server: a = sum_{i in S_t} w_i Delta_i, w_i = p_i (every worker posted) or
 *           p_i / sum_{j in S_t} p_j (S_t = workers that posted this round)
 *           u = a + momentum * u  (server momentum; u = a when momentum = 0) ;  x -= u
 *           broadcast x with the `none` codec (downlink uncompressed)
 *   mix:    every online worker sets its model to the broadcast x.
 *
 * Step size: algorithm.lr, applied by the workers: g_i is the model delta of the worker's local
 * steps (lr times the gradient for H = 1), the error-feedback form of Karimireddy et al. 2019 and of
 * the hard-threshold ("absolute") compressor of Sahu et al. 2021 that DAGC-A builds on
 * (x -= C(lr g + e)). The server applies the aggregate with step 1. So compressors see update-scale
 * vectors: top-k does not care, but a threshold λ is compared with accumulated lr-scaled
 * gradients, so the same λ keeps far fewer coordinates than on raw gradients (the DAGC study's
 * wire ratios: docs/results/dagc/discussion.md). algorithm.gamma (the consensus step of the
 * decentralized algorithms) is not used: a second multiplicative step would be redundant with lr.
 * algorithm.momentum is server momentum over the aggregate (no extra communication; it does not
 * change what is compressed). The paper setting is momentum 0; local steps (H > 1) are plain SGD.
 *
 * Participation (algorithm.participation = c < 1): each round the server samples
 * m = max(1, round(c n)) distinct workers, a partial Fisher-Yates over 0..n-1 drawn from the stream
 * (seed, node n = the server, round, Purpose.participation), so the sample depends only on the seed
 * and the round (not on the pool size). Non-participants take no step, keep e_i and post nothing;
 * the server renormalises p over the workers whose message arrived (participants that were not
 * offline). With c = 1 and no faults the weights are p_i exactly (no renormalisation).
 *
 * The graph: server algorithms always run on a star (every worker uploads to the server, the
 * server broadcasts to every worker); config `topology` is ignored (the engine builds no graph for
 * them), as are faults.linkDrop (uploads and broadcasts are reliable). A worker offline in round t
 * neither uploads nor receives broadcast t, so it computes its next gradient at its stale model.
 *
 * Bits: uplink = the engine's bitsSent (encoded bytes of each upload, one edge to the server);
 * downlink = the engine's bitsDown (each online worker receives the full `none` broadcast).
 */
import { parseCompressorSpec } from '../compress/spec.js';
import type { CompressorSpec } from '../compress/types.js';
import { ConfigError, RunError, SpecError } from '../errors.js';
import { Purpose, RandomStream, rngKey } from '../kernels/rng.js';
import type { Algorithm, AlgorithmSetup, DeviceContext, ServerContext } from './types.js';
import { lrAt } from './lr-schedule.js';

/** Error-feedback memory e_i (per device). */
export const EF_VECTOR = 'ef';
/** Server momentum buffer u. */
export const SERVER_MOMENTUM_VECTOR = 'momentum';

/** config.compressor parsed; a bad spec is a ConfigError naming `compressor`. */
export function configCompressor(setup: AlgorithmSetup): CompressorSpec {
  try {
    return parseCompressorSpec(setup.config.compressor);
  } catch (err) {
    if (err instanceof SpecError) throw new ConfigError('compressor', err.message);
    throw err;
  }
}

/** Number of workers sampled per round for participation fraction c: max(1, round(c n)). */
export function participantCount(n: number, participation: number): number {
  return Math.min(n, Math.max(1, Math.round(participation * n)));
}

/**
 * Participation flags of one round (1 = takes part), or null when everyone does (c = 1).
 * Depends only on (seed, n, round, participation).
 */
export function participationFlags(seed: number, n: number, round: number, participation: number): Uint8Array | null {
  const m = participantCount(n, participation);
  if (m >= n) return null;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const rng = new RandomStream(rngKey(seed, n, round, Purpose.participation));
  const flags = new Uint8Array(n);
  for (let i = 0; i < m; i++) {
    const j = i + rng.nextInt(n - i);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
    flags[order[i]!] = 1;
  }
  return flags;
}

/**
 * Server aggregation weights of the messages that arrived: p_i when all n workers posted, else
 * p_i renormalised over the posters. Exported for tests.
 */
export function aggregationWeights(p: Float64Array, from: readonly number[]): number[] {
  if (from.length === p.length) return from.map((i) => p[i]!);
  let total = 0;
  for (const i of from) total += p[i]!;
  return from.map((i) => p[i]! / total);
}

export interface ServerAlgorithmParts {
  readonly name: string;
  /** Algorithm-specific config checks (the compressor family); throw ConfigError. */
  validate(setup: AlgorithmSetup): void;
  /** The compressor spec worker `device` encodes with. */
  compressorSpec(setup: AlgorithmSetup, device: number): string;
}

/** A server algorithm: the shared round above with the given per-worker compressors. */
export function createServerAlgorithm(parts: ServerAlgorithmParts): Algorithm {
  // Per-round participation cache: a pure function of (seed, n, round, c), the same in every worker.
  let cachedRound = -1;
  let cachedFlags: Uint8Array | null = null;
  const participates = (node: { config: AlgorithmSetup['config']; n: number; round: number }, device: number): boolean => {
    const c = node.config.algorithm.participation;
    if (c >= 1) return true;
    if (cachedRound !== node.round) {
      cachedFlags = participationFlags(node.config.seed, node.n, node.round, c);
      cachedRound = node.round;
    }
    return cachedFlags === null || cachedFlags[device] === 1;
  };

  return {
    name: parts.name,
    kind: 'server',
    sendsWeight: false,
    scratchVectors: 2,
    needsUndirected: false,
    validate(setup: AlgorithmSetup): void {
      configCompressor(setup);
      parts.validate(setup);
    },
    deviceVectors: () => [{ name: EF_VECTOR, init: 'zero' }],
    serverVectors: () => [{ name: SERVER_MOMENTUM_VECTOR, init: 'zero' }],
    compressorSpec: (setup, device) => parts.compressorSpec(setup, device),

    async local(dev: DeviceContext): Promise<void> {
      if (!participates(dev, dev.device)) return;
      const { localSteps, weightDecay } = dev.config.algorithm;
      const lr = lrAt(dev.config, dev.round);
      const k = dev.kernels;
      const d = dev.d;
      const e = dev.vector(EF_VECTOR);
      const g = dev.scratch(0);
      if (localSteps === 1) {
        await dev.gradient(dev.x, g);
        if (weightDecay !== 0) k.axpy(d, weightDecay, dev.x.ptr, g.ptr);
        // v = e + lr g, kept in e until send() takes the message out of it.
        k.axpy(d, lr, g.ptr, e.ptr);
      } else {
        const z = dev.scratch(1);
        k.copy(d, dev.x.ptr, z.ptr);
        for (let h = 0; h < localSteps; h++) {
          await dev.gradient(z, g);
          if (weightDecay !== 0) k.axpy(d, weightDecay, z.ptr, g.ptr);
          k.axpy(d, -lr, g.ptr, z.ptr);
        }
        // The model delta x - z_H; v = e + delta.
        k.sub(d, dev.x.ptr, z.ptr, g.ptr);
        k.axpy(d, 1, g.ptr, e.ptr);
      }
    },

    send(dev: DeviceContext): void {
      if (!participates(dev, dev.device)) return;
      const e = dev.vector(EF_VECTOR);
      const c = dev.compressor;
      const out = dev.outbox();
      // One stream per (device, round) for stochastic compressors (randk / qsgd draw from separate counter ranges of it).
      const bytes = c.compressInto(e.view, out, c.stochastic ? { rngKey: dev.rngKey(Purpose.randk) } : {});
      // e = v - Delta: exactly what the server will decode is taken out of the memory.
      c.accumulate(out.subarray(0, bytes), dev.d, -1, e.view);
      dev.post(bytes);
    },

    server(srv: ServerContext): void {
      const { momentum } = srv.config.algorithm;
      const k = srv.kernels;
      const d = srv.d;
      const agg = srv.scratch(0);
      k.fill(d, 0, agg.ptr);
      const inbox = srv.inbox();
      const weights = aggregationWeights(srv.setup.dataFractions, inbox.map((m) => m.from));
      inbox.forEach((msg, j) => srv.compressorOf(msg.from).accumulate(msg.bytes, d, weights[j]!, agg.view));
      let step = agg;
      if (momentum > 0) {
        step = srv.vector(SERVER_MOMENTUM_VECTOR);
        k.axpby(d, 1, agg.ptr, momentum, step.ptr);
      }
      k.axpy(d, -1, step.ptr, srv.x.ptr);
      const bad = k.count_nonfinite(d, srv.x.ptr);
      if (bad > 0) {
        throw new RunError(`NaN/Inf in the server model at round ${srv.round} (${bad} non-finite entries after the server step); lower algorithm.lr or check the data`);
      }
      srv.post(srv.compressor.compressInto(srv.x.view, srv.outbox()));
    },

    mix(dev: DeviceContext): void {
      if (!dev.receiveBroadcast(dev.x)) throw new RunError(`device ${dev.device}, round ${dev.round}: no server broadcast to read`);
    },
  };
}
