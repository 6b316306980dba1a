// Sparse kernels: gather / scatter and index packing (see src/kernels/abi.ts).
// Encoders trust their input (ascending, distinct, < n); decoders treat input as untrusted bytes:
// they never read past inp + inLen (or ceil(n/8) bytes), never write more than k (or n) indices,
// and report malformed input with a negative code.
import { laneSum } from './internal/reduce';

/** out[j] = x[idx[j]] */
export function gather(x: usize, idx: usize, k: u32, out: usize): void {
  let j: u32 = 0;
  for (; j + 4 <= k; j += 4) {
    const pi = idx + (<usize>j << 2), po = out + (<usize>j << 2);
    const i0 = load<u32>(pi), i1 = load<u32>(pi, 4), i2 = load<u32>(pi, 8), i3 = load<u32>(pi, 12);
    store<f32>(po, load<f32>(x + (<usize>i0 << 2)));
    store<f32>(po, load<f32>(x + (<usize>i1 << 2)), 4);
    store<f32>(po, load<f32>(x + (<usize>i2 << 2)), 8);
    store<f32>(po, load<f32>(x + (<usize>i3 << 2)), 12);
  }
  for (; j < k; j++) {
    store<f32>(out + (<usize>j << 2), load<f32>(x + (<usize>load<u32>(idx + (<usize>j << 2)) << 2)));
  }
}

/** out[idx[j]] = vals[j], in order j = 0..k-1 (a repeated index keeps the last value). */
export function scatter(idx: usize, vals: usize, k: u32, out: usize): void {
  for (let j: u32 = 0; j < k; j++) {
    const o = <usize>j << 2;
    store<u32>(out + (<usize>load<u32>(idx + o) << 2), load<u32>(vals + o));
  }
}

/** out[idx[j]] = out[idx[j]] + alpha * vals[j] (f32 ops), in order j = 0..k-1. */
export function scatter_add(idx: usize, vals: usize, k: u32, alpha: f32, out: usize): void {
  for (let j: u32 = 0; j < k; j++) {
    const o = <usize>j << 2;
    const p = out + (<usize>load<u32>(idx + o) << 2);
    store<f32>(p, load<f32>(p) + alpha * load<f32>(vals + o));
  }
}

/** LEB128 varints of idx[0], idx[j] - idx[j-1] - 1; returns bytes written (at most 5k). */
export function varint_encode_deltas(idx: usize, k: u32, out: usize): u32 {
  let pos: usize = out;
  let prev: u32 = -1; // so the first delta is idx[0] - (-1) - 1 = idx[0]
  for (let j: u32 = 0; j < k; j++) {
    const cur = load<u32>(idx + (<usize>j << 2));
    let v = cur - prev - 1;
    prev = cur;
    while (v >= 0x80) {
      store<u8>(pos++, <u8>(v | 0x80));
      v >>>= 7;
    }
    store<u8>(pos++, <u8>v);
  }
  return <u32>(pos - out);
}

/**
 * The deltas idx[j] - idx[j-1] - 1 (idx[-1] = -1) of the 4 indices `cur`, given the vector of the
 * previous 4 (its last lane is idx[j-1]). All deltas sum to idx[k-1] - (k-1) < 2^32, so u32 lane
 * sums of them (or of any right shift of them) cannot wrap.
 */
// @ts-ignore: decorator
@inline function deltas4(prev: v128, cur: v128): v128 {
  return i32x4.sub(i32x4.sub(cur, v128.shuffle<u32>(prev, cur, 3, 4, 5, 6)), i32x4.splat(1));
}

/** Bytes of a delta's LEB128 varint beyond its first: one per 7 bits above the first 7. */
// @ts-ignore: decorator
@inline function varintExtraBytes(d: u32): u32 {
  return <u32>(d >= 0x80) + <u32>(d >= 0x4000) + <u32>(d >= 0x200000) + <u32>(d >= 0x10000000);
}

