/**
 * Oracle for assembly/vector.ts: same results bit for bit, plain TypeScript over typed arrays.
 *
 * Element-wise ops round every step to f32 like the kernels (scalars a, b, v are taken as f32).
 * Reductions (sum, dot, norm2sq, sumAbs) accumulate in f64 over 16 interleaved lanes
 * (lane = i % 16, counted from the start of the range) and combine them in a fixed tree
 * (`combine16`), exactly as assembly/internal/reduce.ts does, so they are bit-identical too.
 * Lengths: the arrays' lengths are the element counts; mismatches throw InputError.
 */
import { InputError } from '../../errors.js';

const f32 = Math.fround;

export function checkSameLength(fn: string, ...arrays: ArrayLike<number>[]): number {
  const n = arrays[0]?.length ?? 0;
  for (const a of arrays) {
    if (a.length !== n) throw new InputError(`${fn}: array lengths differ (${arrays.map((b) => b.length).join(' vs ')})`);
  }
  return n;
}

/** The u32 bit patterns of an f32 array (a view over the same bytes). */
export function f32Bits(x: Float32Array): Uint32Array {
  return new Uint32Array(x.buffer, x.byteOffset, x.length);
}

/** The lane tree: even lanes ((0+2)+(4+6))+((8+10)+(12+14)), odd lanes likewise, then even + odd. */
export function combine16(s: Float64Array): number {
  const even = ((s[0]! + s[2]!) + (s[4]! + s[6]!)) + ((s[8]! + s[10]!) + (s[12]! + s[14]!));
  const odd = ((s[1]! + s[3]!) + (s[5]! + s[7]!)) + ((s[9]! + s[11]!) + (s[13]! + s[15]!));
  return even + odd;
}

/** Lane-ordered f64 sum of x[start..end). */
export function laneSum(x: Float32Array, start = 0, end = x.length): number {
  const s = new Float64Array(16);
  for (let i = start; i < end; i++) s[(i - start) & 15]! += x[i]!;
  return combine16(s);
}

/** Lane-ordered f64 sum of |x[start..end)|. */
export function laneSumAbs(x: Float32Array, start = 0, end = x.length): number {
  const s = new Float64Array(16);
  for (let i = start; i < end; i++) s[(i - start) & 15]! += Math.abs(x[i]!);
  return combine16(s);
}

/** Lane-ordered f64 sum of x[i] * y[i] over [start, end) (each product exact in f64). */
export function laneDot(x: Float32Array, y: Float32Array, start = 0, end = x.length): number {
  const s = new Float64Array(16);
  for (let i = start; i < end; i++) s[(i - start) & 15]! += x[i]! * y[i]!;
  return combine16(s);
}

/** Max over [start, end) of the bit patterns with the sign cleared (u32): max |x| for finite x. */
export function absmaxBits(x: Float32Array, start = 0, end = x.length): number {
  const bits = f32Bits(x);
  let m = 0;
  for (let i = start; i < end; i++) {
    const b = bits[i]! & 0x7fffffff;
    if (b > m) m = b;
  }
  return m;
}

const bitsScratch = new Uint32Array(1);
const floatScratch = new Float32Array(bitsScratch.buffer);
export function f32FromBits(bits: number): number {
  bitsScratch[0] = bits;
  return floatScratch[0]!;
}

/** y += a x */
export function axpy(a: number, x: Float32Array, y: Float32Array): void {
  const n = checkSameLength('axpy', x, y);
  const af = f32(a);
  for (let i = 0; i < n; i++) y[i] = y[i]! + f32(af * x[i]!);
}

/** y = a x + b y */
export function axpby(a: number, x: Float32Array, b: number, y: Float32Array): void {
  const n = checkSameLength('axpby', x, y);
  const af = f32(a), bf = f32(b);
  for (let i = 0; i < n; i++) y[i] = f32(af * x[i]!) + f32(bf * y[i]!);
}

/** y = a x + b y (as axpby); returns how many results are NaN or +-Inf. */
export function axpbyNonfinite(a: number, x: Float32Array, b: number, y: Float32Array): number {
  axpby(a, x, b, y);
  let c = 0;
  for (let i = 0; i < y.length; i++) if (!Number.isFinite(y[i]!)) c++;
  return c;
}

/** x *= a */
export function scale(a: number, x: Float32Array): void {
  const af = f32(a);
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * af;
}

/** dst = src, bit for bit (memmove semantics for overlapping views). */
export function copy(src: Float32Array, dst: Float32Array): void {
  checkSameLength('copy', src, dst);
  f32Bits(dst).set(f32Bits(src));
}

export function fill(v: number, x: Float32Array): void {
  x.fill(f32(v));
}

/** out = x - y */
export function sub(x: Float32Array, y: Float32Array, out: Float32Array): void {
  const n = checkSameLength('sub', x, y, out);
  for (let i = 0; i < n; i++) out[i] = x[i]! - y[i]!;
}

export function dot(x: Float32Array, y: Float32Array): number {
  checkSameLength('dot', x, y);
  return laneDot(x, y);
}

export function norm2sq(x: Float32Array): number {
  return laneDot(x, x);
}

/** max |x[i]| (0 when empty; NaN when any x[i] is NaN). */
export function absmax(x: Float32Array): number {
  return f32FromBits(absmaxBits(x));
}

export function sum(x: Float32Array): number {
  return laneSum(x);
}

/** Count of NaN/Inf entries. */
export function countNonfinite(x: Float32Array): number {
  let c = 0;
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i]!)) c++;
  return c;
}
