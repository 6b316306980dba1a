// Quantize kernels: per-bucket linear int8 / int4, QSGD stochastic levels, sign + L1 scale
// (see src/kernels/abi.ts for the exact semantics; src/kernels/reference/quantize.ts mirrors them).
//
// Buckets are runs of `bucket` consecutive elements (the last one may be shorter); `bucket >= 1`.
// Linear quantizers multiply by a per-bucket reciprocal (inv = L / absmax in f32) rather than
// dividing, and round to nearest-even; |x * inv| <= L + tiny, so no clamping is needed. Buckets
// whose absmax (or QSGD norm) is below 2^-120 are stored as zero (scale 0, q 0): the reciprocal
// would overflow f32. Non-finite inputs give unspecified (but memory-safe) output.
import { absmaxBits, reduce16, sumAbsF64 } from './internal/reduce';
import { rng_u32 } from './random';

/** Bit pattern of 2^-120 (f32). */
const TINY_BITS: u32 = 0x03800000;
const TINY: f32 = reinterpret<f32>(TINY_BITS);
/** 1.5 * 2^23: for |v| <= 2^22, bits(v + MAGIC) - bits(MAGIC) = nearest-even(v). */
const MAGIC: f32 = 12582912.0;
const MAGIC_BITS: i32 = 0x4b400000;
const INV_2_24: f32 = 5.9604644775390625e-8;

// @ts-ignore: decorator
@inline function rint(v: f32): i32 { return <i32>nearest<f32>(v); }

/** nearest-even(x[0..15] * inv) as 16 i8 lanes (|results| <= 127). */
// @ts-ignore: decorator
@inline function quant16(p: usize, vinv: v128): v128 {
  const vm = f32x4.splat(MAGIC), vb = i32x4.splat(MAGIC_BITS);
  const q0 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p), vinv), vm), vb);
  const q1 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 16), vinv), vm), vb);
  const q2 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 32), vinv), vm), vb);
  const q3 = i32x4.sub(f32x4.add(f32x4.mul(v128.load(p, 48), vinv), vm), vb);
  return i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3));
}

/** out[0..15] = f32(i8 lanes of b) * scale */
// @ts-ignore: decorator
@inline function dequant16(b: v128, vs: v128, out: usize): void {
  const h0 = i16x8.extend_low_i8x16_s(b), h1 = i16x8.extend_high_i8x16_s(b);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(h0)), vs));
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(h0)), vs), 16);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(h1)), vs), 32);
  v128.store(out, f32x4.mul(f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(h1)), vs), 48);
}

/** Per-bucket (scale, inv) for `levels` = 127 or 7; returns inv and stores scale. */
// @ts-ignore: decorator
@inline function bucketScale(px: usize, len: u32, levels: f32, scalePtr: usize): f32 {
  const am = absmaxBits(len, px);
  let scale: f32 = 0, inv: f32 = 0;
  if (am >= TINY_BITS) {
    const a = reinterpret<f32>(am);
    scale = a / levels;
    inv = levels / a;
  }
  store<f32>(scalePtr, scale);
  return inv;
}

// ---- int8 -------------------------------------------------------------------------------------

function quantRangeInt8(p: usize, len: u32, inv: f32, q: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vinv = f32x4.splat(inv);
    for (; i + 16 <= len; i += 16) v128.store(q + i, quant16(p + (<usize>i << 2), vinv));
  }
  for (; i < len; i++) store<i8>(q + i, <i8>rint(load<f32>(p + (<usize>i << 2)) * inv));
}

function dequantRangeInt8(q: usize, len: u32, scale: f32, out: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vs = f32x4.splat(scale);
    for (; i + 16 <= len; i += 16) dequant16(v128.load(q + i), vs, out + (<usize>i << 2));
  }
  for (; i < len; i++) store<f32>(out + (<usize>i << 2), <f32>load<i8>(q + i) * scale);
}

export function quant_int8(x: usize, n: u32, bucket: u32, outQ: usize, outScales: usize): void {
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    const len = min(bucket, n - start);
    const px = x + (<usize>start << 2);
    const inv = bucketScale(px, len, 127, outScales + (b << 2));
    quantRangeInt8(px, len, inv, outQ + start);
  }
}

export function dequant_int8(q: usize, scales: usize, n: u32, bucket: u32, out: usize): void {
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    dequantRangeInt8(q + start, min(bucket, n - start), load<f32>(scales + (b << 2)), out + (<usize>start << 2));
  }
}

// ---- int4 (two's complement nibbles, element 2j in the low nibble of byte j) ---------------------

// @ts-ignore: decorator
@inline function putNibble(outQ: usize, i: u32, q: i32): void {
  const p = outQ + (i >>> 1);
  if (i & 1) store<u8>(p, (load<u8>(p) & 0x0f) | ((q & 0x0f) << 4));
  else store<u8>(p, q & 0x0f);
}

// @ts-ignore: decorator
@inline function getNibble(q: usize, i: u32): i32 {
  const byte = <i32>load<u8>(q + (i >>> 1));
  return ((i & 1 ? byte >>> 4 : byte) << 28) >> 28;
}

