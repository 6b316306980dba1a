/**
 * The Algorithm contract: a training algorithm is a set of hooks the engine runs per device (and,
 * for server algorithms, per server node) in barrier-separated phases of every round:
 *
 *   phase "train"  (per device, one task per worker over a contiguous device batch):
 *                  local(dev)   H local steps (momentum SGD on the de-biased model, via kernels)
 *                  send(dev)    build this round's message into the device's outbox (compressInto)
 *   phase "server" (server algorithms only, per server node): server(srv) reads every worker's
 *                  message in ascending device order, updates the server model, posts a broadcast
 *   phase "mix"    (per device): mix(dev) reads the in-messages in ascending sender order and
 *                  accumulates (push-sum numerator and weight, consensus step, ...)
 *
 * Everything a hook touches lives in the shared arena (device vectors are views on it), so hooks
 * must be pure functions of the arena state, the device, the round and the config: no state kept
 * in the Algorithm object between calls except caches that are the same in every worker. That is
 * what makes results bit-identical for any worker count and checkpoints a dump of the arena.
 *
 * Offline devices (faults.offline) are skipped by the engine: no hook runs for them that round.
 */
import type { RunConfig } from '../config/types.js';
import type { KernelExports } from '../kernels/abi.js';
import type { WireCompressor } from '../compress/types.js';
import type { Topology } from '../graph/types.js';

/** An f32 vector in the arena: its kernel pointer and a typed view on the same bytes. */
export interface Vec {
  readonly ptr: number;
  readonly view: Float32Array;
}

/** A vector the algorithm keeps per device (or on the server) in the arena. */
export interface StateVector {
  /** Region name suffix (`dev.<name>` / `srv.<name>`); lowercase letters, digits, '-'. */
  readonly name: string;
  /** Element count; default d (the model dimension). */
  readonly length?: number;
  /** Initial contents: zeros (default) or the initial model x(0), which every device starts from. */
  readonly init?: 'zero' | 'x';
  /** With init 'x': device i's vector starts at initScale(i) * x(0) (default 1). Main thread only. */
  readonly initScale?: (device: number) => number;
}

/** What the engine tells an algorithm at setup (main thread and every worker see the same values). */
export interface AlgorithmSetup {
  readonly config: RunConfig;
  /** Model dimension (learner.paramCount). */
  readonly d: number;
  /** Number of devices. */
  readonly n: number;
  /** p_i = |D_i| / sum_j |D_j| (data-volume fractions). */
  readonly dataFractions: Float64Array;
  readonly topology: Topology;
}

/** One received message (mix phase: a device's in-peers; server phase: every posting worker). */
export interface InMessage {
  /** Sender device id (-1: the server). */
  readonly from: number;
  /** Encoded payload in the sender's compressor format (a view on the sender's outbox). */
  readonly bytes: Uint8Array;
  /** Sender's mixing weight a_j = 1 / (|O_j(t)| + 1) this round (faults applied). */
  readonly selfWeight: number;
  /** Sender's push-sum weight w_j as it was when posted (NaN when the algorithm sends none). */
  readonly weight: number;
  /** Sender's out-degree this round (faults applied). */
  readonly outDegree: number;
}

/** Shared parts of device and server contexts. */
export interface NodeContext {
  readonly round: number;
  readonly d: number;
  readonly n: number;
  readonly config: RunConfig;
  readonly setup: AlgorithmSetup;
  readonly kernels: KernelExports;
  /** f32 vector declared in deviceVectors()/serverVectors() (by name). */
  vector(name: string): Vec;
  /** Worker scratch d-vector `slot` (0 <= slot < algorithm.scratchVectors); contents undefined on entry. */
  scratch(slot: number): Vec;
  /** RNG stream key for (seed, this node, round, purpose): pass to compressInto for stochastic compressors. */
  rngKey(purpose: number): number;
  /**
   * Payload area of this node's outbox (room: compressor.maxEncodedBytes(d) bytes). Write the
   * message there (typically compressor.compressInto(v, node.outbox())) and then post() it.
   */
  outbox(): Uint8Array;
  /**
   * Publishes the outbox: `bytes` payload bytes (the compressor's returned length) and, for
   * push-sum algorithms, the weight to travel with it (one uncompressed f64, counted as 64 bits).
   * Bits are counted per out-edge from these real byte counts.
   */
  post(bytes: number, weight?: number): void;
}

