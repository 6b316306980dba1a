// The sampling bracket, the band scan and the candidate filter of topk_abs (n >= 32768).
//
// A stratified sample of 32-float chunks gives thresholds lo and hi with about k + margin and
// k - margin elements above (margin: 4 sigma of the sample count, plus 4).
//  - Small k (<= n/32): the candidate filter keeps mag >= lo (index + raw bits, ascending) in
//    scratch: one pass over x. It takes a 64-bit hit mask per 64 floats and writes its first four
//    hits (two when under one per block is expected) without branching (filterCandidates).
//  - Large k: one pass (scanBand) counts mag >= hi and keeps the mags in the band [lo, hi).
// Results come back in module globals (bracketHi, sample*, bandAbove): one instance runs one
// kernel at a time. OVERFLOW: the candidates or the band might not fit (then: full select).
import { rng_u32 } from '../random';
import { CHUNK, DENSE_RATIO, MAG_MASK, pack16 } from './scan';
import { BUCKETS1, BUCKETS2, findDigit, foundAbove, foundDigit, foundRank, histogram } from './radix';
import { laneSum } from '../internal/reduce';

/** Below this n the full radix select over x is as cheap as sampling. */
export const FAST_MIN_N: u32 = 1 << 15;
/** Target expected count of sample values above the k-th largest. */
const SAMPLE_HITS: f64 = 32;
/** 16 Ki to 64 Ki sampled values (tiny k needs no more: the margin then dominates). */
const MIN_SAMPLE_CHUNKS: u32 = 512;
const MAX_SAMPLE_CHUNKS: u32 = 2048;
/** Count returned when the candidates (or the band) might not fit in their area. */
export const OVERFLOW: u32 = 0xffffffff;

// Results of sampleBracket.
export let bracketHi: u32 = 0;
export let sampleScale: f64 = 0;
export let sampleAtLo: u32 = 0;
export let sampleAtHi: u32 = 0;
export let sampleSize: u32 = 0;

/** The 21-bit bucket (low edge) of the rank-th largest of the s sample mags in buf; sampleAt = sample count >= it. */
let sampleAt: u32 = 0;
function sampleBucket(buf: usize, s: u32, d1: u32, r1: u32, above1: u32, hist: usize): u32 {
  histogram(buf, s, 10, 0x3ff, 20, d1, hist, BUCKETS2);
  findDigit(hist, BUCKETS2, r1);
  sampleAt = above1 + foundAbove + load<u32>(hist + (<usize>foundDigit << 2));
  return (d1 << 20) | (foundDigit << 10);
}

/** Count of 32-float chunks sampleBracket reads for (n, k); 0 when it samples nothing (then: full select). */
export function sampleChunks(n: u32, k: u32): u32 {
  if (n < FAST_MIN_N) return 0;
  const chunks = n >>> 5;
  let want = <u32>Math.ceil(SAMPLE_HITS * <f64>n / (32.0 * <f64>k));
  if (want < MIN_SAMPLE_CHUNKS) want = MIN_SAMPLE_CHUNKS;
  if (want > MAX_SAMPLE_CHUNKS) want = MAX_SAMPLE_CHUNKS;
  if (want > (chunks >>> 3)) want = chunks >>> 3;
  return want < 16 ? 0 : want;
}

/**
 * The j-th sampled chunk (floats 32c .. 32c + 31), stride = (n >>> 5) / sampleChunks: chunk j
 * comes from stratum [j * stride, (j + 1) * stride) at a fixed pseudo-random offset (two adjacent
 * cache lines: the second is nearly free). Ascending in j.
 */
// @ts-ignore: decorator
@inline export function sampleChunk(j: u32, stride: u32): u32 {
  return j * stride + <u32>((<u64>rng_u32(0x5eed, j) * <u64>stride) >>> 32);
}

/**
 * Thresholds (mag bits, low 10 bits 0) estimated from a stratified sample of 32-float chunks:
 * returns lo, with about k plus a safety margin (4 sigma + 4 sample hits) of x at mag >= lo, and
 * sets bracketHi, with about k minus the margin at mag >= bracketHi (0 when k <= n/32 or too
 * small for one). Returns 0 when sampling cannot help (then: full select). sampleAtLo / sampleAtHi are
 * the sample counts >= lo / hi; sampleScale = n / sample size.
 */
