// compressor.vector(d): arrays on the compressor's own kernel memory, used in place. They keep
// their contents and keep working after the memory grows, can be released and reused, and every
// misuse (another memory's vector, a released one, a wrong length, a bound compressor) is an
// InputError that says what is wrong. (Results on vectors equal the reference: compress.reference.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScratchAllocator } from '../src/arena/arena.js';
import { createCompressor, createCompressorSync, type KernelCompressor } from '../src/compress/index.js';
import { InputError } from '../src/errors.js';
import { createSharedMemory, loadKernels } from '../src/kernels/index.js';
import * as ref from '../src/kernels/reference/index.js';
import { assertSameF32, assertSameInts, TestRandom, testVector } from './support/kernel-memory.js';
import { assertThrowsError } from './support/assert-error.js';

function inputError(fn: () => unknown, pattern: RegExp, what: string): void {
  assertThrowsError(fn, InputError, pattern, what);
}

function sameMessage(c: KernelCompressor, a: Float32Array, b: Float32Array, what: string): void {
  const ma = c.compress(a), mb = c.compress(b);
  assertSameInts(ma.indices, mb.indices, `${what}: indices`);
  assertSameF32(ma.values, mb.values, `${what}: values`);
  assert.deepEqual(c.encode(ma), c.encode(mb), `${what}: wire bytes`);
}

test('vector(d) is zeroed, on the kernel memory, and its writes are what compress reads', async () => {
  const c = await createCompressor('topk:0.05+int8');
  const rnd = new TestRandom(1);
  const v = c.vector(1000);
  assert.equal(v.length, 1000);
  assert.ok(v.every((x) => x === 0), 'zeroed');
  assert.equal(v.byteOffset % 64, 0, '64-byte aligned');
  const x = testVector(rnd, 1000, 'normal');
  v.set(x);
  sameMessage(c, v, x, 'vector vs array');
  // A dirty block that comes back from release() is zeroed again.
  c.release(v);
  const again = c.vector(1000);
  assert.ok(again.every((y) => y === 0), 'reused block zeroed');
  c.release(again);
});

test('vectors survive the memory growing under them: same bytes, still used in place', async () => {
  const c = await createCompressor('topk:0.01');
  const rnd = new TestRandom(2);
  const d = 50_000;
  const x = testVector(rnd, d, 'normal');
  const v = c.vector(d);
  v.set(x);
  const out = c.vector(d);
  const before = v.buffer.byteLength;
  const big = c.vector(16_000_000); // 64 MB: the memory must grow
  assert.ok(big.buffer.byteLength > before + 60e6, `memory grew (${before} -> ${big.buffer.byteLength})`);
  assert.notEqual(big.buffer, v.buffer, 'a grown memory has a new buffer object');
  assertSameF32(v, x, 'contents kept');
  // The old view and a view through the new buffer are the same bytes.
  const alias = new Float32Array(big.buffer, v.byteOffset, d);
  alias[7] = 123.5;
  assert.equal(v[7], 123.5, 'old view sees writes through the new buffer');
  v[7] = x[7]!;
  sameMessage(c, v, x, 'compress on a vector made before the growth');
  const msg = c.compress(v);
  c.decode(msg, out);
  const want = new Float32Array(d);
  ref.scatter(msg.indices, msg.values, want);
  assertSameF32(out, want, 'decode into an old vector');
  assertSameF32(new Float32Array(big.buffer, out.byteOffset, d), want, 'decode wrote the memory itself');
  const target = c.vector(d).fill(1);
  const bytes = c.encode(msg);
  c.accumulate(bytes, d, -0.5, out);
  ref.scatterAdd(msg.indices, msg.values, -0.5, want);
  assertSameF32(out, want, 'accumulate into an old vector');
  for (const a of [v, out, big, target]) c.release(a);
});

test('released blocks are reused: a release/vector cycle does not grow the memory', async () => {
  const c = await createCompressor('topk:0.01');
  const a = c.vector(300_000);
  const size = a.buffer.byteLength;
  const offset = a.byteOffset;
  for (let i = 0; i < 20; i++) {
    c.release(i === 0 ? a : c.vector(300_000));
  }
  const b = c.vector(300_000);
  assert.equal(b.byteOffset, offset, 'same block');
  assert.equal(c.vector(1).buffer.byteLength, size, 'no growth');
});