export interface DeviceContext extends NodeContext {
  readonly device: number;
  /** The compressor this device encodes with (algorithm.compressorSpec of this device). */
  readonly compressor: WireCompressor;
  /** The compressors of algorithm.streamSpecs for this device, in payload order ([compressor] by default). */
  readonly streams: readonly WireCompressor[];
  /** Push-sum numerator (or plain model) x_i. */
  readonly x: Vec;
  /** Push-sum weight w_i: a one-element f64 view (starts 1). */
  readonly w: Float64Array;
  /** Momentum buffer m_i (starts 0). */
  readonly momentum: Vec;
  /** Mixing weight a_i = 1 / (|O_i(t)| + 1) with offline peers removed. */
  readonly selfWeight: number;
  /** Out-peers this round, ascending, offline devices removed. */
  readonly outPeers: readonly number[];
  /**
   * Samples this device's next mini-batch (batchSize samples, per-epoch reshuffled shard) and
   * writes the gradient of the mean loss at `params` into `grad`; returns the loss. Counts samples,
   * FLOPs and learning time.
   */
  gradient(params: Vec, grad: Vec): Promise<number>;
  /**
   * Mix phase: the messages that arrived this round, in ascending sender order (offline senders
   * and dropped links removed). Server algorithms: the server's broadcast, if any.
   * The array and its messages are valid until the hook returns (the engine re-uses them).
   */
  inbox(): InMessage[];
  /**
   * Mix phase of server algorithms: decodes this round's server broadcast into `out` through the
   * downlink codec (ServerContext.compressor), validated first; false when the server posted none.
   */
  receiveBroadcast(out: Vec): boolean;
  /**
   * Mix phase: x_i's last write counted no NaN/Inf (an accumulate returned 0), so the engine's
   * finiteness check after the hook can skip its own pass over x_i.
   */
  xCheckedFinite(): void;
}

export interface ServerContext extends NodeContext {
  /** The server model (region srv.x). */
  readonly x: Vec;
  /** The codec of the downlink broadcast (`none`: downlink uncompressed). */
  readonly compressor: WireCompressor;
  /** Every worker's message this round, ascending device order (offline / non-participating removed). */
  inbox(): InMessage[];
  /** The compressor worker `device` encodes with (to parse its message). */
  compressorOf(device: number): WireCompressor;
}

export type AlgorithmKind = 'decentralized' | 'server';

export interface Algorithm {
  /** Registry name (config algorithm.name). */
  readonly name: string;
  readonly kind: AlgorithmKind;
  /** True when every message carries the push-sum weight (one f64, counted in bits). */
  readonly sendsWeight: boolean;
  /** Worker scratch d-vectors the hooks use (the engine sizes per-worker scratch from it). */
  readonly scratchVectors: number;
  /** True when the topology must be undirected (dpsgd, choco). */
  readonly needsUndirected: boolean;
  /**
   * Checks config and topology beyond the schema (e.g. undirected graphs); throws ConfigError
   * naming the key (`topology`, `algorithm.gamma`, ...).
   */
  validate(setup: AlgorithmSetup): void;
  /** Extra per-device vectors (besides x, w, momentum). */
  deviceVectors(setup: AlgorithmSetup): readonly StateVector[];
  /** Vectors of the server node (server algorithms; srv.x is always present for them). */
  serverVectors(setup: AlgorithmSetup): readonly StateVector[];
  /** Compressor spec device i encodes with (SGP / D-PSGD: `none`; DAGC-R: per-device ratios). */
  compressorSpec(setup: AlgorithmSetup, device: number): string;
  /**
   * The wire messages a device's round payload is made of, back to back (default: one message of
   * compressorSpec). The engine sizes the outbox for their sum and hands their compressors to the
   * hooks as DeviceContext.streams; receivers split the payload with codec.frameLength.
   */
  streamSpecs?(setup: AlgorithmSetup, device: number): readonly string[];
  /** Phase "train", first part: local steps. */
  local(dev: DeviceContext): Promise<void>;
  /** Phase "train", second part: the message of this round. */
  send(dev: DeviceContext): void;
  /** Phase "server" (server algorithms). */
  server?(srv: ServerContext): void;
  /** Phase "mix". */
  mix(dev: DeviceContext): void;
}
