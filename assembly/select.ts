// select kernels (see src/kernels/abi.ts): selection by magnitude, indices always ascending.
//
// Magnitudes are compared as u32 float bits with the sign cleared ("mag"): for non-NaN floats that
// is exactly the order of |x| (-0 == +0, subnormals ordered), and NaN sorts above +Inf.
//
// topk_abs, fast path (k small against n): estimate a threshold t from a stratified sample of
// cache lines, SIMD-filter the candidates mag >= t into scratch (index + mag, ascending) while
// histogramming their top digit, then radix-select the k-th largest mag among the candidates and
// write the answer from the candidates alone: one pass over x. When the sample misjudged (fewer
// than k candidates, or more than fit), or k is large, a full radix select runs over x instead
// (11/10/10-bit digits, switching to a compacted copy of the current bucket once it fits).
// Either way the output is: every index with mag > kth, plus the first `needTies` with mag == kth.
import { rng_u32 } from './random';

const MAG_MASK: u32 = 0x7fffffff;
const BUCKETS1: u32 = 2048; // digit 1: mag bits 30..20
const BUCKETS2: u32 = 1024; // digits 2 and 3: bits 19..10, 9..0
/** Four interleaved histograms of 2048 u32 (full scans update four so repeats do not serialize). */
const HIST_BYTES: u32 = 4 * BUCKETS1 * 4;
/** Below this n the full radix select over x is as cheap as sampling. */
const FAST_MIN_N: u32 = 1 << 15;
/** Target expected count of sample values above the k-th largest. */
const SAMPLE_HITS: f64 = 48;
/** At most 64 Ki sampled values (tiny k needs no more: the margin then dominates). */
const MAX_SAMPLE_LINES: u32 = 4096;

/** Candidate capacity for length n (the scratch holds cap indices and cap + 16 mags). */
function topkCap(n: u32): u32 {
  const c: u32 = n <= 8192 ? n : 8192 + (n >> 3);
  return (c + 15) & ~15;
}

export function topk_scratch_bytes(n: u32): u32 {
  return HIST_BYTES + topkCap(n) * 8 + 64;
}

// Results of findDigit (module globals: one instance runs one kernel at a time).
let foundDigit: u32 = 0;
let foundRank: u32 = 0;
let foundAbove: u32 = 0;

/** Walks hist from the top bucket down to the one holding the rank-th largest (1-based). */
function findDigit(hist: usize, buckets: u32, rank: u32): void {
  let above: u32 = 0;
  let d = buckets;
  while (d > 0) {
    d--;
    const h = load<u32>(hist + (<usize>d << 2));
    if (above + h >= rank) break;
    above += h;
  }
  foundDigit = d;
  foundRank = rank - above;
  foundAbove = above;
}

/**
 * hist[(mag >>> shift) & digitMask] += 1 for every value of a[0..len) with mag >>> pshift == prefix
 * (pshift = 31 selects all). Four sub-histograms at hist + j * 8 KiB are summed into the first.
 */
