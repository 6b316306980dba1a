// Shared internals of the kernels (not exported from the module).
//
// Reductions accumulate in f64 over 16 interleaved lanes (lane = i % 16) and combine them in a
// fixed tree (combine16), in both builds and in src/kernels/reference/lanes.ts, so all three give
// bit-identical results. f32*f32 products are exact in f64. A lane accumulator starts at +0 and
// never becomes -0, so adding +0 for missing tail elements is an identity.


/** Loads min(count, 4) f32s at p into a zero-padded vector, reading nothing past them. */
// @ts-ignore: decorator
@inline export function loadPartialF32x4(p: usize, count: i32): v128 {
  if (count >= 4) return v128.load(p);
  let v = f32x4.splat(0);
  if (count > 0) v = f32x4.replace_lane(v, 0, load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p, 8));
  return v;
}

// @ts-ignore: decorator
@inline export function lo2(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
// @ts-ignore: decorator
@inline export function hi2(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 2, 3)); }

/** Vector a_k holds lanes 2k, 2k+1: even lanes ((0+2)+(4+6))+((8+10)+(12+14)), same for odd, then even+odd. */
// @ts-ignore: decorator
@inline export function combine16v(a0: v128, a1: v128, a2: v128, a3: v128, a4: v128, a5: v128, a6: v128, a7: v128): f64 {
  const t = f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7)));
  return f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
}

// @ts-ignore: decorator
@inline function combine16s(
  s0: f64, s1: f64, s2: f64, s3: f64, s4: f64, s5: f64, s6: f64, s7: f64,
  s8: f64, s9: f64, s10: f64, s11: f64, s12: f64, s13: f64, s14: f64, s15: f64,
): f64 {
  const even = ((s0 + s2) + (s4 + s6)) + ((s8 + s10) + (s12 + s14));
  const odd = ((s1 + s3) + (s5 + s7)) + ((s9 + s11) + (s13 + s15));
  return even + odd;
}

/** x[j] as f64 when j < r, else +0 (tail padding). */
// @ts-ignore: decorator
@inline function at(p: usize, j: i32, r: i32): f64 {
  return j < r ? <f64>load<f32>(p + (<usize>j << 2)) : 0;
}

/** x[j]*y[j] in f64 when j < r, else +0. */
// @ts-ignore: decorator
@inline function atProd(p: usize, q: usize, j: i32, r: i32): f64 {
  return j < r ? <f64>load<f32>(p + (<usize>j << 2)) * <f64>load<f32>(q + (<usize>j << 2)) : 0;
}

/** |x[j]| as f64 when j < r, else +0. */
// @ts-ignore: decorator
@inline function atAbs(p: usize, j: i32, r: i32): f64 {
  return j < r ? <f64>abs<f32>(load<f32>(p + (<usize>j << 2))) : 0;
}

