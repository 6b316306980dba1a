/**
 * Oracle for assembly/sparse.ts: same results bit for bit, plain TypeScript over typed arrays.
 *
 * Unlike the kernels, which trust their arguments, these check lengths and indices and throw
 * InputError on misuse. Decoders take untrusted bytes and return the same codes as the kernels.
 */
import { InputError } from '../../errors.js';
import { checkSameLength, f32Bits } from './vector.js';

/** varint_decode_deltas: the input ends inside or before a varint. */
export const VARINT_TRUNCATED = -1;
/** varint_decode_deltas: a varint runs past 5 bytes or exceeds 2^32 - 1. */
export const VARINT_OVERLONG = -2;
/** varint_decode_deltas: a decoded index is >= n. */
export const VARINT_INDEX_RANGE = -3;
/** bitmap_decode: a bit at position >= n is set. */
export const BITMAP_STRAY_BITS = -1;

function checkIndex(fn: string, i: number, n: number): void {
  if (i >= n) throw new InputError(`${fn}: index ${i} out of range [0, ${n})`);
}

/** out[j] = x[idx[j]] (bit copies). */
export function gather(x: Float32Array, idx: Uint32Array, out: Float32Array): void {
  const k = checkSameLength('gather', idx, out);
  const xb = f32Bits(x), ob = f32Bits(out);
  for (let j = 0; j < k; j++) {
    const i = idx[j]!;
    checkIndex('gather', i, x.length);
    ob[j] = xb[i]!;
  }
}

/** out[idx[j]] = vals[j] in order j = 0..k-1 (bit copies; a repeated index keeps the last value). */
export function scatter(idx: Uint32Array, vals: Float32Array, out: Float32Array): void {
  const k = checkSameLength('scatter', idx, vals);
  const vb = f32Bits(vals), ob = f32Bits(out);
  for (let j = 0; j < k; j++) {
    const i = idx[j]!;
    checkIndex('scatter', i, out.length);
    ob[i] = vb[j]!;
  }
}

/** out[idx[j]] = f32(out[idx[j]] + f32(alpha * vals[j])) in order j = 0..k-1. */
export function scatterAdd(idx: Uint32Array, vals: Float32Array, alpha: number, out: Float32Array): void {
  const k = checkSameLength('scatterAdd', idx, vals);
  const a = Math.fround(alpha);
  for (let j = 0; j < k; j++) {
    const i = idx[j]!;
    checkIndex('scatterAdd', i, out.length);
    out[i] = out[i]! + Math.fround(a * vals[j]!);
  }
}

/** Bytes varintEncodeDeltas writes for these (ascending, distinct) indices. */
export function varintEncodedBytes(idx: Uint32Array): number {
  let bytes = 0;
  let prev = -1;
  for (let j = 0; j < idx.length; j++) {
    let v = idx[j]! - prev - 1;
    prev = idx[j]!;
    do { bytes++; v = Math.floor(v / 128); } while (v > 0);
  }
  return bytes;
}

/** LEB128 varints of idx[0], idx[j] - idx[j-1] - 1; returns bytes written. Indices must be strictly ascending. */
export function varintEncodeDeltas(idx: Uint32Array, out: Uint8Array): number {
  let pos = 0;
  let prev = -1;
  for (let j = 0; j < idx.length; j++) {
    const cur = idx[j]!;
    if (cur <= prev) throw new InputError(`varintEncodeDeltas: indices not strictly ascending at ${j} (${prev}, ${cur})`);
    let v = cur - prev - 1;
    prev = cur;
    while (v >= 0x80) {
      if (pos >= out.length) throw new InputError(`varintEncodeDeltas: output of ${out.length} bytes too small`);
      out[pos++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    if (pos >= out.length) throw new InputError(`varintEncodeDeltas: output of ${out.length} bytes too small`);
    out[pos++] = v;
  }
  return pos;
}

/**
 * Decodes k delta varints from `inp` (inLen = inp.length) into outIdx[0..k); returns bytes
 * consumed, or the first error met left to right: VARINT_TRUNCATED, VARINT_OVERLONG,
 * VARINT_INDEX_RANGE (index >= n). On error outIdx holds partial output.
 */
export function varintDecodeDeltas(inp: Uint8Array, k: number, n: number, outIdx: Uint32Array): number {
  if (outIdx.length < k) throw new InputError(`varintDecodeDeltas: room for ${outIdx.length} indices, need ${k}`);
  const inLen = inp.length;
  let pos = 0;
  let next = 0;
  for (let j = 0; j < k; j++) {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (pos >= inLen) return VARINT_TRUNCATED;
      const b = inp[pos++]!;
      if (shift === 28 && (b & 0xf0) !== 0) return VARINT_OVERLONG;
      v += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) break;
      shift += 7;
    }
    const index = next + v;
    if (index >= n) return VARINT_INDEX_RANGE;
    outIdx[j] = index;
    next = index + 1;
  }
  return pos;
}