function histogram(a: usize, len: u32, shift: u32, digitMask: u32, pshift: u32, prefix: u32, hist: usize, buckets: u32): void {
  memory.fill(hist, 0, HIST_BYTES);
  const h1 = hist + BUCKETS1 * 4;
  const h2 = h1 + BUCKETS1 * 4;
  const h3 = h2 + BUCKETS1 * 4;
  let i: u32 = 0;
  for (; i + 4 <= len; i += 4) {
    const p = a + (<usize>i << 2);
    const m0 = load<u32>(p) & MAG_MASK;
    const m1 = load<u32>(p, 4) & MAG_MASK;
    const m2 = load<u32>(p, 8) & MAG_MASK;
    const m3 = load<u32>(p, 12) & MAG_MASK;
    const q0 = hist + (<usize>((m0 >>> shift) & digitMask) << 2);
    const q1 = h1 + (<usize>((m1 >>> shift) & digitMask) << 2);
    const q2 = h2 + (<usize>((m2 >>> shift) & digitMask) << 2);
    const q3 = h3 + (<usize>((m3 >>> shift) & digitMask) << 2);
    store<u32>(q0, load<u32>(q0) + <u32>(m0 >>> pshift == prefix));
    store<u32>(q1, load<u32>(q1) + <u32>(m1 >>> pshift == prefix));
    store<u32>(q2, load<u32>(q2) + <u32>(m2 >>> pshift == prefix));
    store<u32>(q3, load<u32>(q3) + <u32>(m3 >>> pshift == prefix));
  }
  for (; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    const q = hist + (<usize>((m >>> shift) & digitMask) << 2);
    store<u32>(q, load<u32>(q) + <u32>(m >>> pshift == prefix));
  }
  for (let d: u32 = 0; d < buckets; d++) {
    const o = <usize>d << 2;
    store<u32>(hist + o, load<u32>(hist + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
  }
}

/** Copies the mags of a[0..len) with mag >>> pshift == prefix to out; out needs count + 1 slots. */
function collect(a: usize, len: u32, pshift: u32, prefix: u32, out: usize): u32 {
  let c: u32 = 0;
  for (let i: u32 = 0; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    store<u32>(out + (<usize>c << 2), m);
    c += <u32>(m >>> pshift == prefix);
  }
  return c;
}

// Result of selectKth.
let kthMag: u32 = 0;
let kthTies: u32 = 0;

/**
 * Finds the rank-th largest mag of a[0..len) (values masked to mags) and how many values equal
 * to it belong to the top `rank`. hist holds digit-1 counts of a already when `haveHist`.
 * buf (room for cap + 1 mags) holds a compacted bucket once one fits; buf must not overlap a.
 */
function selectKth(a: usize, len: u32, rank: u32, hist: usize, haveHist: bool, buf: usize, cap: u32): void {
  if (!haveHist) histogram(a, len, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rank);
  let prefix = foundDigit; // value of mag >>> pshift shared by the current bucket
  let pshift: u32 = 20;
  let r = foundRank;
  let count = load<u32>(hist + (<usize>foundDigit << 2));
  let src = a;
  let srcLen = len;
  // Digits 2 and 3 (10 bits each).
  for (let level = 0; level < 2; level++) {
    if (src == a && count <= cap && count < srcLen) {
      srcLen = collect(src, srcLen, pshift, prefix, buf);
      src = buf;
    }
    const shift = pshift - 10;
    histogram(src, srcLen, shift, 0x3ff, pshift, prefix, hist, BUCKETS2);
    findDigit(hist, BUCKETS2, r);
    r = foundRank;
    count = load<u32>(hist + (<usize>foundDigit << 2));
    prefix = (prefix << 10) | foundDigit;
    pshift = shift;
  }
  kthMag = prefix;
  kthTies = r; // the top `rank` take r of the `count` values equal to kth
}

/**
 * Writes ascending indices of a[0..len) with mag > kth, plus the first `ties` with mag == kth,
 * until k are written; index of element i is useIdx ? load(idx + 4i) : i (useIdx is a constant at
 * each inlined call site, so no index is ever read when it is false). Returns the count written.
 */
// @ts-ignore: decorator
@inline function emit(a: usize, useIdx: bool, idx: usize, len: u32, kth: u32, ties: u32, out: usize, k: u32): u32 {
  let c: u32 = 0;
  let t: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    if (kth > 0) {
      const tv = i32x4.splat(kth - 1);
      const mv = i32x4.splat(MAG_MASK);
      for (; i + 16 <= len; i += 16) {
        const p = a + (<usize>i << 2);
        const g0 = i32x4.gt_s(v128.and(v128.load(p), mv), tv);
        const g1 = i32x4.gt_s(v128.and(v128.load(p, 16), mv), tv);
        const g2 = i32x4.gt_s(v128.and(v128.load(p, 32), mv), tv);
        const g3 = i32x4.gt_s(v128.and(v128.load(p, 48), mv), tv);
        if (!v128.any_true(v128.or(v128.or(g0, g1), v128.or(g2, g3)))) continue;
        if (c + 16 <= k) {
          // Branchless: slot c is inside out while c + 16 <= k.
          for (let j: u32 = 0; j < 16; j++) {
            const m = load<u32>(p + (<usize>j << 2)) & MAG_MASK;
            const eq = <u32>(m == kth);
            const take = <u32>(m > kth) | (eq & <u32>(t < ties));
            t += eq;
            store<u32>(out + (<usize>c << 2), useIdx ? load<u32>(idx + (<usize>(i + j) << 2)) : i + j);
            c += take;
          }
        } else {
          for (let j: u32 = 0; j < 16; j++) {
            const m = load<u32>(p + (<usize>j << 2)) & MAG_MASK;
            if (m > kth || (m == kth && t < ties)) {
              store<u32>(out + (<usize>c << 2), useIdx ? load<u32>(idx + (<usize>(i + j) << 2)) : i + j);
              c++;
            }
            t += <u32>(m == kth);
          }
          if (c >= k) return c;
        }
      }
    }
  }
  for (; i < len && c < k; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    if (m > kth || (m == kth && t < ties)) {
      store<u32>(out + (<usize>c << 2), useIdx ? load<u32>(idx + (<usize>i << 2)) : i);
      c++;
    }
    t += <u32>(m == kth);
  }
  return c;
}

/**
 * A threshold t (mag bits) estimated from a stratified sample of 16-float lines such that about
 * k plus a safety margin of x have mag >= t; 0 when sampling cannot help (then: full select).
 */
function sampleThreshold(x: usize, n: u32, k: u32, buf: usize, hist: usize, cap: u32): u32 {
  const lines = n >>> 4;
  let want = <u32>Math.ceil(SAMPLE_HITS * <f64>n / (16.0 * <f64>k));
  if (want > (lines >>> 3)) want = lines >>> 3;
  if (want > MAX_SAMPLE_LINES) want = MAX_SAMPLE_LINES;
  if (want < 16) return 0;
  const stride = lines / want;
  // Line j comes from stratum [j * stride, (j + 1) * stride) at a fixed pseudo-random offset.
  for (let j: u32 = 0; j < want; j++) {
    const jitter = <u32>((<u64>rng_u32(0x5eed, j) * <u64>stride) >>> 32);
    const src = x + ((<usize>(j * stride + jitter)) << 6);
    const dst = buf + (<usize>j << 6);
    if (ASC_FEATURE_SIMD) {
      v128.store(dst, v128.load(src));
      v128.store(dst, v128.load(src, 16), 16);
      v128.store(dst, v128.load(src, 32), 32);
      v128.store(dst, v128.load(src, 48), 48);
    } else {
      for (let b: usize = 0; b < 64; b += 8) store<u64>(dst + b, load<u64>(src + b));
    }
  }
  const s = want << 4;
  const expected = <f64>s * <f64>k / <f64>n;
  const rank = <u32>Math.ceil(expected + 4.0 * Math.sqrt(expected) + 4.0);
  if (rank >= s) return 0;
  // Two digits (21 bits) of the rank-th largest sample mag; t is the low edge of its bucket.
  histogram(buf, s, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rank);
  const d1 = foundDigit;
  const r1 = foundRank;
  const above1 = foundAbove;
  histogram(buf, s, 10, 0x3ff, 20, d1, hist, BUCKETS2);
  findDigit(hist, BUCKETS2, r1);
  const t = (d1 << 20) | (foundDigit << 10);
  const sampleAtOrAbove = above1 + foundAbove + load<u32>(hist + (<usize>foundDigit << 2));
  // Expected candidates (with 25% slack) must fit.
  if (<f64>sampleAtOrAbove * <f64>n / <f64>s * 1.25 > <f64>cap) return 0;
  return t;
}

/**
 * Candidates mag >= t (t >= 1) of x into candIdx/candMag, ascending; digit-1 counts into hist.
 * Returns the count, or 0xffffffff when more than cap would be needed.
 */
function filterCandidates(x: usize, n: u32, t: u32, candIdx: usize, candMag: usize, cap: u32, hist: usize): u32 {
  memory.fill(hist, 0, BUCKETS1 * 4);
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = i32x4.splat(t - 1);
    const mv = i32x4.splat(MAG_MASK);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      const g0 = i32x4.gt_s(v128.and(v128.load(p), mv), tv);
      const g1 = i32x4.gt_s(v128.and(v128.load(p, 16), mv), tv);
      const g2 = i32x4.gt_s(v128.and(v128.load(p, 32), mv), tv);
      const g3 = i32x4.gt_s(v128.and(v128.load(p, 48), mv), tv);
      if (!v128.any_true(v128.or(v128.or(g0, g1), v128.or(g2, g3)))) continue;
      if (c + 16 > cap) return 0xffffffff;
      let bits = <u32>(i32x4.bitmask(g0) | (i32x4.bitmask(g1) << 4) | (i32x4.bitmask(g2) << 8) | (i32x4.bitmask(g3) << 12));
      while (bits) {
        const j = ctz(bits);
        bits &= bits - 1;
        const m = load<u32>(p + (<usize>j << 2)) & MAG_MASK;
        store<u32>(candIdx + (<usize>c << 2), i + j);
        store<u32>(candMag + (<usize>c << 2), m);
        const q = hist + (<usize>(m >>> 20) << 2);
        store<u32>(q, load<u32>(q) + 1);
        c++;
      }
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      const m0 = load<u32>(p) & MAG_MASK;
      const m1 = load<u32>(p, 4) & MAG_MASK;
      const m2 = load<u32>(p, 8) & MAG_MASK;
      const m3 = load<u32>(p, 12) & MAG_MASK;
      if ((<u32>(m0 >= t) | <u32>(m1 >= t) | <u32>(m2 >= t) | <u32>(m3 >= t)) == 0) continue;
      if (c + 4 > cap) return 0xffffffff;
      for (let j: u32 = 0; j < 4; j++) {
        const m = load<u32>(p + (<usize>j << 2)) & MAG_MASK;
        if (m >= t) {
          store<u32>(candIdx + (<usize>c << 2), i + j);
          store<u32>(candMag + (<usize>c << 2), m);
          const q = hist + (<usize>(m >>> 20) << 2);
          store<u32>(q, load<u32>(q) + 1);
          c++;
        }
      }
    }
  }
  for (; i < n; i++) {
    const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
    if (m >= t) {
      if (c >= cap) return 0xffffffff;
      store<u32>(candIdx + (<usize>c << 2), i);
      store<u32>(candMag + (<usize>c << 2), m);
      const q = hist + (<usize>(m >>> 20) << 2);
      store<u32>(q, load<u32>(q) + 1);
      c++;
    }
  }
  return c;
}

