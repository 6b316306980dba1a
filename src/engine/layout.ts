/**
 * Arena layout of a simulation: every piece of state a phase touches, planned once by the main
 * thread and posted to workers as offsets (src/arena/arena.ts).
 *
 * Regions (n devices, model dimension d; all 64-byte aligned). The d-vector regions marked (held)
 * hold only the devices of meta.owned (all n in a single-process run, a host's range in a
 * multi-host run); every other per-device region holds all n:
 *   ctl          u32[16]            worker slot counter, the round's stage counters, the between-rounds barrier (Atomics; see Ctl in worker/exchange.ts)
 *   x            f32[n*d]           push-sum numerators / models x_i                  (persistent, held)
 *   w            f64[n]             push-sum weights w_i                               (persistent)
 *   m            f32[n*d]           momentum buffers                                   (persistent, held)
 *   dev.<name>   f32[n*len]         the algorithm's extra per-device vectors           (persistent, held)
 *   state        f32[n*stateCount]  learner state (batch-norm statistics)              (persistent, held)
 *   srv.x, srv.<name>               server model and vectors (server algorithms)       (persistent)
 *   stats        f64[n*STATS]       per-device counters (bits, FLOPs, samples, ...)    (persistent)
 *   cursor       u32[n*2]           per-device (position in shard, epochs started)     (persistent)
 *   ready        i32[n]             round + 1 once device i has trained in that round (Atomics)
 *   shardIdx     u32[sum |D_i|]     shard sample indices, reshuffled in place per epoch (persistent)
 *   shardOff     u32[n+1]           shard i = shardIdx[shardOff[i], shardOff[i+1])
 *   outbox       u8[n*stride]       one outbox per sender (header + encoded message)
 *   srv.outbox   u8[stride]         the server's broadcast
 *   trainX/Y     f32/u8             training set (kernels read samples in place)
 *   testX/Y      f32/u8             test set
 *   evalX/Y      f32/u8             fixed subset of the test set for per-device accuracy (only when smaller)
 *   objX/Y       f32/u8             fixed subset of the training set for z_avg's training objective (only when smaller)
 *   reduce       f64[blocks*d]      per-block sums of z_i (blocks of REDUCE_BLOCK devices)
 *   headZ        f32[(B-1)*d]       z_i of the held devices before the first block start (only when
 *                                  the held range starts inside a block: their sum is the previous host's to finish)
 *   zavg         f32[d]             network-average de-biased model
 *   stateAvg     f32[stateCount]    z_avg's learner state: the mean of the devices' states
 *   testPart     f64[chunks*2]      per-test-chunk (loss sum, correct) of z_avg
 *   objPart      f64[chunks*2]      per-chunk (loss sum, correct) of z_avg on the training objective's samples
 *   slowest      f64[R*slots]       per (round of a multi-round task, worker): the slowest round time among its devices
 *   status       i32[slots*8]       per worker: progress and what it is doing (worker/status.ts; read by the watchdog)
 *   scratch      u8[slots*slotBytes] per-worker scratch (d-vectors, batch rows, learner, compressor)
 *
 * One outbox per sender, read by each of its out-peers, carries what per-edge mailboxes would for
 * broadcast-style pushes (every out-peer gets the same bytes); a link fault is decided per
 * (edge, round) by the receiver from the counter-based RNG, so no per-edge storage is needed.
 * The outbox header format is in worker/outbox.ts, the `ctl` words in worker/exchange.ts.
 */
import { alignUp, ArenaPlanner, type ArenaLayout } from '../arena/arena.js';
import { RandomStream } from '../kernels/rng.js';
import type { DeviceRange } from './protocol.js';
import { CTL_WORDS } from './worker/exchange.js';
import { outboxStride } from './worker/outbox.js';
import { STATUS_WORDS } from './worker/status.js';
/** Devices per reduction block: sums over devices are block sums added in block order, so they do not depend on how devices are split over workers. */
export const REDUCE_BLOCK = 32;
/** Test samples per evaluation chunk of z_avg (same reason). */
export const TEST_CHUNK = 512;
/**
 * Per-device accuracy budget: each device's model is evaluated on the first
 * min(test size, max(DEVICE_EVAL_MIN, floor(DEVICE_EVAL_BUDGET / n))) samples of a fixed
 * seeded permutation of the test set (the whole test set for small n).
 */
