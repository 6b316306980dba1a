/**
 * Counter-based RNG: every random number is a pure function of (key, counter), so any device,
 * worker or host reproduces the same stream without shared state. Bit-identical to
 * assembly/random.ts (rng_key, rng_u32, rng_fill_uniform); 32-bit integer arithmetic only.
 *
 * The exact function (all arithmetic mod 2^32, `>>>` logical shift):
 *   mix32(x)   = lowbias32: x ^= x>>>16; x *= 0x7feb352d; x ^= x>>>15; x *= 0x846ca68b; x ^= x>>>16
 *   key        = h4 where h1 = mix32(0x243f6a88 ^ seed), h2 = mix32((h1 + G) ^ device),
 *                h3 = mix32((h2 + G) ^ round), h4 = mix32((h3 + G) ^ purpose), G = 0x9e3779b9
 *   u32(k, c)  = mix32(mix32(mix32(c + G) ^ k) + k)
 *   uniform    = (u32 >>> 8) * 2^-24      (24 random bits: exact as f32, in [0, 1))
 *   int(m)     = Lemire's multiply-shift with rejection: draw x, p = x * m (64-bit); while
 *                low32(p) < (2^32 - m) mod m redraw; result high32(p). Unbiased over [0, m).
 *
 * Streams: (seed, device, round, purpose) -> key; counters 0, 1, 2, ... within a stream.
 * Purpose codes are fixed (see `Purpose`): changing them changes every run's randomness.
 */
import { InputError } from '../errors.js';

const GOLDEN = 0x9e3779b9;
const KEY_INIT = 0x243f6a88;
const TWO_POW_32 = 4294967296;
const INV_2_24 = 1 / 16777216;

/** Purpose codes separating the streams of one (seed, device, round). */
export const Purpose = {
  init: 1,
  batch: 2,
  randk: 3,
  qsgd: 4,
  linkDrop: 5,
  offline: 6,
  partition: 7,
  graph: 8,
  clock: 9,
  participation: 10,
  data: 11,
} as const;
export type PurposeName = keyof typeof Purpose;
export type PurposeCode = (typeof Purpose)[PurposeName];

/** lowbias32; returns a u32. */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

function checkU32(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= TWO_POW_32) {
    throw new InputError(`rng ${name} must be an integer in [0, 2^32), got ${v}`);
  }
}

/** Stream key (u32) of (seed, device, round, purpose); each an integer in [0, 2^32). */
export function rngKey(seed: number, device: number, round: number, purpose: number): number {
  checkU32('seed', seed);
  checkU32('device', device);
  checkU32('round', round);
  checkU32('purpose', purpose);
  let h = mix32(KEY_INIT ^ seed);
  h = mix32(((h + GOLDEN) | 0) ^ device);
  h = mix32(((h + GOLDEN) | 0) ^ round);
  h = mix32(((h + GOLDEN) | 0) ^ purpose);
  return h;
}

/** The u32 at `counter` of stream `key` (both taken mod 2^32). */
export function rngU32(key: number, counter: number): number {
  return mix32((mix32(mix32((counter + GOLDEN) | 0) ^ key) + key) | 0);
}

/** Uniform in [0, 1) with 24 random bits (exactly representable as f32). */
export function rngUniform(key: number, counter: number): number {
  return (rngU32(key, counter) >>> 8) * INV_2_24;
}

/** Low and high 32 bits of x * m for u32 x, m (exact in doubles by 16-bit splitting). */
function mulU32(x: number, m: number): { lo: number; hi: number } {
  const a = (x >>> 16) * m; // < 2^48
  const b = (x & 0xffff) * m; // < 2^48
  const aLo = a % 65536;
  const s = aLo * 65536 + b; // < 2^49, exact
  const hi = (a - aLo) / 65536 + Math.floor(s / TWO_POW_32);
  return { lo: s % TWO_POW_32, hi };
}

/** A cursor over one stream: (key, counter), counter advancing by one per u32 drawn. */
export class RandomStream {
  key: number;
  counter: number;

  constructor(key: number, counter = 0) {
    checkU32('key', key);
    checkU32('counter', counter);
    this.key = key;
    this.counter = counter;
  }

  /** The stream of (seed, device, round, purpose). */
  static of(seed: number, device: number, round: number, purpose: number): RandomStream {
    return new RandomStream(rngKey(seed, device, round, purpose));
  }

  /** Next u32. */
  next(): number {
    const v = rngU32(this.key, this.counter);
    this.counter = (this.counter + 1) >>> 0;
    return v;
  }

  /** Next uniform in [0, 1) (24 bits). */
  nextUniform(): number {
    return (this.next() >>> 8) * INV_2_24;
  }

  /** Unbiased integer in [0, n) for integer 1 <= n <= 2^32 - 1 (Lemire's method; same draws as randk). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n >= TWO_POW_32) {
      throw new InputError(`RandomStream.nextInt: bound must be an integer in [1, 2^32), got ${n}`);
    }
    let p = mulU32(this.next(), n);
    if (p.lo < n) {
      const t = (TWO_POW_32 - n) % n;
      while (p.lo < t) p = mulU32(this.next(), n);
    }
    return p.hi;
  }

  /** In-place Fisher-Yates shuffle of the whole array with this stream (the free function shuffle). */
  shuffle<A extends { length: number; [i: number]: unknown }>(arr: A): A {
    return shuffle(arr, this);
  }
}

/** A source of unbiased integers in [0, n): RandomStream and the data layer's streams. */
export interface IntSource {
  nextInt(n: number): number;
}

/**
 * The seeded shuffle: in-place Fisher-Yates over a[0, length), from the end: swap a[i] with
 * a[rng.nextInt(i + 1)]. Every shuffle that must repeat from a seed is this one (the engine's
 * epoch reshuffle, engine/worker/batches.ts, is an allocation-free twin tested against it).
 */
export function shuffle<A extends { length: number; [i: number]: unknown }>(a: A, rng: IntSource, length = a.length): A {
  for (let i = length - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}