/** Lane-ordered f64 sum of x[0..n) (mode 0), of |x| (mode 1), of x*y (mode 2). */
// @ts-ignore: decorator
@inline export function reduce16(n: u32, x: usize, y: usize, mode: i32): f64 {
  const blocks = n >>> 4;
  const r = <i32>(n & 15);
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    let p = x, q = y;
    for (let b: u32 = 0; b <= blocks; b++) {
      let v0: v128, v1: v128, v2: v128, v3: v128;
      let w0 = f32x4.splat(0), w1 = f32x4.splat(0), w2 = f32x4.splat(0), w3 = f32x4.splat(0);
      if (b < blocks) {
        v0 = v128.load(p); v1 = v128.load(p, 16); v2 = v128.load(p, 32); v3 = v128.load(p, 48);
        if (mode == 2) { w0 = v128.load(q); w1 = v128.load(q, 16); w2 = v128.load(q, 32); w3 = v128.load(q, 48); }
      } else {
        if (r == 0) break;
        v0 = loadPartialF32x4(p, r); v1 = loadPartialF32x4(p + 16, r - 4);
        v2 = loadPartialF32x4(p + 32, r - 8); v3 = loadPartialF32x4(p + 48, r - 12);
        if (mode == 2) {
          w0 = loadPartialF32x4(q, r); w1 = loadPartialF32x4(q + 16, r - 4);
          w2 = loadPartialF32x4(q + 32, r - 8); w3 = loadPartialF32x4(q + 48, r - 12);
        }
      }
      if (mode == 1) { v0 = f32x4.abs(v0); v1 = f32x4.abs(v1); v2 = f32x4.abs(v2); v3 = f32x4.abs(v3); }
      if (mode == 2) {
        a0 = f64x2.add(a0, f64x2.mul(lo2(v0), lo2(w0))); a1 = f64x2.add(a1, f64x2.mul(hi2(v0), hi2(w0)));
        a2 = f64x2.add(a2, f64x2.mul(lo2(v1), lo2(w1))); a3 = f64x2.add(a3, f64x2.mul(hi2(v1), hi2(w1)));
        a4 = f64x2.add(a4, f64x2.mul(lo2(v2), lo2(w2))); a5 = f64x2.add(a5, f64x2.mul(hi2(v2), hi2(w2)));
        a6 = f64x2.add(a6, f64x2.mul(lo2(v3), lo2(w3))); a7 = f64x2.add(a7, f64x2.mul(hi2(v3), hi2(w3)));
      } else {
        a0 = f64x2.add(a0, lo2(v0)); a1 = f64x2.add(a1, hi2(v0));
        a2 = f64x2.add(a2, lo2(v1)); a3 = f64x2.add(a3, hi2(v1));
        a4 = f64x2.add(a4, lo2(v2)); a5 = f64x2.add(a5, hi2(v2));
        a6 = f64x2.add(a6, lo2(v3)); a7 = f64x2.add(a7, hi2(v3));
      }
      p += 64; q += 64;
    }
    return combine16v(a0, a1, a2, a3, a4, a5, a6, a7);
  } else {
    let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
    let s8: f64 = 0, s9: f64 = 0, s10: f64 = 0, s11: f64 = 0, s12: f64 = 0, s13: f64 = 0, s14: f64 = 0, s15: f64 = 0;
    let p = x, q = y;
    for (let b: u32 = 0; b <= blocks; b++) {
      const m = b < blocks ? 16 : r;
      if (m == 0) break;
      if (mode == 0) {
        s0 += at(p, 0, m); s1 += at(p, 1, m); s2 += at(p, 2, m); s3 += at(p, 3, m);
        s4 += at(p, 4, m); s5 += at(p, 5, m); s6 += at(p, 6, m); s7 += at(p, 7, m);
        s8 += at(p, 8, m); s9 += at(p, 9, m); s10 += at(p, 10, m); s11 += at(p, 11, m);
        s12 += at(p, 12, m); s13 += at(p, 13, m); s14 += at(p, 14, m); s15 += at(p, 15, m);
      } else if (mode == 1) {
        s0 += atAbs(p, 0, m); s1 += atAbs(p, 1, m); s2 += atAbs(p, 2, m); s3 += atAbs(p, 3, m);
        s4 += atAbs(p, 4, m); s5 += atAbs(p, 5, m); s6 += atAbs(p, 6, m); s7 += atAbs(p, 7, m);
        s8 += atAbs(p, 8, m); s9 += atAbs(p, 9, m); s10 += atAbs(p, 10, m); s11 += atAbs(p, 11, m);
        s12 += atAbs(p, 12, m); s13 += atAbs(p, 13, m); s14 += atAbs(p, 14, m); s15 += atAbs(p, 15, m);
      } else {
        s0 += atProd(p, q, 0, m); s1 += atProd(p, q, 1, m); s2 += atProd(p, q, 2, m); s3 += atProd(p, q, 3, m);
        s4 += atProd(p, q, 4, m); s5 += atProd(p, q, 5, m); s6 += atProd(p, q, 6, m); s7 += atProd(p, q, 7, m);
        s8 += atProd(p, q, 8, m); s9 += atProd(p, q, 9, m); s10 += atProd(p, q, 10, m); s11 += atProd(p, q, 11, m);
        s12 += atProd(p, q, 12, m); s13 += atProd(p, q, 13, m); s14 += atProd(p, q, 14, m); s15 += atProd(p, q, 15, m);
      }
      p += 64; q += 64;
    }
    return combine16s(s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, s10, s11, s12, s13, s14, s15);
  }
}

/** Lane-ordered f64 sum of |x[i]| (used by sign_pack). */
export function sumAbsF64(n: u32, x: usize): f64 { return reduce16(n, x, 0, 1); }

/** Max of the bit patterns with the sign cleared: max |x| for finite x, a NaN when any x is NaN. */
export function absmaxBits(n: u32, x: usize): u32 {
  let i: u32 = 0;
  let m: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const mask = i32x4.splat(0x7fffffff);
    let m0 = i32x4.splat(0), m1 = i32x4.splat(0), m2 = i32x4.splat(0), m3 = i32x4.splat(0);
    for (; i + 16 <= n; i += 16) {
      const p = x + (<usize>i << 2);
      m0 = i32x4.max_s(m0, v128.and(v128.load(p), mask));
      m1 = i32x4.max_s(m1, v128.and(v128.load(p, 16), mask));
      m2 = i32x4.max_s(m2, v128.and(v128.load(p, 32), mask));
      m3 = i32x4.max_s(m3, v128.and(v128.load(p, 48), mask));
    }
    for (; i + 4 <= n; i += 4) m0 = i32x4.max_s(m0, v128.and(v128.load(x + (<usize>i << 2)), mask));
    const t = i32x4.max_s(i32x4.max_s(m0, m1), i32x4.max_s(m2, m3));
    m = <u32>max(max(i32x4.extract_lane(t, 0), i32x4.extract_lane(t, 1)), max(i32x4.extract_lane(t, 2), i32x4.extract_lane(t, 3)));
  } else {
    let m0: u32 = 0, m1: u32 = 0, m2: u32 = 0, m3: u32 = 0;
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      m0 = max(m0, load<u32>(p) & 0x7fffffff);
      m1 = max(m1, load<u32>(p, 4) & 0x7fffffff);
      m2 = max(m2, load<u32>(p, 8) & 0x7fffffff);
      m3 = max(m3, load<u32>(p, 12) & 0x7fffffff);
    }
    m = max(max(m0, m1), max(m2, m3));
  }
  for (; i < n; i++) m = max(m, load<u32>(x + (<usize>i << 2)) & 0x7fffffff);
  return m;
}

/** The sum of v's four i32 lanes as u32 (integer sums wrap mod 2^32, so any order gives the same bits). */
// @ts-ignore: decorator
@inline export function laneSum(v: v128): u32 {
  return <u32>(i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3));
}