/** varintExtraBytes of 4 deltas: min(d >>> 7j, 1) summed for j = 1..4. */
// @ts-ignore: decorator
@inline function varintExtraBytes4(d: v128): v128 {
  const one = i32x4.splat(1);
  return i32x4.add(
    i32x4.add(i32x4.min_u(i32x4.shr_u(d, 7), one), i32x4.min_u(i32x4.shr_u(d, 14), one)),
    i32x4.add(i32x4.min_u(i32x4.shr_u(d, 21), one), i32x4.min_u(i32x4.shr_u(d, 28), one)),
  );
}

/** Bytes varint_encode_deltas writes for these indices (one pass, nothing written). */
export function varint_bytes_deltas(idx: usize, k: u32): u32 {
  let total: u32 = k;
  let prev: u32 = -1;
  let j: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    let pv = i32x4.splat(-1);
    for (; j + 4 <= k; j += 4) {
      const cur = v128.load(idx + (<usize>j << 2));
      acc = i32x4.add(acc, varintExtraBytes4(deltas4(pv, cur)));
      pv = cur;
    }
    total += laneSum(acc);
    if (j > 0) prev = load<u32>(idx + (<usize>(j - 1) << 2));
  }
  for (; j < k; j++) {
    const cur = load<u32>(idx + (<usize>j << 2));
    total += varintExtraBytes(cur - prev - 1);
    prev = cur;
  }
  return total;
}

/**
 * Decodes k delta varints from at most inLen bytes into outIdx; returns bytes consumed, or the
 * first error met left to right: -1 input ends inside or before a varint, -2 a varint runs past 5
 * bytes or exceeds 2^32 - 1, -3 a decoded index is >= n. On error, outIdx holds partial output.
 */
export function varint_decode_deltas(inp: usize, inLen: u32, k: u32, n: u32, outIdx: usize): i32 {
  let pos: u32 = 0;
  let next: u64 = 0; // the smallest index the next delta may produce (prev + 1)
  for (let j: u32 = 0; j < k; j++) {
    if (pos >= inLen) return -1;
    let b = <u32>load<u8>(inp + pos++);
    let v = b & 0x7f;
    if (b & 0x80) {
      let shift: u32 = 7;
      while (true) {
        if (pos >= inLen) return -1;
        b = <u32>load<u8>(inp + pos++);
        if (shift == 28 && (b & 0xf0) != 0) return -2;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
      }
    }
    const index = next + <u64>v;
    if (index >= <u64>n) return -3;
    store<u32>(outIdx + (<usize>j << 2), <u32>index);
    next = index + 1;
  }
  return <i32>pos;
}

/** Bits of the Rice codes of the deltas with parameter b (the parameter byte not included). */
function rice_code_bits(idx: usize, k: u32, b: u32): u64 {
  let total: u64 = <u64>k * <u64>(1 + b);
  let prev: u32 = -1;
  let j: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    let acc = i32x4.splat(0);
    let pv = i32x4.splat(-1);
    for (; j + 4 <= k; j += 4) {
      const cur = v128.load(idx + (<usize>j << 2));
      acc = i32x4.add(acc, i32x4.shr_u(deltas4(pv, cur), b));
      pv = cur;
    }
    total += <u64>laneSum(acc);
    if (j > 0) prev = load<u32>(idx + (<usize>(j - 1) << 2));
  }
  for (; j < k; j++) {
    const cur = load<u32>(idx + (<usize>j << 2));
    total += <u64>((cur - prev - 1) >>> b);
    prev = cur;
  }
  return total;
}

// Costs of the start parameter and its two neighbours, from one pass (rice_parameter's first steps).
let riceB0: u32 = 0;
let riceLow: u64 = 0;
let riceMid: u64 = 0;
let riceHigh: u64 = 0;
/** The cost rice_parameter found for the b it returned (rice_encode_deltas needs no extra pass). */
let riceCost: u64 = 0;

/** rice_code_bits for b, reusing the one-pass costs of b0 - 1, b0, b0 + 1. */
function riceBits(idx: usize, k: u32, b: u32): u64 {
  if (b == riceB0) return riceMid;
  if (b + 1 == riceB0) return riceLow;
  if (b == riceB0 + 1) return riceHigh;
  return rice_code_bits(idx, k, b);
}

