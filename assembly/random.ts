// random kernels (see src/kernels/abi.ts): the counter-based RNG, bit-identical to src/kernels/rng.ts,
// whose header documents the exact function. u32 results reach JS as signed i32: callers use `>>> 0`.

const GOLDEN: u32 = 0x9e3779b9;
const KEY_INIT: u32 = 0x243f6a88;
const M1: u32 = 0x7feb352d;
const M2: u32 = 0x846ca68b;
/** 2^-24: (v >>> 8) * 2^-24 is an exact f32 in [0, 1). */
const INV_2_24: f32 = 5.9604644775390625e-8;

// lowbias32 (Chris Wellons): a bijective 32-bit mixer with near-ideal avalanche.
// @ts-ignore: decorator
@inline function mix32(x: u32): u32 {
  x ^= x >>> 16;
  x *= M1;
  x ^= x >>> 15;
  x *= M2;
  x ^= x >>> 16;
  return x;
}

export function rng_key(seed: u32, device: u32, round: u32, purpose: u32): u32 {
  let h = mix32(KEY_INIT ^ seed);
  h = mix32((h + GOLDEN) ^ device);
  h = mix32((h + GOLDEN) ^ round);
  h = mix32((h + GOLDEN) ^ purpose);
  return h;
}

// @ts-ignore: decorator
@inline export function rng_u32(key: u32, counter: u32): u32 {
  return mix32(mix32(mix32(counter + GOLDEN) ^ key) + key);
}

// @ts-ignore: decorator
@inline function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(M1));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(M2));
  x = v128.xor(x, i32x4.shr_u(x, 16));
  return x;
}

export function rng_fill_uniform(key: u32, counter0: u32, out: usize, n: u32): void {
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = i32x4.splat(key);
    const scale = f32x4.splat(INV_2_24);
    const four = i32x4.splat(4);
    let c = i32x4.add(i32x4.splat(counter0 + GOLDEN), i32x4(0, 1, 2, 3));
    for (; i + 4 <= n; i += 4) {
      let v = mix32x4(v128.xor(mix32x4(c), kv));
      v = mix32x4(i32x4.add(v, kv));
      v128.store(out + (<usize>i << 2), f32x4.mul(f32x4.convert_i32x4_u(i32x4.shr_u(v, 8)), scale));
      c = i32x4.add(c, four);
    }
  }
  for (; i < n; i++) {
    store<f32>(out + (<usize>i << 2), <f32>(rng_u32(key, counter0 + i) >>> 8) * INV_2_24);
  }
}
