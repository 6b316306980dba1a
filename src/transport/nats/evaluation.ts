/**
 * z_avg over hosts, bit for bit as one process sums it. One process adds z_i into reduction
 * blocks of REDUCE_BLOCK devices (z_first, then += each next device, in f64) and then the blocks
 * into an accumulator in block order. Across hosts the same additions run as a chain: the
 * coordinator passes the accumulator and the open block (the partial sum of a block a host's
 * range ends inside) from host 0 to host K - 1; each host adds its head devices (those before its
 * first block start, kept as z_i in headZ) to the open block, closes it into the accumulator when
 * its range completes it, adds its whole blocks, and leaves its last block open when its range
 * ends inside it. Same operands, same order: the same f64 sums. The learner states' sum (z_avg's
 * state, models with batch norm) rides along: each host adds its devices' rows in device order.
 */
import type { Arena } from '../../arena/arena.js';
import { TransportError } from '../../errors.js';
import { headDevices, REDUCE_BLOCK, reduceBlocks } from '../../engine/layout.js';
import type { EngineMeta } from '../../engine/protocol.js';

/** What travels along the chain. */
export interface ReduceToken {
  /** Sum of the closed blocks so far (f64[d]). */
  readonly acc: Float64Array;
  /** The open block's partial sum (f64[d]); meaningful when partialBlock >= 0. */
  readonly partial: Float64Array;
  /** Index of the open block, -1 when none is open. */
  readonly partialBlock: number;
  /** Sum of the learner states so far, in device order (f64[stateCount]). */
  readonly stateSum: Float64Array;
}

export function emptyToken(d: number, stateCount: number): ReduceToken {
  return { acc: new Float64Array(d), partial: new Float64Array(d), partialBlock: -1, stateSum: new Float64Array(stateCount) };
}

/** The token's arrays as message parts (acc, partial, stateSum; partialBlock travels in the JSON). */
export function tokenParts(token: ReduceToken): Uint8Array[] {
  return [token.acc, token.partial, token.stateSum].map((a) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
}

/** The token from received parts, checked against d and stateCount; null when they do not fit. */
export function tokenOf(parts: readonly Uint8Array[], partialBlock: number, d: number, stateCount: number): ReduceToken | null {
  const [acc, partial, stateSum] = parts;
  if (parts.length !== 3 || acc!.length !== 8 * d || partial!.length !== 8 * d || stateSum!.length !== 8 * stateCount) return null;
  const f64 = (b: Uint8Array): Float64Array => new Float64Array(b.slice().buffer);
  return { acc: f64(acc!), partial: f64(partial!), partialBlock, stateSum: f64(stateSum!) };
}

/**
 * Evaluation chunks [from, to) of the combined list (the test chunks first, then the training
 * objective's) as a range of each: which testPart and objPart rows a host's evalGlobal fills.
 */
export function chunkRanges(from: number, to: number, testChunkCount: number): { test: [number, number]; objective: [number, number] } {
  const t = testChunkCount;
  return { test: [Math.min(from, t), Math.min(to, t)], objective: [Math.max(from, t) - t, Math.max(to, t) - t] };
}

/** One host's step of the chain over its held devices (after its evalDevices phase). */
export function reduceStep(arena: Arena, meta: Pick<EngineMeta, 'n' | 'd' | 'stateCount' | 'owned'>, token: ReduceToken): ReduceToken {
  const { n, d, stateCount } = meta;
  const { from, to } = meta.owned;
  const acc = token.acc;
  const stateSum = token.stateSum;
  if (stateCount > 0) {
    const state = arena.f32('state');
    for (let i = 0; i < to - from; i++) for (let k = 0; k < stateCount; k++) stateSum[k] += state[i * stateCount + k]!;
  }
  const partial = token.partial;
  let open = token.partialBlock;
  const head = headDevices(meta.owned);
  const firstBlock = Math.floor(from / REDUCE_BLOCK);
  if (head > 0) {
    if (open !== firstBlock) throw new TransportError(`reduction chain: devices from ${from} continue block ${firstBlock}, but the open block is ${open}`);
    const z = arena.f32('headZ');
    for (let i = 0; i < head; i++) {
      const base = i * d;
      for (let k = 0; k < d; k++) partial[k] += z[base + k]!;
    }
    const end = from + head;
    if (end % REDUCE_BLOCK === 0 || end === n) {
      for (let k = 0; k < d; k++) acc[k] += partial[k]!;
      open = -1;
    }
  } else if (open !== -1) {
    throw new TransportError(`reduction chain: block ${open} is open but devices from ${from} start a new one`);
  }
  const reduce = arena.f64('reduce');
  for (let b = Math.ceil((from + head) / REDUCE_BLOCK); b < reduceBlocks(n) && b * REDUCE_BLOCK < to; b++) {
    const base = b * d;
    const blockEnd = Math.min(n, (b + 1) * REDUCE_BLOCK);
    if (blockEnd <= to) {
      for (let k = 0; k < d; k++) acc[k] += reduce[base + k]!;
    } else {
      for (let k = 0; k < d; k++) partial[k] = reduce[base + k]!;
      open = b;
    }
  }
  return { acc, partial, partialBlock: open, stateSum };
}

/** z_avg and its learner state from the chain's final token (every block closed). */
export function averageOfChain(token: ReduceToken, n: number): { zavg: Float32Array; stateAvg: Float32Array } {
  if (token.partialBlock !== -1) throw new TransportError(`reduction chain ended with block ${token.partialBlock} open`);
  const zavg = new Float32Array(token.acc.length);
  for (let k = 0; k < zavg.length; k++) zavg[k] = token.acc[k]! / n;
  const stateAvg = new Float32Array(token.stateSum.length);
  for (let k = 0; k < stateAvg.length; k++) stateAvg[k] = token.stateSum[k]! / n;
  return { zavg, stateAvg };
}