export const DEVICE_EVAL_BUDGET = 2_000_000;
export const DEVICE_EVAL_MIN = 200;
/**
 * trainLoss (z_avg's training objective) is taken over the whole training set when it has at
 * most this many samples, else over this many samples of a fixed seeded permutation (the same
 * subset in every run, so runs compare): bounded cost per evaluation.
 */
export const TRAIN_OBJECTIVE_MAX = 10_000;
/** Seeds of the permutations the device-evaluation and training-objective subsets are taken from. */
export const EVAL_SUBSET_SEED = 0x5eed;
export const OBJECTIVE_SUBSET_SEED = 0x0b1ec7;

/** The first `take` of a seeded permutation of [0, count), ascending (a fixed subset of a dataset's samples). */
export function subsetRows(count: number, take: number, seed: number): Uint32Array {
  const perm = new Uint32Array(count);
  for (let i = 0; i < count; i++) perm[i] = i;
  new RandomStream(seed).shuffle(perm);
  return perm.slice(0, take).sort();
}

/** Samples each device's model is evaluated on (see DEVICE_EVAL_BUDGET). */
export function deviceEvalCount(testCount: number, n: number): number {
  return Math.min(testCount, Math.max(DEVICE_EVAL_MIN, Math.floor(DEVICE_EVAL_BUDGET / n)));
}

/** Most rounds one decentralized task runs (bounds the `slowest` region and the time between progress updates). */
export const ROUNDS_PER_TASK = 16;

/** Per-device counters in `stats` (f64). */
export const Stat = {
  bitsSent: 0,
  bitsReceived: 1,
  /** Bits an uncompressed (`none` codec) run would have sent for the same messages. */
  denseBits: 2,
  flops: 3,
  samples: 4,
  /** Virtual time of this device in the last round (compute + slowest outgoing transfer). */
  roundTime: 5,
  /** Loss of the device's last mini-batch (at the parameters that step started from). */
  batchLoss: 6,
  /** Correct predictions of the device's de-biased model on the evaluation subset (last evaluation). */
  evalCorrect: 7,
  /** ||z_i - z_avg||^2 at the last evaluation. */
  consensus: 8,
  /** Bits of server broadcasts received (server algorithms' downlink). */
  bitsDown: 9,
  /** Sum of x_i's coordinates at the last evaluation (f64, kernel `sum`). */
  massX: 10,
} as const;
export const STATS = 11;

/** Regions a checkpoint stores (everything else is rebuilt from the config or is scratch). */
export function persistentRegions(layout: ArenaLayout): string[] {
  return Object.keys(layout.regions)
    .filter((name) => ['x', 'w', 'm', 'state', 'stats', 'cursor', 'shardIdx'].includes(name) || name.startsWith('dev.') || (name.startsWith('srv.') && name !== 'srv.outbox'))
    .sort((a, b) => layout.regions[a]!.offset - layout.regions[b]!.offset);
}

/** Layout of one worker slot of the scratch region (byte offsets relative to the slot base). */
export interface SlotLayout {
  readonly bytes: number;
  /** `vectors` f32 d-vectors for the algorithm (plus the engine's own z, at index vectors - 1). */
  readonly vectors: number;
  readonly vectorOffset: number;
  readonly vectorStride: number;
  /** u32[batchSize] batch row indices (when a batch wraps past an epoch end). */
  readonly rowsOffset: number;
  /** Gathered batch for non-native learners: f32[batchSize*features], u8[batchSize]. */
  readonly batchXOffset: number;
  readonly batchYOffset: number;
  readonly learnerOffset: number;
  readonly learnerBytes: number;
  readonly compressorOffset: number;
  readonly compressorBytes: number;
}

export function planSlot(p: { d: number; vectors: number; batchSize: number; features: number; gatherBatch: boolean; learnerBytes: number; compressorBytes: number }): SlotLayout {
  let at = 0;
  const take = (bytes: number): number => { const o = alignUp(at); at = o + bytes; return o; };
  const vectorStride = alignUp(4 * p.d);
  const vectorOffset = take(vectorStride * p.vectors);
  const rowsOffset = take(4 * p.batchSize);
  const batchXOffset = take(p.gatherBatch ? 4 * p.batchSize * p.features : 0);
  const batchYOffset = take(p.gatherBatch ? p.batchSize : 0);
  const learnerOffset = take(p.learnerBytes);
  const compressorOffset = take(p.compressorBytes);
  return {
    bytes: alignUp(at), vectors: p.vectors, vectorOffset, vectorStride, rowsOffset, batchXOffset, batchYOffset,
    learnerOffset, learnerBytes: p.learnerBytes, compressorOffset, compressorBytes: p.compressorBytes,
  };
}