export function topk_abs(x: usize, n: u32, k: u32, outIdx: usize, scratch: usize): u32 {
  if (k < 1 || k > n) return 0;
  const cap = topkCap(n);
  const hist = scratch;
  const candIdx = scratch + HIST_BYTES;
  const candMag = candIdx + (<usize>cap << 2);
  if (n >= FAST_MIN_N && k <= (cap >>> 2)) {
    const t = sampleThreshold(x, n, k, candMag, hist, cap);
    if (t > 0) {
      const c = filterCandidates(x, n, t, candIdx, candMag, cap, hist);
      if (c != 0xffffffff && c >= k) {
        // The top k of x are all candidates (c >= k and every candidate has mag >= t).
        selectKth(candMag, c, k, hist, true, 0, 0);
        return emit(candMag, true, candIdx, c, kthMag, kthTies, outIdx, k);
      }
    }
  }
  selectKth(x, n, k, hist, false, candMag, cap);
  return emit(x, false, 0, n, kthMag, kthTies, outIdx, k);
}

export function threshold_abs(x: usize, n: u32, lambda: f32, outIdx: usize): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      const g0 = f32x4.ge(f32x4.abs(v128.load(p)), lv);
      const g1 = f32x4.ge(f32x4.abs(v128.load(p, 16)), lv);
      const g2 = f32x4.ge(f32x4.abs(v128.load(p, 32)), lv);
      const g3 = f32x4.ge(f32x4.abs(v128.load(p, 48)), lv);
      if (!v128.any_true(v128.or(v128.or(g0, g1), v128.or(g2, g3)))) continue;
      let bits = <u32>(i32x4.bitmask(g0) | (i32x4.bitmask(g1) << 4) | (i32x4.bitmask(g2) << 8) | (i32x4.bitmask(g3) << 12));
      while (bits) {
        store<u32>(outIdx + (<usize>c << 2), i + ctz(bits));
        bits &= bits - 1;
        c++;
      }
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      const b0 = <u32>(Mathf.abs(load<f32>(p)) >= lambda);
      const b1 = <u32>(Mathf.abs(load<f32>(p, 4)) >= lambda);
      const b2 = <u32>(Mathf.abs(load<f32>(p, 8)) >= lambda);
      const b3 = <u32>(Mathf.abs(load<f32>(p, 12)) >= lambda);
      if ((b0 | b1 | b2 | b3) == 0) continue;
      // Branchless: slot c <= i + j < n is inside out.
      store<u32>(outIdx + (<usize>c << 2), i);
      c += b0;
      store<u32>(outIdx + (<usize>c << 2), i + 1);
      c += b1;
      store<u32>(outIdx + (<usize>c << 2), i + 2);
      c += b2;
      store<u32>(outIdx + (<usize>c << 2), i + 3);
      c += b3;
    }
  }
  for (; i < n; i++) {
    if (Mathf.abs(load<f32>(x + (<usize>i << 2))) >= lambda) {
      store<u32>(outIdx + (<usize>c << 2), i);
      c++;
    }
  }
  return c;
}