/** riceDecodeDeltas: the input ends before k indices. */
export const RICE_TRUNCATED = -1;
/** riceDecodeDeltas: the parameter byte is above 31. */
export const RICE_BAD_PARAMETER = -2;
/** riceDecodeDeltas: a decoded index (or a quotient alone) reaches n. */
export const RICE_INDEX_RANGE = -3;
/** riceDecodeDeltas: pad bits after the last code are not 0. */
export const RICE_PADDING = -4;

function checkAscending(fn: string, idx: Uint32Array): void {
  for (let j = 1; j < idx.length; j++) {
    if (idx[j]! <= idx[j - 1]!) throw new InputError(`${fn}: indices not strictly ascending at ${j} (${idx[j - 1]}, ${idx[j]})`);
  }
}

/** Bits of the Rice codes of idx's deltas with parameter b (the parameter byte not included). */
export function riceCodeBits(idx: Uint32Array, b: number): number {
  let total = idx.length * (1 + b);
  let prev = -1;
  for (let j = 0; j < idx.length; j++) {
    total += Math.floor((idx[j]! - prev - 1) / 2 ** b);
    prev = idx[j]!;
  }
  return total;
}

/** rice_parameter: start at floor(log2(mean delta)), down while not worse, up while strictly better. */
export function riceParameter(idx: Uint32Array): number {
  const k = idx.length;
  if (k === 0) throw new InputError('riceParameter: no indices');
  checkAscending('riceParameter', idx);
  const mean = Math.floor((idx[k - 1]! - (k - 1)) / k);
  let b = 0; // floor(log2(mean)), 0 for mean 0
  while (2 ** (b + 1) <= mean) b++;
  let cost = riceCodeBits(idx, b);
  while (b > 0) {
    const c = riceCodeBits(idx, b - 1);
    if (c > cost) break;
    b--;
    cost = c;
  }
  while (b < 31) {
    const c = riceCodeBits(idx, b + 1);
    if (c >= cost) break;
    b++;
    cost = c;
  }
  return b;
}

/** Bytes riceEncodeDeltas writes for these indices (parameter byte included). */
export function riceEncodedBytes(idx: Uint32Array): number {
  return riceSectionBytes(idx, riceParameter(idx));
}

/** Bytes of the Rice section with parameter b: its byte, then the codes padded to a whole byte. */
function riceSectionBytes(idx: Uint32Array, b: number): number {
  return 1 + Math.ceil(riceCodeBits(idx, b) / 8);
}

/** [varintEncodedBytes, riceParameter, riceEncodedBytes] of these (ascending, distinct, at least one) indices. */
export function deltaCosts(idx: Uint32Array): [number, number, number] {
  const b = riceParameter(idx);
  return [varintEncodedBytes(idx), b, riceSectionBytes(idx, b)];
}

