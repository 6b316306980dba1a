// Writing the answer of topk_abs once the k-th largest mag (kth) and its `ties` are known: every
// index with mag > kth, plus the first `ties` with mag == kth, ascending; from the candidates in
// scratch (emitCandidates) or from x (emitAll, chunked as in scan.ts), then the values (gathered).
import { CHUNK, DENSE_RATIO, MAG_MASK, PACK32_LUT, scanChunk } from './scan';
import { laneSum } from '../internal/reduce';

/**
 * Writes idx[i] (and bits[i] to outVals when `values`) for the candidates i (ascending) with
 * mag > kth, plus the first `ties` with mag == kth, until k are written. Returns the count written.
 * SIMD: four candidates at a time, left-packed by a 16-entry shuffle table (the stores stay inside
 * out while c + 4 <= k); a block with a candidate equal to kth takes only as many as ties allow.
 */
export function emitCandidates(bits: usize, idx: usize, len: u32, kth: u32, ties: u32, out: usize, outVals: usize, values: bool, k: u32): u32 {
  let c: u32 = 0;
  let t = ties;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = i32x4.splat(kth);
    const magMask = i32x4.splat(MAG_MASK);
    for (; i + 4 <= len && c + 4 <= k; i += 4) {
      const b = v128.load(bits + (<usize>i << 2));
      const m = v128.and(b, magMask);
      let take = <u32>i32x4.bitmask(i32x4.gt_s(m, kv)); // mags are < 2^31: signed order is theirs
      let eq = <u32>i32x4.bitmask(i32x4.eq(m, kv));
      if (eq) {
        // The lowest `t` equal lanes (ascending index) are the ties still wanted.
        while (popcnt(eq) > t) eq &= ~(<u32>1 << (31 - clz(eq)));
        t -= popcnt(eq);
        take |= eq;
      }
      const shuffle = v128.load(PACK32_LUT + (<usize>take << 4));
      v128.store(out + (<usize>c << 2), i8x16.swizzle(v128.load(idx + (<usize>i << 2)), shuffle));
      if (values) v128.store(outVals + (<usize>c << 2), i8x16.swizzle(b, shuffle));
      c += popcnt(take);
    }
  }
  for (; i < len && c < k; i++) {
    const b = load<u32>(bits + (<usize>i << 2));
    const m = b & MAG_MASK;
    if (m > kth || (m == kth && t > 0)) {
      store<u32>(out + (<usize>c << 2), load<u32>(idx + (<usize>i << 2)));
      if (values) store<u32>(outVals + (<usize>c << 2), b);
      c++;
      if (m == kth) t--;
    }
  }
  return c;
}

/**
 * Writes the ascending indices of x with mag > kth, plus the first `ties` with mag == kth, never
 * more than k (out has room for k). SIMD: chunks scanned like threshold_abs with the test
 * |x| >= f32(kth) while the chunk's ties all fit, else |x| >= f32(kth + 1) (mag > kth), or
 * element by element in the chunk where the ties run out; offsets staged in offs (CHUNK + 8 u16).
 * Returns the count written (k).
 */
export function emitAll(x: usize, n: u32, kth: u32, ties: u32, out: usize, k: u32, offs: usize): u32 {
  let c: u32 = 0;
  let tiesLeft = ties;
  let i: u32 = 0;
  // (kth >= +Inf bits, possible only for Inf or NaN input, takes the exact element loop: the
  // float threshold for mag > kth would be NaN.)
  if (ASC_FEATURE_SIMD && kth < 0x7f800000) {
    const gev = f32x4.splat(reinterpret<f32>(kth));
    const gtv = f32x4.splat(reinterpret<f32>(kth + 1));
    const end16 = n & ~15;
    let dense = false;
    while (i < end16 && c < k) {
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      let tv = gtv;
      if (tiesLeft > 0) {
        let eqv = i32x4.splat(0);
        for (let j = i; j < end; j += 4) eqv = i32x4.sub(eqv, f32x4.eq(f32x4.abs(v128.load(x + (<usize>j << 2))), gev));
        const eq = laneSum(eqv);
        if (eq <= tiesLeft) {
          tiesLeft -= eq;
          tv = gev;
        } else {
          // The ties run out inside this chunk (or k is reached): element by element.
          c = emitElements(x, i, end, kth, tiesLeft, out, c, k);
          tiesLeft = 0;
          i = end;
          continue;
        }
      }
      let h = dense ? scanChunk(x, i, end, tv, true, offs, true) : scanChunk(x, i, end, tv, false, offs, true);
      if (h > k - c) h = k - c;
      dense = h * DENSE_RATIO > end - i;
      // Widen the u16 offsets into out[c, c + h).
      const dst = out + (<usize>c << 2);
      const base = i32x4.splat(i);
      let j: u32 = 0;
      for (; j + 8 <= h; j += 8) {
        const o = v128.load(offs + (<usize>j << 1));
        v128.store(dst + (<usize>j << 2), i32x4.add(base, i32x4.extend_low_i16x8_u(o)));
        v128.store(dst + (<usize>j << 2), i32x4.add(base, i32x4.extend_high_i16x8_u(o)), 16);
      }
      for (; j < h; j++) store<u32>(dst + (<usize>j << 2), i + <u32>load<u16>(offs + (<usize>j << 1)));
      c += h;
      i = end;
    }
  }
  return emitElements(x, i, n, kth, tiesLeft, out, c, k);
}

/**
 * emitAll's exact element loop over x[start, end): appends to out[c, k) the indices with
 * mag > kth and the first `ties` with mag == kth; returns the new count.
 */
// @ts-ignore: decorator
@inline function emitElements(x: usize, start: u32, end: u32, kth: u32, ties: u32, out: usize, c: u32, k: u32): u32 {
  for (let i = start; i < end && c < k; i++) {
    const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
    if (m > kth || (m == kth && ties > 0)) {
      ties -= <u32>(m == kth);
      store<u32>(out + (<usize>c << 2), i);
      c++;
    }
  }
  return c;
}

/** With `values`: outVals[j] = the bits of x[idx[j]] for the c indices. Returns c. */
export function gathered(x: usize, c: u32, idx: usize, outVals: usize, values: bool): u32 {
  if (values) {
    for (let j: u32 = 0; j < c; j++) {
      store<u32>(outVals + (<usize>j << 2), load<u32>(x + (<usize>load<u32>(idx + (<usize>j << 2)) << 2)));
    }
  }
  return c;
}
