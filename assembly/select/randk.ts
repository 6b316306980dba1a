// randk (see src/kernels/abi.ts): k distinct indices uniform over [0, n), ascending, from the
// counter-based RNG stream of random.ts.
import { rng_u32 } from '../random';

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
    const t = nextInt(key, j + 1);
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