/**
 * The Rice parameter with the fewest bits: start at floor(log2(mean delta)), walk down while not
 * worse (ties take the smaller b), then up while strictly better. k >= 1.
 */
export function rice_parameter(idx: usize, k: u32): u32 {
  return riceSearch(idx, k, false);
}

/**
 * The costs of the two delta index codings in one pass: out[0] = varint_bytes_deltas, out[1] =
 * rice_parameter, out[2] = the bytes rice_encode_deltas writes (the parameter byte included). k >= 1.
 */
export function delta_costs(idx: usize, k: u32, out: usize): void {
  const b = riceSearch(idx, k, true);
  store<u32>(out, varintSeen);
  store<u32>(out, b, 4);
  store<u32>(out, <u32>(1 + ((riceCost + 7) >> 3)), 8);
}

/** varint_bytes_deltas of the last riceSearch that counted it. */
let varintSeen: u32 = 0;

/** rice_parameter; with `varint` the same pass also counts the varint bytes into varintSeen. */
// @ts-ignore: decorator
@inline function riceSearch(idx: usize, k: u32, varint: bool): u32 {
  const mean = (load<u32>(idx + (<usize>(k - 1) << 2)) - (k - 1)) / k; // sum of deltas / k
  let b: u32 = mean == 0 ? 0 : 31 - clz(mean);
  // One pass for the sums of v >> (b - 1), v >> b and v >> (b + 1) (b + 1 <= 31: mean < 2^31).
  const lo: u32 = b > 0 ? b - 1 : 0;
  let sLow: u64 = 0, sMid: u64 = 0, sHigh: u64 = 0;
  let vbytes: u32 = k;
  let prev: u32 = -1;
  let j: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    let aLow = i32x4.splat(0), aMid = i32x4.splat(0), aHigh = i32x4.splat(0), aVar = i32x4.splat(0);
    let pv = i32x4.splat(-1);
    for (; j + 4 <= k; j += 4) {
      const cur = v128.load(idx + (<usize>j << 2));
      const d = deltas4(pv, cur);
      pv = cur;
      const v = i32x4.shr_u(d, lo);
      aLow = i32x4.add(aLow, v);
      aMid = i32x4.add(aMid, i32x4.shr_u(v, b - lo));
      aHigh = i32x4.add(aHigh, i32x4.shr_u(v, b + 1 - lo));
      if (varint) aVar = i32x4.add(aVar, varintExtraBytes4(d));
    }
    sLow = <u64>laneSum(aLow);
    sMid = <u64>laneSum(aMid);
    sHigh = <u64>laneSum(aHigh);
    vbytes += laneSum(aVar);
    if (j > 0) prev = load<u32>(idx + (<usize>(j - 1) << 2));
  }
  for (; j < k; j++) {
    const cur = load<u32>(idx + (<usize>j << 2));
    const d = cur - prev - 1;
    prev = cur;
    const v = d >>> lo;
    sLow += <u64>v;
    sMid += <u64>(v >>> (b - lo));
    sHigh += <u64>(v >>> (b + 1 - lo));
    if (varint) vbytes += varintExtraBytes(d);
  }
  if (varint) varintSeen = vbytes;
  riceB0 = b;
  riceLow = <u64>k * <u64>b + sLow; // k (1 + (b - 1)) + sum: meaningful only when b > 0
  riceMid = <u64>k * <u64>(1 + b) + sMid;
  riceHigh = <u64>k * <u64>(2 + b) + sHigh;
  let cost = riceMid;
  while (b > 0) {
    const c = riceBits(idx, k, b - 1);
    if (c > cost) break;
    b--;
    cost = c;
  }
  while (b < 31) {
    const c = riceBits(idx, k, b + 1);
    if (c >= cost) break;
    b++;
    cost = c;
  }
  riceCost = cost;
  return b;
}

/**
 * Rice codes of idx[0], idx[j] - idx[j-1] - 1 with the best parameter b: one byte b, then per delta
 * v the quotient v >> b in unary (that many 1 bits, then a 0) and the low b bits of v, LSB first,
 * bits packed LSB first, pad bits 0. Returns the bytes written, or -1 (nothing written) when the
 * section would take limit bytes or more. k >= 1.
 */
