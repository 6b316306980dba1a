/**
 * Sparse-Push (Aketi et al. 2021): SGP whose messages are compressed differences, with a
 * consensus step gamma. Two memory forms (config algorithm.memory). Reference, and where this
 * departs from the original brief: docs/algorithms.md ("sparse-push"); the machinery is in
 * compressed-gossip.ts.
 *
 * Notation: a_i = 1 / (|O_i(t)| + 1) (the engine's selfWeight, offline peers removed), gamma the
 * consensus step, C the compressor, q the *decoded* message (what receivers add: the sender applies
 * the very bytes it posted to its own state, so both sides see identical values).
 *
 * ---- Push-sum weight and gamma ----
 * w is mixed by the same mechanism as x (uncompressed: it is one f64 per message), so x and w are
 * always mixed by the same matrix and z = x / w stays de-biased (push-sum's ratio argument). In
 * the uncompressed limit both follow the lazy push-sum matrix P(t) = (1 - gamma) I + gamma A(t),
 * where A(t) is the round's column-stochastic matrix (A_ii = a_i, A_ji = a_i for j in O_i(t)):
 *     w_i += gamma ( sum_{j in I_i(t)} a_j w_j + a_i w_i - w_i )
 * P(t) is column-stochastic for every gamma in (0, 1] (columns sum to 1 - gamma + gamma), so
 * sum_i w_i = n is conserved, w_i >= (1 - gamma + gamma a_i) w_i > 0, and gamma = 1 is SGP.
 * gamma only slows the mixing (P's second eigenvalue moves towards 1); with compression it is
 * what keeps the public copies' error from growing (CHOCO's condition: gamma shrinks with the
 * kept fraction; see docs/results/tune/discussion.md).
 *
 * ---- memory: 'choco' (default): per-phase public copies ----
 * The single-copy form of the original brief (s_i += sum_j a_j q_j; x_i += gamma (s_i + a x̂_i - x̂_i))
 * is exact only on static graphs. On a time-varying schedule s_i adds up increments of *different*
 * senders (on exponential:1, i hears from i-1, i-2, i-4, i-8 in turn), so s_i is not
 * sum_j a_j x̂_j for the current in-peers: even uncompressed with gamma = 1 it is not SGP, and its
 * fixed points include non-consensus states (with lr = 0 the consensus distance stays at its
 * initial size). A receiver can only hold a sender's public copy if it sees
 * every increment of it. So the public copies are kept per phase of the schedule: with period L
 * (t mod L = k is the phase; exponential:1 with 16 nodes has L = 4, static graphs L = 1) device i
 * keeps L copies x̂_i^k and L accumulators g_i^k, and phase k's graph is the same every period:
 *   local: z_i = x_i / w_i ;  x_i -= lr u_i(grad F_i(z_i))
 *   send:  q_i = C(x_i - x̂_i^k) ; x̂_i^k += q_i ; g_i^k -= (1 - a_i) q_i
 *          r_i = w_i - ŵ_i^k ;     ŵ_i^k += r_i ; h_i^k -= (1 - a_i) r_i ;   post (q_i, r_i)
 *   mix:   g_i^k += sum_{j in I_i(t)} a_j q_j ;  x_i += gamma g_i^k
 *          h_i^k += sum_{j in I_i(t)} a_j r_j ;  w_i += gamma h_i^k
 * g_i^k is the spec's s_i + a x̂_i - x̂_i for phase k, accumulated: with the phase's degrees fixed
 * g_i^k = sum_{j in I_i^k} a_j x̂_j^k - (1 - a_i) x̂_i^k exactly (CHOCO gossip on phase k's graph,
 * Koloskova et al. 2019). The weight travels the same way, uncompressed (r_i: the change of w_i
 * since this phase's last message, in the message's f64 weight field), so ŵ_i^k = w_i after a send
 * and h_i^k = sum_j a_j w_j - (1 - a_i) w_i: the w update above. With compressor `none` and
 * gamma = 1, x̂_i^k = x_i after send and x_i <- a_i x_i + sum_j a_j x_j: SGP, round for round.
 * Memory: 2 L extra d-vectors (+ 4 L floats) per device; schedules that never repeat (erdos-renyi
 * resampled per round, period Infinity) need memory: 'ef'.
 * Initial copies: x̂_i^k = x(0), the initial model every device starts from (the learner's seeded
 * init, which every device can compute), and g_i^k = delta_i^k x(0) to match (phaseDelta).
 * The brief starts the copies at 0; for a model that starts at a random x(0) (LeNet) that spends
 * each phase's first ~1 / (kept fraction) messages sending x(0) instead of progress (measured in
 * docs/results/tune/discussion.md). With x(0) = 0 (logistic) both starts are the same. Devices
 * that start elsewhere (tests) still gossip correctly: their messages carry x_i - x(0) first. ŵ^k starts at 0 (w is sent exactly, so its
 * first message r = w_i = 1 carries the matching delta_i^k).
 *
 * Sum conservation (choco form): every q_i is booked once as -(1 - a_i) q_i in the sender's g and
 * |O_i(t)| times as +a_i q_i in the receivers' g; since a_i (|O_i(t)| + 1) = 1 the sum over devices
 * of every g^k stays 0, hence sum_i x_i changes only by the local steps — for constant out-degrees
 * (exponential) and, because the booking uses the current a_i, for any degree sequence of a
 * periodic schedule, as long as every posted message arrives. Likewise for r, h and sum_i w_i = n.
 *
 * Faults: an offline out-peer would miss q_i and hold a stale copy of x̂_i^k forever, so a device
 * with an offline scheduled out-peer sends nothing that round; copies stay exact, and since w
 * uses copies too, x and w stay mixed alike. An offline device runs no hook, so it misses its
 * gossip terms gamma g_i^k and gamma h_i^k, which its peers' accumulators already count: while it
 * is offline nobody sends to it and it sends nothing, so its g_i^k, h_i^k stay constant, and when
 * it is back it applies the missed terms (x_i += gamma sum over the missed rounds s of
 * g_i^{s mod L}, w_i likewise) in its send hook, before it compresses — what an online device
 * that neither sends nor receives would have done. The sums of x and w are then conserved again
 * once every device has been online since its last offline round (in between, the missed terms
 * are in flight). The round of the last mix is kept in the per-device 1-element vector `mixed`.
 * A link drop is decided by the receiver (the sender cannot know): the dropped share of x and w
 * is lost (as in SGP) and the receiver's copies stay off by that message.
 *
 * ---- memory: 'ef': error feedback, no copies ----
 *   send:  v_i = x_i + e_i ; q_i = C(v_i) ; e_i = v_i - q_i ; x_i += gamma (a_i - 1) q_i ; post (q_i, w_i)
 *   mix:   x_i += gamma sum_{j in I_i(t)} a_j q_j ;  w_i += gamma ( sum_j a_j w_j + a_i w_i - w_i )
 * (a device without out-peers this round sends nothing and keeps its mass: a_i = 1.)
 * Sum conservation (ef form): the same q_i leaves the sender as gamma (1 - a_i) q_i and arrives as
 * gamma a_i q_i at each of |O_i(t)| receivers, a_i (|O_i(t)| + 1) = 1, so sum_i x_i is conserved for
 * any q and any degree sequence (time-varying, resampled, offline faults); only link drops lose mass.
 * Limitation (see the tests): q carries x itself, not a difference, so the messages do
 * not vanish at consensus. With a sparsifier e_i grows by x_i every round a coordinate is not sent,
 * and the deferred mass arrives as one step of m rounds' size: the consensus distance stalls at a
 * level proportional to gamma / (kept fraction) instead of going to 0. With `none` the form is the
 * lazy SGP above (gamma = 1: SGP); with dense quantizers (int8, qsgd) the residual is small. Use it
 * for non-periodic schedules or when 2 L copies do not fit; prefer 'choco' otherwise. For the same
 * reason its default gamma is much smaller (0.01, defaults.ts DEFAULT_GAMMA_EF; 0.2 diverges).
 *
 * Stochastic compressors (randk, qsgd) get the stream (seed, device, round, Purpose.randk or
 * Purpose.qsgd). Unbiased ones (qsgd, randk:scaled) are damped into contractions (messageRule).
 * A device with no out-peers this round sends nothing.
 */
import type { Algorithm } from './types.js';
import { localStepsOnX } from './common.js';
import { compressedPushAlgorithm, compressedPushMix, compressedPushSend } from './compressed-gossip.js';

export function createSparsePush(): Algorithm {
  return compressedPushAlgorithm('sparse-push', { local: localStepsOnX, send: compressedPushSend, mix: compressedPushMix });
}