function quantRangeInt4(x: usize, start: u32, end: u32, inv: f32, outQ: usize): void {
  let i = start;
  if (ASC_FEATURE_SIMD) {
    if ((i & 1) != 0 && i < end) {
      putNibble(outQ, i, rint(load<f32>(x + (<usize>i << 2)) * inv));
      i++;
    }
    const vinv = f32x4.splat(inv);
    const low = i8x16.splat(0x0f);
    for (; i + 32 <= end; i += 32) {
      const p = x + (<usize>i << 2);
      const a = quant16(p, vinv), b = quant16(p + 64, vinv);
      const even = i8x16.shuffle(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
      const odd = i8x16.shuffle(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
      v128.store(outQ + (i >>> 1), v128.or(v128.and(even, low), i8x16.shl(odd, 4)));
    }
  }
  for (; i < end; i++) putNibble(outQ, i, rint(load<f32>(x + (<usize>i << 2)) * inv));
}

function dequantRangeInt4(q: usize, start: u32, end: u32, scale: f32, out: usize): void {
  let i = start;
  if (ASC_FEATURE_SIMD) {
    if ((i & 1) != 0 && i < end) {
      store<f32>(out + (<usize>i << 2), <f32>getNibble(q, i) * scale);
      i++;
    }
    const vs = f32x4.splat(scale);
    for (; i + 32 <= end; i += 32) {
      const b = v128.load(q + (i >>> 1));
      const lo = i8x16.shr_s(i8x16.shl(b, 4), 4), hi = i8x16.shr_s(b, 4);
      const e0 = i8x16.shuffle(lo, hi, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
      const e1 = i8x16.shuffle(lo, hi, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
      const o = out + (<usize>i << 2);
      dequant16(e0, vs, o);
      dequant16(e1, vs, o + 64);
    }
  }
  for (; i < end; i++) store<f32>(out + (<usize>i << 2), <f32>getNibble(q, i) * scale);
}

export function quant_int4(x: usize, n: u32, bucket: u32, outQ: usize, outScales: usize): void {
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    const end = start + min(bucket, n - start);
    const inv = bucketScale(x + (<usize>start << 2), end - start, 7, outScales + (b << 2));
    quantRangeInt4(x, start, end, inv, outQ);
  }
}

export function dequant_int4(q: usize, scales: usize, n: u32, bucket: u32, out: usize): void {
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    const end = start + min(bucket, n - start);
    dequantRangeInt4(q, start, end, load<f32>(scales + (b << 2)), out);
  }
}

// ---- QSGD -------------------------------------------------------------------------------------

export function qsgd_quant(
  x: usize, n: u32, s: u32, bucket: u32, key: u32, counter0: u32, outLevels: usize, outNorms: usize,
): void {
  const sf = <f32>s;
  const si = <i32>s;
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    const len = min(bucket, n - start);
    const px = x + (<usize>start << 2);
    let norm = <f32>sqrt<f64>(reduce16(len, px, px, 2));
    let mult: f32 = 0;
    if (norm >= TINY) mult = sf / norm;
    else norm = 0;
    store<f32>(outNorms + (b << 2), norm);
    for (let j: u32 = 0; j < len; j++) {
      const i = start + j;
      const v = load<f32>(px + (<usize>j << 2));
      const u = <f32>(rng_u32(key, counter0 + i) >>> 8) * INV_2_24;
      const level = min(<i32>floor<f32>(abs<f32>(v) * mult + u), si);
      store<i8>(outLevels + i, <i8>(v < 0 ? -level : level));
    }
  }
}

export function qsgd_dequant(levels: usize, norms: usize, n: u32, s: u32, bucket: u32, out: usize): void {
  const sf = <f32>s;
  let b: usize = 0;
  for (let start: u32 = 0; start < n; start += bucket, b++) {
    const factor = load<f32>(norms + (b << 2)) / sf;
    dequantRangeInt8(levels + start, min(bucket, n - start), factor, out + (<usize>start << 2));
  }
}

// ---- sign -------------------------------------------------------------------------------------

export function sign_pack(x: usize, n: u32, outBits: usize): f32 {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      const m0 = f32x4.lt(v128.load(p), zero), m1 = f32x4.lt(v128.load(p, 16), zero);
      const m2 = f32x4.lt(v128.load(p, 32), zero), m3 = f32x4.lt(v128.load(p, 48), zero);
      const m = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(m0, m1), i16x8.narrow_i32x4_s(m2, m3));
      store<u16>(outBits + (i >>> 3), i8x16.bitmask(m));
    }
  }
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    let byte: u32 = 0;
    for (let j: u32 = 0; j < 8; j++) byte |= u32(load<f32>(p + (j << 2)) < 0) << j;
    store<u8>(outBits + (i >>> 3), byte);
  }
  if (i < n) {
    let byte: u32 = 0;
    for (let j: u32 = 0; i + j < n; j++) byte |= u32(load<f32>(x + (<usize>(i + j) << 2)) < 0) << j;
    store<u8>(outBits + (i >>> 3), byte);
  }
  return n == 0 ? 0 : <f32>(sumAbsF64(n, x) / <f64>n);
}

export function sign_unpack(bits: usize, n: u32, scale: f32, out: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const pos = f32x4.splat(scale), neg = f32x4.splat(-scale);
    const lowBits = i32x4(1, 2, 4, 8), highBits = i32x4(16, 32, 64, 128);
    const zero = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const bv = i32x4.splat(<i32>load<u8>(bits + (i >>> 3)));
      const o = out + (<usize>i << 2);
      v128.store(o, v128.bitselect(neg, pos, i32x4.ne(v128.and(bv, lowBits), zero)));
      v128.store(o, v128.bitselect(neg, pos, i32x4.ne(v128.and(bv, highBits), zero)), 16);
    }
  }
  for (; i < n; i++) {
    const bit = (<u32>load<u8>(bits + (i >>> 3)) >>> (i & 7)) & 1;
    store<f32>(out + (<usize>i << 2), bit ? -scale : scale);
  }
}
