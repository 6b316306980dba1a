/**
 * Oracle for assembly/quantize.ts: same results bit for bit, plain TypeScript over typed arrays.
 *
 * Buckets are runs of `bucket` consecutive elements (the last may be shorter), bucket >= 1.
 * Linear (int8: L = 127, int4: L = 7), per bucket with a = max |x| (f32):
 *   a < 2^-120 (all-zero or tiny bucket): scale = 0 and every q = 0;
 *   else scale = f32(a / L), inv = f32(L / a), q = nearest-even(f32(x * inv)), |q| <= L.
 *   dequant: f32(q * scale).
 * QSGD (1 <= s <= 127), per bucket:
 *   norm = f32(sqrt(lane-ordered f64 sum of x^2)); norm < 2^-120 -> norm = 0, mult = 0;
 *   else mult = f32(s / norm); u_i = rngUniform(key, counter0 + i) (i = global index, mod 2^32);
 *   level = min(s, floor(f32(f32(|x| * mult) + u_i))), negated when x < 0.
 *   dequant: f32(level * f32(norm / s)).
 * Sign: bit i set when x[i] < 0 (LSB first, bits past n zero); scale = f32(lane-ordered f64
 *   sum |x| / n) (0 when n = 0); unpack: bit ? -scale : scale.
 * Non-finite inputs give unspecified output (callers reject them with countNonfinite first).
 */
import { InputError } from '../../errors.js';
import { rngUniform } from '../rng.js';
import { absmaxBits, f32FromBits, laneDot, laneSumAbs } from './vector.js';

const f32 = Math.fround;
/** Bit pattern of 2^-120: buckets with a smaller absmax / norm quantize to zero. */
export const TINY_BITS = 0x03800000;
export const TINY = 2 ** -120;

/** Round to nearest, ties to even (for |v| < 2^31). */
export function rintEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Number of buckets for n elements. */
export function bucketCount(n: number, bucket: number): number {
  return Math.ceil(n / bucket);
}

function checkBucket(fn: string, bucket: number): void {
  if (!Number.isInteger(bucket) || bucket < 1) throw new InputError(`${fn}: bucket must be an integer >= 1, got ${bucket}`);
}

function checkLength(fn: string, what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new InputError(`${fn}: ${what} has length ${actual}, expected ${expected}`);
}

/** Per-bucket [scale, inv] for L levels (see the header). */
function linearScale(x: Float32Array, start: number, end: number, levels: number): [number, number] {
  const am = absmaxBits(x, start, end);
  if (am < TINY_BITS) return [0, 0];
  const a = f32FromBits(am);
  return [f32(a / levels), f32(levels / a)];
}

export function quantInt8(x: Float32Array, bucket: number, outQ: Int8Array, outScales: Float32Array): void {
  checkBucket('quantInt8', bucket);
  const n = x.length;
  checkLength('quantInt8', 'outQ', outQ.length, n);
  checkLength('quantInt8', 'outScales', outScales.length, bucketCount(n, bucket));
  for (let b = 0, start = 0; start < n; b++, start += bucket) {
    const end = Math.min(n, start + bucket);
    const [scale, inv] = linearScale(x, start, end, 127);
    outScales[b] = scale;
    for (let i = start; i < end; i++) outQ[i] = rintEven(f32(x[i]! * inv));
  }
}

export function dequantInt8(q: Int8Array, scales: Float32Array, bucket: number, out: Float32Array): void {
  checkBucket('dequantInt8', bucket);
  const n = out.length;
  checkLength('dequantInt8', 'q', q.length, n);
  checkLength('dequantInt8', 'scales', scales.length, bucketCount(n, bucket));
  for (let i = 0; i < n; i++) out[i] = q[i]! * scales[Math.floor(i / bucket)]!;
}

/** Bytes of packed int4 for n elements. */
export function int4Bytes(n: number): number {
  return Math.ceil(n / 2);
}

/** Signed nibble i of packed int4 bytes (element 2j in the low nibble of byte j). */
export function int4At(q: Uint8Array, i: number): number {
  const byte = q[i >>> 1]!;
  return (((i & 1 ? byte >>> 4 : byte) & 0x0f) << 28) >> 28;
}

