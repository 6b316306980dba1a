/**
 * Oracle for assembly/select/: same semantics, plain TypeScript over typed arrays.
 *
 * "Magnitude" is the f32 bit pattern with the sign cleared, compared as u32: for non-NaN values
 * exactly the order of |x| (-0 == +0, subnormals ordered), with NaN above +Inf.
 */
import { RandomStream, rngU32 } from '../rng.js';
import { InputError } from '../../errors.js';

const MAG_MASK = 0x7fffffff;

function magnitudes(x: Float32Array): Uint32Array {
  const bits = new Uint32Array(x.buffer, x.byteOffset, x.length);
  const mags = new Uint32Array(x.length);
  for (let i = 0; i < x.length; i++) mags[i] = (bits[i]! & MAG_MASK) >>> 0;
  return mags;
}

/**
 * Exact top-k by |x|: the k largest magnitudes, ties at the k-th largest broken by lower index;
 * returned ascending. Requires 1 <= k <= n.
 */
export function topkAbs(x: Float32Array, k: number): Uint32Array {
  const n = x.length;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new InputError(`topkAbs: k must be an integer in [1, ${n}], got ${k}`);
  const mags = magnitudes(x);
  const sorted = mags.slice().sort(); // ascending u32
  const kth = sorted[n - k]!;
  let above = 0;
  for (let i = n - k + 1; i < n; i++) if (sorted[i]! > kth) above++;
  let ties = k - above;
  const out = new Uint32Array(k);
  let c = 0;
  for (let i = 0; i < n; i++) {
    const m = mags[i]!;
    if (m > kth || (m === kth && ties > 0)) {
      if (m === kth) ties--;
      out[c++] = i;
    }
  }
  return out;
}

/**
 * The 32-float chunks (x[32c, 32c + 32), c ascending) the top-k sample reads for (n, k): want =
 * ceil(32 n / (32 k)) clamped to [512, 2048] and to n / 256 chunks, none when n < 32768 or want < 16;
 * chunk j = j * stride + floor(rng_u32(0x5eed, j) * stride / 2^32), stride = floor((n >>> 5) / want).
 */
export function topkSampleChunks(n: number, k: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new InputError(`topkSampleChunks: n must be an integer in [0, 2^32), got ${n}`);
  if (!Number.isInteger(k) || k < 1 || k > n) return new Uint32Array(0);
  if (n < 1 << 15) return new Uint32Array(0);
  const chunks = n >>> 5;
  const want = Math.min(Math.max(Math.ceil((32 * n) / (32 * k)), 512), 2048, chunks >>> 3);
  if (want < 16) return new Uint32Array(0);
  const stride = Math.floor(chunks / want);
  return Uint32Array.from({ length: want }, (_, j) => j * stride + Math.floor((rngU32(0x5eed, j) * stride) / 2 ** 32));
}

/** Indices with |x[i]| >= lambda (lambda rounded to f32, as the kernel receives it), ascending. */
export function thresholdAbs(x: Float32Array, lambda: number): Uint32Array {
  const l = Math.fround(lambda);
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) >= l) out.push(i);
  return Uint32Array.from(out);
}

/** Count of |x[i]| >= lambda (lambda rounded to f32). */
export function thresholdCount(x: Float32Array, lambda: number): number {
  const l = Math.fround(lambda);
  let c = 0;
  for (let i = 0; i < x.length; i++) if (Math.abs(x[i]!) >= l) c++;
  return c;
}

/**
 * k distinct uniform indices of [0, n), ascending, from stream `key` (counters 0, 1, ...):
 * Floyd's algorithm, for j = n-k .. n-1: t = nextInt(j + 1); take t, or j if t is taken.
 */
export function randk(n: number, k: number, key: number): Uint32Array {
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 32) throw new InputError(`randk: n must be an integer in [0, 2^32), got ${n}`);
  if (!Number.isInteger(k) || k < 0 || k > n) throw new InputError(`randk: k must be an integer in [0, ${n}], got ${k}`);
  const stream = new RandomStream(key >>> 0, 0);
  const taken = new Uint8Array(n);
  for (let j = n - k; j < n; j++) {
    const t = stream.nextInt(j + 1);
    if (taken[t]) taken[j] = 1;
    else taken[t] = 1;
  }
  const out = new Uint32Array(k);
  let c = 0;
  for (let i = 0; i < n; i++) if (taken[i]) out[c++] = i;
  return out;
}
