// Radix select of the k-th largest mag (see scan.ts) and its ties, for the select kernels.
//
// The full select over x (or any mags) takes digits of 11/10/10 bits (selectKth); the current
// bucket is compacted into scratch as soon as it fits. Candidates that all lie at or above a
// threshold t take t-relative digits instead (selectCandidates): one histogram, usually one
// compaction. Results come back in module globals (found*, kthMag, kthTies): one instance runs one
// kernel at a time, and kernels never allocate.
import { MAG_MASK, PACK32_LUT } from './scan';

export const BUCKETS1: u32 = 2048; // digit 1: mag bits 30..20
export const BUCKETS2: u32 = 1024; // digits 2 and 3: bits 19..10, 9..0
/** Four interleaved histograms of 2048 u32 (repeated buckets do not serialize on one counter). */
export const HIST_BYTES: u32 = 4 * BUCKETS1 * 4;
/** Histograms of fewer values use one table (clearing and merging four would cost more). */
const SMALL_HIST: u32 = 8192;

// Results of findDigit (module globals: one instance runs one kernel at a time).
export let foundDigit: u32 = 0;
export let foundRank: u32 = 0;
export let foundAbove: u32 = 0;

/** Walks hist from the top bucket down to the one holding the rank-th largest (1-based). */
export function findDigit(hist: usize, buckets: u32, rank: u32): void {
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
 * (pshift = 31 selects all). Long inputs use four sub-histograms at hist + j * 8 KiB, summed into
 * the first.
 */
export function histogram(a: usize, len: u32, shift: u32, digitMask: u32, pshift: u32, prefix: u32, hist: usize, buckets: u32): void {
  const bytes = <usize>buckets << 2;
  memory.fill(hist, 0, bytes);
  let i: u32 = 0;
  if (len >= SMALL_HIST) {
    const h1 = hist + BUCKETS1 * 4;
    const h2 = h1 + BUCKETS1 * 4;
    const h3 = h2 + BUCKETS1 * 4;
    memory.fill(h1, 0, bytes);
    memory.fill(h2, 0, bytes);
    memory.fill(h3, 0, bytes);
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
    for (let d: u32 = 0; d < buckets; d++) {
      const o = <usize>d << 2;
      store<u32>(hist + o, load<u32>(hist + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
    }
  }
  for (; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    const q = hist + (<usize>((m >>> shift) & digitMask) << 2);
    store<u32>(q, load<u32>(q) + <u32>(m >>> pshift == prefix));
  }
}

/** Copies the mags of a[0..len) with mag >>> pshift == prefix to out; out needs count + 4 slots. */
function collect(a: usize, len: u32, pshift: u32, prefix: u32, out: usize): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    // Four at a time, left-packed by the shuffle table (the 16-byte store may pass count by 3).
    const magMask = i32x4.splat(MAG_MASK);
    const pv = i32x4.splat(prefix);
    for (; i + 4 <= len; i += 4) {
      const m = v128.and(v128.load(a + (<usize>i << 2)), magMask);
      const take = <u32>i32x4.bitmask(i32x4.eq(i32x4.shr_u(m, pshift), pv));
      v128.store(out + (<usize>c << 2), i8x16.swizzle(m, v128.load(PACK32_LUT + (<usize>take << 4))));
      c += popcnt(take);
    }
  }
  for (; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    store<u32>(out + (<usize>c << 2), m);
    c += <u32>(m >>> pshift == prefix);
  }
  return c;
}

// Result of selectKth.
export let kthMag: u32 = 0;
export let kthTies: u32 = 0;

/**
 * Finds the rank-th largest mag of a[0..len) (values masked to mags) and how many values equal
 * to it belong to the top `rank` (1 <= rank <= len). buf (room for bufCap + 4 mags, not
 * overlapping a) takes a compacted copy of the current bucket once one fits.
 */
export function selectKth(a: usize, len: u32, rank: u32, hist: usize, buf: usize, bufCap: u32): void {
  histogram(a, len, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rank);
  let prefix = foundDigit; // value of mag >>> pshift shared by the current bucket
  let pshift: u32 = 20;
  let r = foundRank;
  let count = load<u32>(hist + (<usize>foundDigit << 2));
  let src = a;
  let srcLen = len;
  // Digits 2 and 3 (10 bits each).
  for (let level = 0; level < 2; level++) {
    if (src == a && count <= bufCap && count < srcLen) {
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

/** hist[min((mag - t) >>> 10, 2047)] counts of a[0..len) (f32 bits or mags, all mag >= t); four tables when long. */
function relativeHistogram(a: usize, len: u32, t: u32, hist: usize): void {
  const bytes = <usize>BUCKETS1 << 2;
  memory.fill(hist, 0, bytes);
  let i: u32 = 0;
  if (len >= SMALL_HIST) {
    const h1 = hist + bytes;
    const h2 = h1 + bytes;
    const h3 = h2 + bytes;
    memory.fill(h1, 0, 3 * bytes);
    for (; i + 4 <= len; i += 4) {
      const p = a + (<usize>i << 2);
      const d0 = ((load<u32>(p) & MAG_MASK) - t) >>> 10;
      const d1 = ((load<u32>(p, 4) & MAG_MASK) - t) >>> 10;
      const d2 = ((load<u32>(p, 8) & MAG_MASK) - t) >>> 10;
      const d3 = ((load<u32>(p, 12) & MAG_MASK) - t) >>> 10;
      const q0 = hist + (<usize>min<u32>(d0, 2047) << 2);
      const q1 = h1 + (<usize>min<u32>(d1, 2047) << 2);
      const q2 = h2 + (<usize>min<u32>(d2, 2047) << 2);
      const q3 = h3 + (<usize>min<u32>(d3, 2047) << 2);
      store<u32>(q0, load<u32>(q0) + 1);
      store<u32>(q1, load<u32>(q1) + 1);
      store<u32>(q2, load<u32>(q2) + 1);
      store<u32>(q3, load<u32>(q3) + 1);
    }
    for (let d: u32 = 0; d < BUCKETS1; d++) {
      const o = <usize>d << 2;
      store<u32>(hist + o, load<u32>(hist + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
    }
  }
  for (; i < len; i++) {
    const d = ((load<u32>(a + (<usize>i << 2)) & MAG_MASK) - t) >>> 10;
    const q = hist + (<usize>min<u32>(d, 2047) << 2);
    store<u32>(q, load<u32>(q) + 1);
  }
}

/**
 * selectKth for the c candidates (all mag >= t, low 10 bits of t zero) by t-relative digits:
 * the k-th largest usually lies within 2047 * 1024 of t (t is close below it), where one
 * compaction and one 10-bit histogram finish the job. buf has room for bufCap + 4 mags.
 */
export function selectCandidates(mags: usize, c: u32, k: u32, t: u32, hist: usize, buf: usize, bufCap: u32): void {
  relativeHistogram(mags, c, t, hist);
  findDigit(hist, BUCKETS1, k);
  if (foundDigit == 2047) {
    selectKth(mags, c, k, hist, buf, bufCap);
    return;
  }
  const r = foundRank;
  const count = load<u32>(hist + (<usize>foundDigit << 2));
  const prefix = (t >>> 10) + foundDigit; // mags in [lo, lo + 1024) share mag >>> 10
  if (count <= bufCap) {
    const len = collect(mags, c, 10, prefix, buf);
    histogram(buf, len, 0, 0x3ff, 31, 0, hist, BUCKETS2);
  } else {
    histogram(mags, c, 0, 0x3ff, 10, prefix, hist, BUCKETS2);
  }
  findDigit(hist, BUCKETS2, r);
  kthMag = (prefix << 10) | foundDigit;
  kthTies = foundRank;
}
