// threshold_abs / threshold_count (see src/kernels/abi.ts): every index with |x| >= lambda
// (NaN never passes), ascending, or their count. SIMD: chunked scan of scan.ts.
import { CHUNK, DENSE_RATIO, scanChunk } from './scan';
import { laneSum } from '../internal/reduce';

export function threshold_abs(x: usize, n: u32, lambda: f32, outIdx: usize): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    const end16 = n & ~15;
    let dense = false;
    while (i < end16) {
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      // The chunk's u16 offsets go to out + 4c (bytes 4c .. 4c + 2 * hits + 16 <= 4i + 4 * chunk:
      // inside out, as c <= i), then widen in place from the top down (u32 slot j covers u16
      // slots 2j and 2j + 1 >= j, all read by then).
      const buf = outIdx + (<usize>c << 2);
      const h = dense ? scanChunk(x, i, end, lv, true, buf, false) : scanChunk(x, i, end, lv, false, buf, false);
      let j = h;
      while (j & 7) {
        j--;
        store<u32>(buf + (<usize>j << 2), i + <u32>load<u16>(buf + (<usize>j << 1)));
      }
      const base = i32x4.splat(i);
      while (j > 0) {
        j -= 8;
        const o = v128.load(buf + (<usize>j << 1));
        v128.store(buf + (<usize>j << 2), i32x4.add(base, i32x4.extend_low_i16x8_u(o)));
        v128.store(buf + (<usize>j << 2), i32x4.add(base, i32x4.extend_high_i16x8_u(o)), 16);
      }
      c += h;
      dense = h * DENSE_RATIO > end - i;
      i = end;
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
    c = laneSum(a);
  }
  for (; i < n; i++) c += <u32>(Mathf.abs(load<f32>(x + (<usize>i << 2))) >= lambda);
  return c;
}