export function rice_encode_deltas(idx: usize, k: u32, limit: u32, out: usize): i32 {
  const b = rice_parameter(idx, k);
  const bytes: u64 = 1 + ((riceCost + 7) >> 3);
  if (bytes >= <u64>limit) return -1;
  store<u8>(out, <u8>b);
  let pos: usize = out + 1;
  // Whole 32-bit words of the stream go out as they fill: one little-endian u32 store is the same 4
  // bytes as four byte stores of the LSB-first stream.
  const end = out + <usize>bytes;
  let acc: u64 = 0;
  let nbits: u32 = 0; // < 32 between codes
  const mask: u32 = b == 0 ? 0 : <u32>-1 >>> (32 - b);
  let prev: u32 = -1;
  let j: u32 = 0;
  // Two codes of at most 32 bits together (nearly all pairs: b is near log2 of the mean delta) go
  // in at once, and the word at pos is stored whether or not it is full (pos advances by 4 when it
  // is): no data-dependent branch, and one dependent accumulator step per two codes. The store
  // stays inside the message while pos + 4 <= end. Longer codes and the last ones go one at a time,
  // storing only completed words.
  while (true) {
    for (; j + 2 <= k && pos + 4 <= end; j += 2) {
      const c0 = load<u32>(idx + (<usize>j << 2));
      const c1 = load<u32>(idx + (<usize>j << 2), 4);
      const v0 = c0 - prev - 1;
      const v1 = c1 - c0 - 1;
      const q0 = v0 >>> b;
      const q1 = v1 >>> b;
      const len0 = q0 + 1 + b;
      const len1 = q1 + 1 + b;
      if (len0 + len1 > 32) break; // the exact path takes the next code
      // Code: q ones, a 0, the low b bits of v. Both fit in 32 bits (len0 <= 31, q0, q1 <= 30).
      const code0 = ((<u32>1 << q0) - 1) | ((v0 & mask) << (q0 + 1));
      const code1 = ((<u32>1 << q1) - 1) | ((v1 & mask) << (q1 + 1));
      acc |= <u64>(code0 | (code1 << len0)) << nbits;
      nbits += len0 + len1;
      store<u32>(pos, <u32>acc);
      const full = nbits >>> 5; // 0 or 1 (nbits < 64)
      pos += <usize>full << 2;
      acc >>= <u64>(full << 5);
      nbits &= 31;
      prev = c1;
    }
    if (j >= k) break;
    const cur = load<u32>(idx + (<usize>j << 2));
    const v = cur - prev - 1;
    prev = cur;
    pos = riceLong(v, v >>> b, b, mask, acc, nbits, pos);
    acc = riceAcc;
    nbits = riceNbits;
    j++;
  }
  while (nbits > 0) {
    store<u8>(pos++, <u8>acc);
    acc >>= 8;
    nbits = nbits > 8 ? nbits - 8 : 0;
  }
  return <i32>(pos - out);
}

// riceLong's bit buffer after the code (acc holds nbits < 32 pending bits).
let riceAcc: u64 = 0;
let riceNbits: u32 = 0;

/**
 * Appends one Rice code (quotient q of v, parameter b) to the stream whose pending bits are acc
 * (nbits < 32) and whose next word goes to pos, storing only completed words; returns the new pos
 * (the pending bits in riceAcc, riceNbits).
 */
function riceLong(v: u32, q: u32, b: u32, mask: u32, acc: u64, nbits: u32, pos: usize): usize {
  // Quotient: 1 bits in runs of at most 32, then the terminating 0.
  while (q >= 32) {
    acc |= <u64>0xffffffff << nbits;
    store<u32>(pos, <u32>acc);
    pos += 4;
    acc >>= 32;
    q -= 32;
  }
  acc |= ((<u64>1 << q) - 1) << nbits;
  nbits += q + 1;
  if (nbits >= 32) { store<u32>(pos, <u32>acc); pos += 4; acc >>= 32; nbits -= 32; }
  acc |= <u64>(v & mask) << nbits;
  nbits += b;
  if (nbits >= 32) { store<u32>(pos, <u32>acc); pos += 4; acc >>= 32; nbits -= 32; }
  riceAcc = acc;
  riceNbits = nbits;
  return pos;
}