export interface LayoutInput {
  n: number;
  /** Devices the held regions hold (EngineMeta.owned). */
  owned: DeviceRange;
  d: number;
  stateCount: number;
  deviceVectors: readonly { name: string; length: number }[];
  server: boolean;
  serverVectors: readonly { name: string; length: number }[];
  outboxPayload: number;
  serverOutboxPayload: number;
  trainCount: number;
  testCount: number;
  features: number;
  shardTotal: number;
  /** Per-device eval subset size; equal to testCount means the test regions are used. */
  evalCount: number;
  /** Training-objective sample count; equal to trainCount means the training regions are used. */
  objCount: number;
  slots: number;
  slot: SlotLayout;
}

export function reduceBlocks(n: number): number {
  return Math.ceil(n / REDUCE_BLOCK);
}

/** Devices of `owned` before its first reduction block start (0 when it starts on one). */
export function headDevices(owned: DeviceRange): number {
  if (owned.from % REDUCE_BLOCK === 0) return 0;
  return Math.min(owned.to, Math.ceil(owned.from / REDUCE_BLOCK) * REDUCE_BLOCK) - owned.from;
}

/** Regions that hold the devices of meta.owned only (d-vectors per device). */
export function isHeldRegion(name: string): boolean {
  return name === 'x' || name === 'm' || name === 'state' || name.startsWith('dev.');
}

export function testChunks(testCount: number): number {
  return Math.ceil(testCount / TEST_CHUNK);
}

export function planArena(p: LayoutInput): ArenaLayout {
  const a = new ArenaPlanner();
  const held = p.owned.to - p.owned.from;
  a.add('ctl', 'u32', CTL_WORDS);
  a.add('x', 'f32', held * p.d);
  a.add('w', 'f64', p.n);
  a.add('m', 'f32', held * p.d);
  for (const v of p.deviceVectors) a.add(`dev.${v.name}`, 'f32', held * v.length);
  a.add('state', 'f32', held * p.stateCount);
  if (p.server) {
    a.add('srv.x', 'f32', p.d);
    for (const v of p.serverVectors) a.add(`srv.${v.name}`, 'f32', v.length);
  }
  a.add('stats', 'f64', p.n * STATS);
  a.add('cursor', 'u32', p.n * 2);
  a.add('ready', 'i32', p.n);
  a.add('shardIdx', 'u32', p.shardTotal);
  a.add('shardOff', 'u32', p.n + 1);
  a.add('outbox', 'u8', p.n * outboxStride(p.outboxPayload));
  if (p.server) a.add('srv.outbox', 'u8', outboxStride(p.serverOutboxPayload));
  a.add('trainX', 'f32', p.trainCount * p.features);
  a.add('trainY', 'u8', p.trainCount);
  a.add('testX', 'f32', p.testCount * p.features);
  a.add('testY', 'u8', p.testCount);
  if (p.evalCount < p.testCount) {
    a.add('evalX', 'f32', p.evalCount * p.features);
    a.add('evalY', 'u8', p.evalCount);
  }
  if (p.objCount < p.trainCount) {
    a.add('objX', 'f32', p.objCount * p.features);
    a.add('objY', 'u8', p.objCount);
  }
  a.add('reduce', 'f64', reduceBlocks(p.n) * p.d);
  const head = headDevices(p.owned);
  if (head > 0) a.add('headZ', 'f32', head * p.d);
  a.add('zavg', 'f32', p.d);
  a.add('stateAvg', 'f32', p.stateCount);
  a.add('testPart', 'f64', testChunks(p.testCount) * 2);
  a.add('objPart', 'f64', testChunks(p.objCount) * 2);
  a.add('slowest', 'f64', ROUNDS_PER_TASK * p.slots);
  a.add('status', 'i32', p.slots * STATUS_WORDS);
  a.add('scratch', 'u8', p.slots * p.slot.bytes);
  return a.layout();
}