export function sampleBracket(x: usize, n: u32, k: u32, buf: usize, hist: usize): u32 {
  bracketHi = 0;
  const want = sampleChunks(n, k);
  if (want == 0) return 0;
  const stride = (n >>> 5) / want;
  for (let j: u32 = 0; j < want; j++) {
    const src = x + ((<usize>sampleChunk(j, stride)) << 7);
    const dst = buf + (<usize>j << 7);
    if (ASC_FEATURE_SIMD) {
      for (let b: usize = 0; b < 128; b += 32) {
        v128.store(dst + b, v128.load(src + b));
        v128.store(dst + b, v128.load(src + b, 16), 16);
      }
    } else {
      for (let b: usize = 0; b < 128; b += 8) store<u64>(dst + b, load<u64>(src + b));
    }
  }
  const s = want << 5;
  sampleSize = s;
  sampleScale = <f64>n / <f64>s;
  const expected = <f64>s * <f64>k / <f64>n;
  const margin = 4.0 * Math.sqrt(expected) + 4.0;
  const rankLo = <u32>Math.ceil(expected + margin);
  if (rankLo >= s) return 0;
  // (hi only serves the large-k path.)
  const rankHi = k > (n >>> 5) && expected - margin >= 1.0 ? <u32>Math.floor(expected - margin) : 0;
  histogram(buf, s, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rankLo);
  const d1Lo = foundDigit, r1Lo = foundRank, aboveLo = foundAbove;
  let d1Hi: u32 = 0, r1Hi: u32 = 0, aboveHi: u32 = 0;
  if (rankHi > 0) {
    findDigit(hist, BUCKETS1, rankHi);
    d1Hi = foundDigit;
    r1Hi = foundRank;
    aboveHi = foundAbove;
  }
  const lo = sampleBucket(buf, s, d1Lo, r1Lo, aboveLo, hist);
  sampleAtLo = sampleAt;
  if (rankHi > 0) {
    const hi = sampleBucket(buf, s, d1Hi, r1Hi, aboveHi, hist);
    sampleAtHi = sampleAt;
    if (hi > lo) bracketHi = hi;
  }
  return lo;
}

// Result of scanBand: the count of mag >= hi.
export let bandAbove: u32 = 0;

/**
 * One pass over x: counts mag >= hi into bandAbove and stores the mags in [lo, hi) to mags
 * (order irrelevant; room for cap), returning their count or OVERFLOW. Float compares |x| < hi
 * and |x| < lo (lo, hi: low 10 bits 0): NaN is below neither, so it counts above hi. offs: CHUNK + 8 u16. Chunks as
 * in threshold_abs (sparse: skip 16-blocks without band hits; dense: pack every 8-block).
 */
export function scanBand(x: usize, n: u32, lo: u32, hi: u32, mags: usize, cap: u32, offs: usize): u32 {
  let c: u32 = 0;
  let above: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lov = f32x4.splat(reinterpret<f32>(lo));
    const hiv = f32x4.splat(reinterpret<f32>(hi));
    const iota = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
    const end16 = n & ~15;
    let below = i32x4.splat(0); // lanes with |x| < hi (float compares: NaN is not below)
    let dense = false;
    while (i < end16) {
      const start = i;
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      let h: u32 = 0;
      if (dense) {
        let ov = iota;
        for (; i < end; i += 8) {
          const p = x + (<usize>i << 2);
          const a0 = f32x4.abs(v128.load(p));
          const a1 = f32x4.abs(v128.load(p, 16));
          const l0 = f32x4.lt(a0, hiv), l1 = f32x4.lt(a1, hiv);
          below = i32x4.sub(i32x4.sub(below, l0), l1);
          const g = i16x8.narrow_i32x4_s(v128.andnot(l0, f32x4.lt(a0, lov)), v128.andnot(l1, f32x4.lt(a1, lov)));
          h += pack16(ov, <u32>i16x8.bitmask(g), offs + (<usize>h << 1));
          ov = i16x8.add(ov, i16x8.splat(8));
        }
      }
      for (; i < end; i += 16) {
        const p = x + (<usize>i << 2);
        const a0 = f32x4.abs(v128.load(p));
        const a1 = f32x4.abs(v128.load(p, 16));
        const a2 = f32x4.abs(v128.load(p, 32));
        const a3 = f32x4.abs(v128.load(p, 48));
        const l0 = f32x4.lt(a0, hiv), l1 = f32x4.lt(a1, hiv), l2 = f32x4.lt(a2, hiv), l3 = f32x4.lt(a3, hiv);
        below = i32x4.sub(i32x4.sub(i32x4.sub(i32x4.sub(below, l0), l1), l2), l3);
        const b0 = v128.andnot(l0, f32x4.lt(a0, lov));
        const b1 = v128.andnot(l1, f32x4.lt(a1, lov));
        const b2 = v128.andnot(l2, f32x4.lt(a2, lov));
        const b3 = v128.andnot(l3, f32x4.lt(a3, lov));
        if (!v128.any_true(v128.or(v128.or(b0, b1), v128.or(b2, b3)))) continue;
        const ov = i16x8.add(i16x8.splat(<i16>(i - start)), iota);
        h += pack16(ov, <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(b0, b1)), offs + (<usize>h << 1));
        h += pack16(i16x8.add(ov, i16x8.splat(8)), <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(b2, b3)), offs + (<usize>h << 1));
      }
      if (h > cap - c) return OVERFLOW;
      for (let j: u32 = 0; j < h; j++) {
        const idx = start + <u32>load<u16>(offs + (<usize>j << 1));
        store<u32>(mags + (<usize>(c + j) << 2), load<u32>(x + (<usize>idx << 2)) & MAG_MASK);
      }
      c += h;
      dense = h * DENSE_RATIO > end - start;
    }
    above = end16 - laneSum(below);
  }
  for (; i < n; i++) {
    const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
    if (m >= hi) above++;
    else if (m >= lo) {
      if (c >= cap) return OVERFLOW;
      store<u32>(mags + (<usize>c << 2), m);
      c++;
    }
  }
  bandAbove = above;
  return c;
}

