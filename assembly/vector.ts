// Dense f32 vector kernels (see src/kernels/abi.ts). Reductions: see internal/reduce.ts.
import { absmaxBits, reduce16 } from './internal/reduce';


/** y += a x */
export function axpy(n: u32, a: f32, x: usize, y: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 8 <= n; i += 8) {
      const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
      v128.store(py, f32x4.add(v128.load(py), f32x4.mul(va, v128.load(px))));
      v128.store(py, f32x4.add(v128.load(py, 16), f32x4.mul(va, v128.load(px, 16))), 16);
    }
  }
  for (; i < n; i++) {
    const py = y + (<usize>i << 2);
    store<f32>(py, load<f32>(py) + a * load<f32>(x + (<usize>i << 2)));
  }
}

/** y = a x + b y */
export function axpby(n: u32, a: f32, x: usize, b: f32, y: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a), vb = f32x4.splat(b);
    for (; i + 8 <= n; i += 8) {
      const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
      v128.store(py, f32x4.add(f32x4.mul(va, v128.load(px)), f32x4.mul(vb, v128.load(py))));
      v128.store(py, f32x4.add(f32x4.mul(va, v128.load(px, 16)), f32x4.mul(vb, v128.load(py, 16))), 16);
    }
  }
  for (; i < n; i++) {
    const py = y + (<usize>i << 2);
    store<f32>(py, a * load<f32>(x + (<usize>i << 2)) + b * load<f32>(py));
  }
}

/**
 * y = a x + b y (the same bits as axpby), returning how many results are NaN or +-Inf: the
 * finiteness check of a mix fused into the pass that writes it.
 */
export function axpby_nonfinite(n: u32, a: f32, x: usize, b: f32, y: usize): u32 {
  let i: u32 = 0;
  let c: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a), vb = f32x4.splat(b);
    const e = i32x4.splat(0x7f800000);
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const px = x + (<usize>i << 2), py = y + (<usize>i << 2);
      const r0 = f32x4.add(f32x4.mul(va, v128.load(px)), f32x4.mul(vb, v128.load(py)));
      const r1 = f32x4.add(f32x4.mul(va, v128.load(px, 16)), f32x4.mul(vb, v128.load(py, 16)));
      v128.store(py, r0);
      v128.store(py, r1, 16);
      c0 = i32x4.sub(c0, i32x4.eq(v128.and(r0, e), e));
      c1 = i32x4.sub(c1, i32x4.eq(v128.and(r1, e), e));
    }
    const t = i32x4.add(c0, c1);
    c = <u32>(i32x4.extract_lane(t, 0) + i32x4.extract_lane(t, 1) + i32x4.extract_lane(t, 2) + i32x4.extract_lane(t, 3));
  }
  for (; i < n; i++) {
    const py = y + (<usize>i << 2);
    const r = a * load<f32>(x + (<usize>i << 2)) + b * load<f32>(py);
    store<f32>(py, r);
    c += u32((reinterpret<u32>(r) & 0x7f800000) == 0x7f800000);
  }
  return c;
}

/** x *= a */
export function scale(n: u32, a: f32, x: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 2);
      v128.store(p, f32x4.mul(v128.load(p), va));
      v128.store(p, f32x4.mul(v128.load(p, 16), va), 16);
    }
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * a);
  }
}

/** dst = src (overlapping ranges allowed, like memmove). */
export function copy(n: u32, src: usize, dst: usize): void {
  memory.copy(dst, src, <usize>n << 2);
}

export function fill(n: u32, v: f32, x: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const vv = f32x4.splat(v);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 2);
      v128.store(p, vv);
      v128.store(p, vv, 16);
    }
  }
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), v);
}

/** out = x - y */
export function sub(n: u32, x: usize, y: usize, out: usize): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    for (; i + 8 <= n; i += 8) {
      const o = <usize>i << 2;
      const a0 = v128.load(x + o), a1 = v128.load(x + o, 16);
      const b0 = v128.load(y + o), b1 = v128.load(y + o, 16);
      v128.store(out + o, f32x4.sub(a0, b0));
      v128.store(out + o, f32x4.sub(a1, b1), 16);
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) - load<f32>(y + o));
  }
}

/** sum x[i] y[i], f64 lanes */
export function dot(n: u32, x: usize, y: usize): f64 { return reduce16(n, x, y, 2); }

/** sum x[i]^2, f64 lanes */
export function norm2sq(n: u32, x: usize): f64 { return reduce16(n, x, x, 2); }

/** max |x[i]| (0 for n = 0; a NaN if any x[i] is NaN) */
export function absmax(n: u32, x: usize): f32 { return reinterpret<f32>(absmaxBits(n, x)); }

/** sum x[i], f64 lanes */
export function sum(n: u32, x: usize): f64 { return reduce16(n, x, 0, 0); }

/** Count of NaN/Inf entries (exponent bits all ones). */
export function count_nonfinite(n: u32, x: usize): u32 {
  let i: u32 = 0;
  let c: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const e = i32x4.splat(0x7f800000);
    let c0 = i32x4.splat(0), c1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 2);
      c0 = i32x4.sub(c0, i32x4.eq(v128.and(v128.load(p), e), e));
      c1 = i32x4.sub(c1, i32x4.eq(v128.and(v128.load(p, 16), e), e));
    }
    const t = i32x4.add(c0, c1);
    c = <u32>(i32x4.extract_lane(t, 0) + i32x4.extract_lane(t, 1) + i32x4.extract_lane(t, 2) + i32x4.extract_lane(t, 3));
  }
  for (; i < n; i++) c += u32((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000);
  return c;
}