export function threshold_count(x: usize, n: u32, lambda: f32): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 2);
      a0 = i32x4.sub(a0, f32x4.ge(f32x4.abs(v128.load(p)), lv));
      a1 = i32x4.sub(a1, f32x4.ge(f32x4.abs(v128.load(p, 16)), lv));
    }
    const a = i32x4.add(a0, a1);
    c = <u32>(i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3));
  }
  for (; i < n; i++) c += <u32>(Mathf.abs(load<f32>(x + (<usize>i << 2))) >= lambda);
  return c;
}

export function randk_scratch_bytes(n: u32, k: u32): u32 {
  return ((n + 63) >>> 6) << 3;
}

/** Unbiased integer in [0, m) from the stream (Lemire), advancing counter; identical to RandomStream.nextInt. */
let streamCounter: u32 = 0;
// @ts-ignore: decorator
@inline function nextInt(key: u32, m: u32): u32 {
  let p = <u64>rng_u32(key, streamCounter++) * <u64>m;
  if (<u32>p < m) {
    const t: u32 = (<u32>0 - m) % m;
    while (<u32>p < t) p = <u64>rng_u32(key, streamCounter++) * <u64>m;
  }
  return <u32>(p >>> 32);
}

/**
 * Floyd's algorithm over a bitmap in scratch: for j = n-k .. n-1, t = nextInt(j + 1) from the
 * stream (key, counters 0, 1, ...); take t unless already taken, else take j. Then the set bits
 * are written ascending.
 */
export function randk(n: u32, k: u32, key: u32, outIdx: usize, scratch: usize): u32 {
  if (k > n) return 0;
  const words = (n + 63) >>> 6;
  memory.fill(scratch, 0, <usize>words << 3);
  streamCounter = 0;
  for (let j = n - k; j < n; j++) {
    let t = nextInt(key, j + 1);
    const w = scratch + (<usize>(t >>> 6) << 3);
    const bit = <u64>1 << <u64>(t & 63);
    const word = load<u64>(w);
    if (word & bit) {
      const wj = scratch + (<usize>(j >>> 6) << 3);
      store<u64>(wj, load<u64>(wj) | (<u64>1 << <u64>(j & 63)));
    } else {
      store<u64>(w, word | bit);
    }
  }
  let c: u32 = 0;
  for (let wi: u32 = 0; wi < words; wi++) {
    let word = load<u64>(scratch + (<usize>wi << 3));
    while (word) {
      store<u32>(outIdx + (<usize>c << 2), (wi << 6) + <u32>ctz(word));
      word &= word - 1;
      c++;
    }
  }
  return c;
}