/** Of the 16 floats at p: bit j set when |x[j]| < lambda (tv = splat(lambda); NaN is never below). */
// @ts-ignore: decorator
@inline function below16(p: usize, tv: v128): u32 {
  const l0 = f32x4.lt(f32x4.abs(v128.load(p)), tv);
  const l1 = f32x4.lt(f32x4.abs(v128.load(p, 16)), tv);
  const l2 = f32x4.lt(f32x4.abs(v128.load(p, 32)), tv);
  const l3 = f32x4.lt(f32x4.abs(v128.load(p, 48)), tv);
  return <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(l0, l1), i16x8.narrow_i32x4_s(l2, l3)));
}

/**
 * Candidates mag >= t (t >= 1, low 10 bits 0; NaN included) of x into candIdx (base + their indices,
 * ascending) and candBits (the raw f32 bits, sign included). Returns the count, or OVERFLOW when they might
 * not fit in cap (then nothing is promised about the buffers).
 * SIMD: a 64-bit hit mask per 64 floats (16 compares, 3 narrows, 4 bitmasks), then its first four
 * hits (two when `few`: under one hit per block expected) are written without branching (a block
 * has at most that many ~95% of the time at the densities this path runs at) and a loop takes any
 * further ones: no per-block hit-or-miss branch, whose mispredictions cost more than the scan.
 */
export function filterCandidates(x: usize, n: u32, t: u32, candIdx: usize, candBits: usize, cap: u32, base: u32, few: bool): u32 {
  return few ? filterWith(x, n, t, candIdx, candBits, cap, base, 2) : filterWith(x, n, t, candIdx, candBits, cap, base, 4);
}

/** filterCandidates writing the first `writes` (2 or 4) hits of a block without branching. */
// @ts-ignore: decorator
@inline function filterWith(x: usize, n: u32, t: u32, candIdx: usize, candBits: usize, cap: u32, base: u32, writes: u32): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(reinterpret<f32>(t));
    const end64 = n & ~63;
    const top: u64 = <u64>1 << 63;
    // A block writes max(writes, hits) <= 64 slots from c.
    const last = cap >= 64 ? cap - 64 : 0;
    for (; i < end64; i += 64) {
      if (c > last) return OVERFLOW;
      const p = x + (<usize>i << 2);
      const lo = below16(p, tv) | (below16(p + 64, tv) << 16);
      const hi = below16(p + 128, tv) | (below16(p + 192, tv) << 16);
      let m: u64 = ~((<u64>hi << 32) | <u64>lo);
      const hits = <u32>popcnt(m);
      const pi = candIdx + (<usize>c << 2), pb = candBits + (<usize>c << 2);
      const bi = base + i;
      // Slots past the hits get junk that the next block overwrites (ctz of the empty mask reads as 63).
      let j = <u32>ctz(m | top);
      store<u32>(pi, bi + j);
      store<u32>(pb, load<u32>(p + (<usize>j << 2)));
      m &= m - 1;
      j = <u32>ctz(m | top);
      store<u32>(pi, bi + j, 4);
      store<u32>(pb, load<u32>(p + (<usize>j << 2)), 4);
      if (writes == 4) {
        m &= m - 1;
        j = <u32>ctz(m | top);
        store<u32>(pi, bi + j, 8);
        store<u32>(pb, load<u32>(p + (<usize>j << 2)), 8);
        m &= m - 1;
        j = <u32>ctz(m | top);
        store<u32>(pi, bi + j, 12);
        store<u32>(pb, load<u32>(p + (<usize>j << 2)), 12);
      }
      if (hits > writes) {
        m &= m - 1;
        let s = <usize>writes << 2;
        while (m) {
          j = <u32>ctz(m);
          store<u32>(pi + s, bi + j);
          store<u32>(pb + s, load<u32>(p + (<usize>j << 2)));
          s += 4;
          m &= m - 1;
        }
      }
      c += hits;
    }
  }
  for (; i < n; i++) {
    const b = load<u32>(x + (<usize>i << 2));
    if ((b & MAG_MASK) >= t) {
      if (c >= cap) return OVERFLOW;
      store<u32>(candIdx + (<usize>c << 2), base + i);
      store<u32>(candBits + (<usize>c << 2), b);
      c++;
    }
  }
  return c;
}