export function quantInt4(x: Float32Array, bucket: number, outQ: Uint8Array, outScales: Float32Array): void {
  checkBucket('quantInt4', bucket);
  const n = x.length;
  checkLength('quantInt4', 'outQ', outQ.length, int4Bytes(n));
  checkLength('quantInt4', 'outScales', outScales.length, bucketCount(n, bucket));
  outQ.fill(0);
  for (let b = 0, start = 0; start < n; b++, start += bucket) {
    const end = Math.min(n, start + bucket);
    const [scale, inv] = linearScale(x, start, end, 7);
    outScales[b] = scale;
    for (let i = start; i < end; i++) {
      const nib = rintEven(f32(x[i]! * inv)) & 0x0f;
      outQ[i >>> 1] = outQ[i >>> 1]! | (i & 1 ? nib << 4 : nib);
    }
  }
}

export function dequantInt4(q: Uint8Array, scales: Float32Array, bucket: number, out: Float32Array): void {
  checkBucket('dequantInt4', bucket);
  const n = out.length;
  checkLength('dequantInt4', 'q', q.length, int4Bytes(n));
  checkLength('dequantInt4', 'scales', scales.length, bucketCount(n, bucket));
  for (let i = 0; i < n; i++) out[i] = int4At(q, i) * scales[Math.floor(i / bucket)]!;
}

function checkLevels(fn: string, s: number): void {
  if (!Number.isInteger(s) || s < 1 || s > 127) throw new InputError(`${fn}: s must be an integer in [1, 127], got ${s}`);
}

export function qsgdQuant(
  x: Float32Array, s: number, bucket: number, key: number, counter0: number, outLevels: Int8Array, outNorms: Float32Array,
): void {
  checkLevels('qsgdQuant', s);
  checkBucket('qsgdQuant', bucket);
  const n = x.length;
  checkLength('qsgdQuant', 'outLevels', outLevels.length, n);
  checkLength('qsgdQuant', 'outNorms', outNorms.length, bucketCount(n, bucket));
  for (let b = 0, start = 0; start < n; b++, start += bucket) {
    const end = Math.min(n, start + bucket);
    let norm = f32(Math.sqrt(laneDot(x, x, start, end)));
    let mult = 0;
    if (norm >= TINY) mult = f32(s / norm);
    else norm = 0;
    outNorms[b] = norm;
    for (let i = start; i < end; i++) {
      const v = x[i]!;
      const u = rngUniform(key, (counter0 + i) >>> 0);
      const level = Math.min(Math.floor(f32(f32(Math.abs(v) * mult) + u)), s);
      outLevels[i] = v < 0 ? -level : level;
    }
  }
}

export function qsgdDequant(levels: Int8Array, norms: Float32Array, s: number, bucket: number, out: Float32Array): void {
  checkLevels('qsgdDequant', s);
  checkBucket('qsgdDequant', bucket);
  const n = out.length;
  checkLength('qsgdDequant', 'levels', levels.length, n);
  checkLength('qsgdDequant', 'norms', norms.length, bucketCount(n, bucket));
  for (let b = 0, start = 0; start < n; b++, start += bucket) {
    const factor = f32(norms[b]! / s);
    const end = Math.min(n, start + bucket);
    for (let i = start; i < end; i++) out[i] = levels[i]! * factor;
  }
}

/** Bytes of a sign bitmap for n elements. */
export function signBytes(n: number): number {
  return Math.ceil(n / 8);
}

/** Packs sign bits (x < 0) into outBits (ceil(n/8) bytes); returns the L1 scale. */
export function signPack(x: Float32Array, outBits: Uint8Array): number {
  const n = x.length;
  checkLength('signPack', 'outBits', outBits.length, signBytes(n));
  outBits.fill(0);
  for (let i = 0; i < n; i++) if (x[i]! < 0) outBits[i >>> 3] = outBits[i >>> 3]! | (1 << (i & 7));
  return n === 0 ? 0 : f32(laneSumAbs(x) / n);
}

export function signUnpack(bits: Uint8Array, scale: number, out: Float32Array): void {
  const n = out.length;
  checkLength('signUnpack', 'bits', bits.length, signBytes(n));
  const pos = f32(scale), neg = -pos;
  for (let i = 0; i < n; i++) out[i] = (bits[i >>> 3]! >>> (i & 7)) & 1 ? neg : pos;
}
