// Test support for kernel property tests: both builds over their own shared memory, a bump
// allocator that fences every buffer with canary bytes, and a deterministic random source.
import assert from 'node:assert/strict';
import { createSharedMemory, loadKernels, type KernelExports } from '../../src/kernels/index.js';
import { KERNEL_RESERVED_BYTES } from '../../src/arena/arena.js';

export const CANARY = 0xa5;
const FENCE = 64;

export class KernelMemory {
  private cursor = KERNEL_RESERVED_BYTES;
  private fences: Array<[number, number]> = [];

  constructor(readonly k: KernelExports, readonly memory: WebAssembly.Memory, readonly simd: boolean) {}

  get bytes(): Uint8Array { return new Uint8Array(this.memory.buffer); }

  reset(): void {
    this.cursor = KERNEL_RESERVED_BYTES;
    this.fences = [];
  }

  /** `bytes` bytes at an address that is `misalign` bytes past a 64-byte boundary, fenced by canaries. */
  alloc(bytes: number, misalign = 0): number {
    const start = Math.ceil((this.cursor + FENCE) / 64) * 64 + misalign;
    const end = start + bytes;
    if (end + FENCE > this.memory.buffer.byteLength) throw new Error(`test memory exhausted (${end} bytes)`);
    const u8 = this.bytes;
    u8.fill(CANARY, start - FENCE, start);
    u8.fill(CANARY, end, end + FENCE);
    this.fences.push([start - FENCE, start], [end, end + FENCE]);
    this.cursor = end + FENCE;
    return start;
  }

  /** Every canary byte is intact. */
  checkFences(what: string): void {
    const u8 = this.bytes;
    for (const [a, b] of this.fences) {
      for (let i = a; i < b; i++) {
        if (u8[i] !== CANARY) assert.fail(`${what} (${this.simd ? 'simd' : 'scalar'}): canary byte at ${i} overwritten (fence [${a}, ${b}))`);
      }
    }
  }

  f32(ptr: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, n); }
  u32(ptr: number, n: number): Uint32Array { return new Uint32Array(this.memory.buffer, ptr, n); }
  u8(ptr: number, n: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, n); }
  i8(ptr: number, n: number): Int8Array { return new Int8Array(this.memory.buffer, ptr, n); }

  /** Copies an f32 array into a fresh fenced buffer; returns its pointer. */
  putF32(x: Float32Array, misalign = 0): number {
    const p = this.alloc(x.byteLength, misalign);
    this.f32(p, x.length).set(x);
    return p;
  }
  putU32(x: Uint32Array, misalign = 0): number {
    const p = this.alloc(x.byteLength, misalign);
    this.u32(p, x.length).set(x);
    return p;
  }
  putU8(x: Uint8Array, misalign = 0): number {
    const p = this.alloc(x.byteLength, misalign);
    this.u8(p, x.length).set(x);
    return p;
  }
}

/** Both builds, each over its own shared memory of `bytes`. */
export async function bothBuilds(bytes = 48 << 20): Promise<KernelMemory[]> {
  const out: KernelMemory[] = [];
  for (const simd of [true, false]) {
    const memory = createSharedMemory(bytes);
    const { exports } = await loadKernels({ memory, simd });
    out.push(new KernelMemory(exports, memory, simd));
  }
  return out;
}

/** xorshift32-based deterministic generator for test data (not the project RNG on purpose). */
export class TestRandom {
  private s: number;
  constructor(seed: number) { this.s = (seed >>> 0) || 0x9e3779b9; }
  u32(): number {
    let s = this.s;
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    this.s = s;
    return s;
  }
  /** Uniform in [0, 1). */
  uniform(): number { return this.u32() / 4294967296; }
  int(lo: number, hi: number): number { return lo + Math.floor(this.uniform() * (hi - lo + 1)); }
  pick<T>(arr: readonly T[]): T { return arr[Math.floor(this.uniform() * arr.length)]!; }
  normal(): number {
    const u = 1 - this.uniform(), v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

const SPECIALS = [0, -0, 1, -1, 0.5, -0.5, 1.5, -2.5, 2 ** -149, -(2 ** -149), 2 ** -126, 1e-40, -3e-39, 1e30, -1e-30, 3.4e38];

export type VectorKind = 'normal' | 'wide' | 'specials' | 'subnormal' | 'constant' | 'zero' | 'sparse' | 'ties';

/** A finite test vector of length n in one of several shapes (mixed scales, subnormals, ties, zeros). */
export function testVector(rnd: TestRandom, n: number, kind: VectorKind): Float32Array {
  const x = new Float32Array(n);
  const c = Math.fround(rnd.normal() * 10);
  for (let i = 0; i < n; i++) {
    switch (kind) {
      case 'normal': x[i] = rnd.normal(); break;
      case 'wide': x[i] = rnd.normal() * 2 ** rnd.int(-60, 60); break;
      case 'specials': x[i] = rnd.uniform() < 0.5 ? rnd.pick(SPECIALS) : rnd.normal(); break;
      case 'subnormal': x[i] = (rnd.uniform() - 0.5) * 2 ** -126; break;
      case 'constant': x[i] = c; break;
      case 'zero': x[i] = rnd.uniform() < 0.5 ? 0 : -0; break;
      case 'sparse': x[i] = rnd.uniform() < 0.05 ? rnd.normal() : 0; break;
      // half-integers after scaling hit nearest-even ties in the quantizers
      case 'ties': x[i] = (rnd.int(-254, 254) / 2) * (rnd.uniform() < 0.5 ? 1 : 2 ** rnd.int(-3, 3)); break;
    }
  }
  return x;
}

export const VECTOR_KINDS: readonly VectorKind[] = ['normal', 'wide', 'specials', 'subnormal', 'constant', 'zero', 'sparse', 'ties'];

/** Lengths: many small (1..70, not multiples of 4/16 included), a few mid, one large. */
export function testLengths(rnd: TestRandom, large = 1_000_003): number[] {
  const ns: number[] = [];
  for (let n = 1; n <= 70; n++) ns.push(n);
  for (let i = 0; i < 12; i++) ns.push(rnd.int(71, 5000));
  ns.push(4096, 4097, 65535, 100_001, large);
  return ns;
}

/** Bitwise equality of two f32 arrays, with the first mismatch in the message. */
export function assertSameF32(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== e[i]) assert.fail(`${what}: element ${i}: got ${actual[i]} (0x${a[i]!.toString(16)}), expected ${expected[i]} (0x${e[i]!.toString(16)})`);
  }
}

export function assertSameInts(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: element ${i}: got ${actual[i]}, expected ${expected[i]}`);
  }
}
