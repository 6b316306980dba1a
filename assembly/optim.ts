// Fused optimizer kernels for the engine's local steps: one pass over the vectors instead of three
// (the engine is memory-bound outside the gradient: every pass over a device's d floats counts).
// Elementwise only, so the SIMD and scalar builds give identical bits (wasm has no fused multiply-add).
import { laneSum } from './internal/reduce';

@inline
function nonFinite(v: f32): u32 {
  return (reinterpret<u32>(v) & 0x7f800000) == 0x7f800000 ? 1 : 0;
}

/**
 * Momentum SGD step: u = g + wd*p (u = g when wd == 0); m = beta*m + u; t += a*m.
 * Typical use: p = the model the gradient g was taken at, t = the push-sum numerator, a = -lr.
 * p may alias t (it is read before t is written at each index). Returns the number of NaN/Inf
 * entries written to t (a free finiteness check).
 */
export function momentum_step(n: u32, beta: f32, wd: f32, p: usize, g: usize, m: usize, a: f32, t: usize): u32 {
  let i: u32 = 0;
  let bad: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vb = f32x4.splat(beta), vw = f32x4.splat(wd), va = f32x4.splat(a);
    const expMask = i32x4.splat(0x7f800000);
    let badV = i32x4.splat(0);
    // Two loops rather than a weight-decay test per vector; 8 floats per step in the common wd == 0 one.
    if (wd == 0) {
      for (; i + 8 <= n; i += 8) {
        const o = <usize>i << 2;
        const m0 = f32x4.add(f32x4.mul(vb, v128.load(m + o)), v128.load(g + o));
        const m1 = f32x4.add(f32x4.mul(vb, v128.load(m + o, 16)), v128.load(g + o, 16));
        const t0 = f32x4.add(v128.load(t + o), f32x4.mul(va, m0));
        const t1 = f32x4.add(v128.load(t + o, 16), f32x4.mul(va, m1));
        v128.store(m + o, m0);
        v128.store(m + o, m1, 16);
        v128.store(t + o, t0);
        v128.store(t + o, t1, 16);
        badV = i32x4.sub(i32x4.sub(badV, i32x4.eq(v128.and(t0, expMask), expMask)), i32x4.eq(v128.and(t1, expMask), expMask));
      }
    } else {
      for (; i + 4 <= n; i += 4) {
        const o = <usize>i << 2;
        const u = f32x4.add(v128.load(g + o), f32x4.mul(vw, v128.load(p + o)));
        const mv = f32x4.add(f32x4.mul(vb, v128.load(m + o)), u);
        v128.store(m + o, mv);
        const tv = f32x4.add(v128.load(t + o), f32x4.mul(va, mv));
        v128.store(t + o, tv);
        badV = i32x4.sub(badV, i32x4.eq(v128.and(tv, expMask), expMask));
      }
    }
    bad = laneSum(badV);
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let u = load<f32>(g + o);
    if (wd != 0) u = u + wd * load<f32>(p + o);
    const mv = beta * load<f32>(m + o) + u;
    store<f32>(m + o, mv);
    const tv = load<f32>(t + o) + a * mv;
    store<f32>(t + o, tv);
    bad += nonFinite(tv);
  }
  return bad;
}

/** out = a * x (one pass; x and out must not overlap partially). */
export function scale_into(n: u32, a: f32, x: usize, out: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(x + o), va));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * a);
  }
}