/**
 * Decodes k Rice-coded deltas (rice_encode_deltas' layout) from at most inLen bytes; returns bytes
 * consumed, or the first error met left to right: -1 input ends before k indices, -2 parameter byte
 * above 31, -3 a decoded index is >= n (reported as soon as the quotient alone gets there, so a run
 * of 1 bits cannot spin), -4 pad bits after the last code are not 0. On error outIdx holds partial output.
 */
export function rice_decode_deltas(inp: usize, inLen: u32, k: u32, n: u32, outIdx: usize): i32 {
  if (inLen == 0) return -1;
  const b = <u32>load<u8>(inp);
  if (b > 31) return -2;
  let pos: u32 = 1;
  let acc: u64 = 0;
  let nbits: u32 = 0;
  let next: u64 = 0;
  for (let j: u32 = 0; j < k; j++) {
    const room: u64 = <u64>n - next; // the next index must be < next + room
    let q: u64 = 0;
    // q << b >= room: the index is out of range whatever follows.
    if (room == 0) return -3;
    const qLimit: u64 = (room - 1) >> b;
    while (true) {
      while (nbits <= 56 && pos < inLen) { acc |= <u64>load<u8>(inp + pos++) << nbits; nbits += 8; }
      if (nbits == 0) return -1;
      const ones = <u32>min(ctz(~acc), <u64>nbits);
      q += ones;
      if (q > qLimit) return -3;
      if (ones < nbits) { acc = ones == 63 ? 0 : acc >> (ones + 1); nbits -= ones + 1; break; } // a shift by 64 is a shift by 0
      acc = 0; // ones == nbits <= 64: every buffered bit was a 1
      nbits = 0;
    }
    while (nbits < b && pos < inLen) { acc |= <u64>load<u8>(inp + pos++) << nbits; nbits += 8; }
    if (nbits < b) return -1;
    const index = next + (q << b) + (acc & ((<u64>1 << b) - 1));
    acc >>= b;
    nbits -= b;
    if (index >= <u64>n) return -3;
    store<u32>(outIdx + (<usize>j << 2), <u32>index);
    next = index + 1;
  }
  if ((acc & ((<u64>1 << (nbits & 7)) - 1)) != 0) return -4;
  return <i32>(pos - (nbits >> 3));
}

/** Zeroes ceil(n/8) bytes, then sets bit idx[j] (LSB first); returns ceil(n/8). */
export function bitmap_encode(idx: usize, k: u32, n: u32, out: usize): u32 {
  const bytes = (n >>> 3) + u32((n & 7) != 0);
  memory.fill(out, 0, bytes);
  for (let j: u32 = 0; j < k; j++) {
    const i = load<u32>(idx + (<usize>j << 2));
    const p = out + (i >>> 3);
    store<u8>(p, <u32>load<u8>(p) | (1 << (i & 7)));
  }
  return bytes;
}

/** Ascending indices of set bits among the first n of ceil(n/8) bytes; -1 (nothing written) if a bit past n is set. */
export function bitmap_decode(inp: usize, n: u32, outIdx: usize): i32 {
  const full = n >>> 3;
  const rem = n & 7;
  if (rem != 0 && (<u32>load<u8>(inp + full) >>> rem) != 0) return -1;
  const bytes = full + u32(rem != 0);
  let count: u32 = 0;
  let byte: u32 = 0;
  for (; byte + 8 <= bytes; byte += 8) {
    let w = load<u64>(inp + byte);
    const base = byte << 3;
    while (w != 0) {
      store<u32>(outIdx + (<usize>count << 2), base + <u32>ctz(w));
      count++;
      w &= w - 1;
    }
  }
  for (; byte < bytes; byte++) {
    let w = <u32>load<u8>(inp + byte);
    const base = byte << 3;
    while (w != 0) {
      store<u32>(outIdx + (<usize>count << 2), base + ctz(w));
      count++;
      w &= w - 1;
    }
  }
  return <i32>count;
}