/** rice_encode_deltas without the limit: writes the whole section; returns its bytes. */
export function riceEncodeDeltas(idx: Uint32Array, out: Uint8Array): number {
  const b = riceParameter(idx);
  const bytes = riceSectionBytes(idx, b);
  if (out.length < bytes) throw new InputError(`riceEncodeDeltas: output of ${out.length} bytes, need ${bytes}`);
  out.fill(0, 0, bytes);
  out[0] = b;
  let bit = 8;
  const put1 = (): void => { out[bit >>> 3] = out[bit >>> 3]! | (1 << (bit & 7)); };
  let prev = -1;
  for (let j = 0; j < idx.length; j++) {
    const v = idx[j]! - prev - 1;
    prev = idx[j]!;
    for (let q = Math.floor(v / 2 ** b); q > 0; q--) { put1(); bit++; }
    bit++; // the quotient's terminating 0
    for (let i = 0; i < b; i++) { if (Math.floor(v / 2 ** i) % 2 === 1) put1(); bit++; }
  }
  return bytes;
}

/**
 * Decodes k Rice-coded deltas from `inp` (inLen = inp.length) into outIdx[0..k) bit by bit; returns
 * bytes consumed or the first error met left to right: RICE_TRUNCATED, RICE_BAD_PARAMETER,
 * RICE_INDEX_RANGE (also as soon as a quotient alone reaches n), RICE_PADDING.
 */
export function riceDecodeDeltas(inp: Uint8Array, k: number, n: number, outIdx: Uint32Array): number {
  if (outIdx.length < k) throw new InputError(`riceDecodeDeltas: room for ${outIdx.length} indices, need ${k}`);
  const totalBits = 8 * inp.length;
  if (inp.length === 0) return RICE_TRUNCATED;
  const b = inp[0]!;
  if (b > 31) return RICE_BAD_PARAMETER;
  const bitAt = (i: number): number => (inp[i >>> 3]! >>> (i & 7)) & 1;
  let bit = 8;
  let next = 0;
  for (let j = 0; j < k; j++) {
    const room = n - next;
    if (room === 0) return RICE_INDEX_RANGE;
    const qLimit = Math.floor((room - 1) / 2 ** b);
    let q = 0;
    for (;;) {
      if (bit >= totalBits) return RICE_TRUNCATED;
      if (bitAt(bit++) === 0) break;
      if (++q > qLimit) return RICE_INDEX_RANGE;
    }
    if (bit + b > totalBits) return RICE_TRUNCATED;
    let low = 0;
    for (let i = 0; i < b; i++) low += bitAt(bit++) * 2 ** i;
    const index = next + q * 2 ** b + low;
    if (index >= n) return RICE_INDEX_RANGE;
    outIdx[j] = index;
    next = index + 1;
  }
  for (; bit & 7; bit++) if (bitAt(bit) !== 0) return RICE_PADDING;
  return bit >>> 3;
}

/** Bitmap of n bits (LSB first) with bit idx[j] set; zeroes the rest; returns ceil(n/8). */
export function bitmapEncode(idx: Uint32Array, n: number, out: Uint8Array): number {
  const bytes = Math.ceil(n / 8);
  if (out.length < bytes) throw new InputError(`bitmapEncode: output of ${out.length} bytes, need ${bytes}`);
  out.fill(0, 0, bytes);
  for (let j = 0; j < idx.length; j++) {
    const i = idx[j]!;
    checkIndex('bitmapEncode', i, n);
    out[i >>> 3] = out[i >>> 3]! | (1 << (i & 7));
  }
  return bytes;
}

/** Ascending indices of the set bits among the first n (of ceil(n/8) bytes); BITMAP_STRAY_BITS if a later bit is set. */
export function bitmapDecode(inp: Uint8Array, n: number, outIdx: Uint32Array): number {
  const bytes = Math.ceil(n / 8);
  if (inp.length < bytes) throw new InputError(`bitmapDecode: input of ${inp.length} bytes, need ${bytes}`);
  if (n % 8 !== 0 && (inp[bytes - 1]! >>> (n % 8)) !== 0) return BITMAP_STRAY_BITS;
  let count = 0;
  for (let i = 0; i < n; i++) {
    if ((inp[i >>> 3]! >>> (i & 7)) & 1) {
      if (count >= outIdx.length) throw new InputError(`bitmapDecode: more than ${outIdx.length} set bits`);
      outIdx[count++] = i;
    }
  }
  return count;
}