test('subarrays of a vector and vectors of a compressor of the same build are used in place', async () => {
  const a = await createCompressor('topk:0.1', { simd: true });
  const b = await createCompressor('topk:0.1+int8', { simd: true });
  const rnd = new TestRandom(3);
  const x = testVector(rnd, 4000, 'wide');
  const v = a.vector(5000);
  const part = v.subarray(500, 4500);
  part.set(x);
  sameMessage(a, part, x, 'subarray');
  sameMessage(b, part, x, 'a vector of another compressor on the same memory');
  const out = b.vector(4000);
  const msg = a.compress(part);
  b.decode(a.parse(a.encode(msg), 4000), out);
  const want = new Float32Array(4000);
  ref.scatter(msg.indices, msg.values, want);
  assertSameF32(out, want, 'decode into the other compressor\'s vector');
  a.release(v);
  b.release(out);
});

test('misuse of vectors is an InputError naming the problem', async () => {
  const simd = await createCompressor('topk:0.1', { simd: true });
  const scalar = await createCompressor('topk:0.1', { simd: false });
  const d = 200;
  const x = testVector(new TestRandom(4), d, 'normal');
  const foreign = scalar.vector(d);
  foreign.set(x);
  const msg = simd.compress(x);
  const bytes = simd.encode(msg);
  inputError(() => simd.compress(foreign), /vector of another kernel memory/, 'compress');
  inputError(() => simd.compressInto(foreign, new Uint8Array(simd.maxEncodedBytes(d))), /vector of another kernel memory/, 'compressInto');
  inputError(() => simd.decode(msg, foreign), /vector of another kernel memory/, 'decode');
  inputError(() => simd.accumulate(bytes, d, 1, foreign), /vector of another kernel memory/, 'accumulate');
  inputError(() => simd.release(foreign), /not a live vector of this kernel memory/, 'release of another memory\'s vector');

  const v = simd.vector(d);
  inputError(() => simd.decode(msg, simd.vector(d + 1)), /decode output has length 201, message has d=200/, 'decode length');
  inputError(() => simd.accumulate(bytes, d, 1, simd.vector(d - 1)), /accumulate target has length 199, expected d=200/, 'accumulate length');
  inputError(() => simd.release(v.subarray(1)), /not a live vector/, 'release of a subarray');
  inputError(() => simd.release(new Float32Array(d)), /not a live vector/, 'release of an ordinary array');
  simd.release(v);
  inputError(() => simd.release(v), /not a live vector/, 'double release');
  inputError(() => simd.compress(v), /not inside a live vector/, 'compress of a released vector');
  inputError(() => simd.decode(msg, v), /not inside a live vector/, 'decode into a released vector');
  for (const bad of [0, -1, 1.5, 2 ** 31, Number.NaN]) inputError(() => simd.vector(bad), /vector\(d\): d=/, `vector(${bad})`);

  // A compressor bound to a caller's kernels has no vectors of its own and refuses private ones.
  const memory = createSharedMemory(1 << 20);
  const { exports } = await loadKernels({ memory, simd: true });
  const bound = createCompressorSync('topk:0.1', { kernels: { exports, scratch: new ScratchAllocator(1 << 16, 1 << 20) } });
  inputError(() => bound.vector(d), /caller's kernel binding/, 'vector on a bound compressor');
  inputError(() => bound.release(foreign), /caller's kernel binding/, 'release on a bound compressor');
  inputError(() => bound.compress(foreign), /vector of another kernel memory/, 'a private vector on a bound compressor');
});

test('topk finds NaN and Inf from its k kept values: the same errors as a full check, on vectors and arrays', async () => {
  const rnd = new TestRandom(5);
  for (const spec of ['topk:0.01', 'topk:0.001+int8', 'topk:0.3']) {
    const c = await createCompressor(spec);
    for (const d of [1000, 70_000, 400_000]) {
      const x = testVector(rnd, d, 'normal');
      const v = c.vector(d);
      for (const bad of [Number.NaN, Infinity, -Infinity]) {
        const at = rnd.int(0, d - 1);
        const later = Math.min(d - 1, at + 1 + rnd.int(0, 10));
        const y = x.slice();
        y[at] = bad;
        if (later !== at) y[later] = Number.NaN;
        v.set(y);
        const pattern = new RegExp(`input has ${bad} at index ${at} \\(d=${d}\\)`);
        inputError(() => c.compress(v), pattern, `${spec} d=${d} ${bad} vector`);
        inputError(() => c.compress(y), pattern, `${spec} d=${d} ${bad} array`);
        inputError(() => c.compressInto(v, new Uint8Array(c.maxEncodedBytes(d))), pattern, `${spec} d=${d} ${bad} compressInto`);
      }
      c.release(v);
    }
  }
});
