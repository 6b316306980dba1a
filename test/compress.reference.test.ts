// Every compressor and composition against the plain reference pipeline (reference kernels + an
// independent wire encoder), on both kernel builds: indices, values and wire bytes bit-exact,
// round trips, bits, and the compressInto/accumulate fast path agreeing with the Message API;
// every check on ordinary arrays and again on vectors of the compressor's own kernel memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCompressor, parseCompressorSpec, type KernelCompressor } from '../src/compress/index.js';
import { InputError } from '../src/errors.js';
import * as ref from '../src/kernels/reference/index.js';
import { rngKey, Purpose } from '../src/kernels/rng.js';
import { assertSameF32, assertSameInts, TestRandom, testVector, VECTOR_KINDS, type VectorKind } from './support/kernel-memory.js';
import { refCompress, refDense, SPECS, type RefMessage } from './compress.support.js';

function assertSameBytes(actual: Uint8Array, expected: Uint8Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: byte length`);
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i]) assert.fail(`${what}: byte ${i}: got 0x${actual[i]!.toString(16)}, expected 0x${expected[i]!.toString(16)}`);
  }
}

/**
 * One full check of compressor c on x against the reference, on ordinary arrays and again with
 * x, the decode output and the accumulate target as vectors of the compressor's own memory.
 */
function checkOne(c: KernelCompressor, x: Float32Array, key: number, what: string, rnd: TestRandom): void {
  const spec = parseCompressorSpec(c.spec);
  const d = x.length;
  const expected = refCompress(spec, x, key);
  if (expected === null) {
    assert.throws(() => c.compress(x, { rngKey: key }), InputError, `${what}: overflowing quantizer input must be refused`);
    const xv = c.vector(d);
    xv.set(x);
    assert.throws(() => c.compress(xv, { rngKey: key }), InputError, `${what}: overflowing quantizer input must be refused (vector)`);
    c.release(xv);
    return;
  }
  const target = new Float32Array(d).map(() => rnd.normal());
  const alpha = rnd.pick([1, -1, 0.37, 1e-3]);
  const want = target.slice();
  ref.scatterAdd(expected.indices, expected.values, alpha, want);
  checkPath(c, x, key, `${what} (arrays)`, expected, target.slice(), alpha, want, (n) => new Float32Array(n));
  const vectors: Float32Array[] = [];
  const vector = (n: number): Float32Array => { const v = c.vector(n); vectors.push(v); return v; };
  const xv = vector(d);
  xv.set(x);
  const tv = vector(d);
  tv.set(target);
  checkPath(c, xv, key, `${what} (vectors)`, expected, tv, alpha, want, vector);
  assertSameInts(new Uint32Array(xv.buffer, xv.byteOffset, d), new Uint32Array(x.buffer, x.byteOffset, d), `${what}: vector input untouched`);
  for (const v of vectors) c.release(v);
}

function checkPath(
  c: KernelCompressor, x: Float32Array, key: number, what: string, expected: RefMessage,
  target: Float32Array, alpha: number, want: Float32Array, makeVector: (n: number) => Float32Array,
): void {
  const d = x.length;
  const msg = c.compress(x, { rngKey: key });
  assert.equal(msg.d, d, what);
  assertSameInts(msg.indices, expected.indices, `${what}: indices`);
  assertSameF32(msg.values, expected.values, `${what}: values`);
  assert.equal(msg.bits, 8 * expected.bytes.length, `${what}: bits`);

  const bytes = c.encode(msg);
  assertSameBytes(bytes, expected.bytes, `${what}: wire bytes`);
  assert.ok(bytes.length <= c.maxEncodedBytes(d), `${what}: within maxEncodedBytes`);

  // Round trip from the reference bytes.
  const parsed = c.parse(expected.bytes, d);
  assertSameInts(parsed.indices, expected.indices, `${what}: parsed indices`);
  assertSameF32(parsed.values, expected.values, `${what}: parsed values`);
  assert.equal(parsed.bits, msg.bits, `${what}: parsed bits`);
  const dense = makeVector(d).fill(7);
  c.decode(parsed, dense);
  assertSameF32(dense, refDense(d, expected.indices, expected.values), `${what}: decode`);

  // Fast path: compressInto at an odd offset of a bigger buffer, accumulate into a random target.
  const room = c.maxEncodedBytes(d);
  const big = new Uint8Array(room + 3).fill(0xee);
  const out = big.subarray(1, 1 + room);
  const len = c.compressInto(x, out, { rngKey: key });
  assertSameBytes(out.subarray(0, len), expected.bytes, `${what}: compressInto bytes`);
  assert.equal(big[0], 0xee, `${what}: compressInto wrote before its buffer`);
  assert.equal(big[room + 1], 0xee, `${what}: compressInto wrote past its buffer`);
  c.accumulate(out.subarray(0, len), d, alpha, target);
  assertSameF32(target, want, `${what}: accumulate`);
}

const BUILDS = [true, false] as const;

for (const simd of BUILDS) {
  test(`every compressor matches the reference pipeline on small and odd lengths (${simd ? 'simd' : 'scalar'})`, async () => {
    const rnd = new TestRandom(simd ? 11 : 12);
    for (const spec of SPECS) {
      const c = await createCompressor(spec, { simd });
      const lengths: number[] = [];
      for (let d = 1; d <= 40; d++) lengths.push(d);
      for (let i = 0; i < 6; i++) lengths.push(rnd.int(41, 3000));
      lengths.push(1024, 1025, 4097);
      for (const d of lengths) {
        const kind = rnd.pick(VECTOR_KINDS);
        const key = rngKey(5, d, 3, Purpose.randk);
        checkOne(c, testVector(rnd, d, kind), key, `${spec} d=${d} ${kind}`, rnd);
      }
    }
  });

  test(`every compressor on every vector shape, mid-size (${simd ? 'simd' : 'scalar'})`, async () => {
    const rnd = new TestRandom(simd ? 21 : 22);
    for (const spec of SPECS) {
      const c = await createCompressor(spec, { simd });
      for (const kind of VECTOR_KINDS) {
        const d = rnd.pick([517, 2049, 65535, 65537]);
        checkOne(c, testVector(rnd, d, kind), rnd.u32(), `${spec} d=${d} ${kind}`, rnd);
      }
    }
  });

  test(`large vectors, one compressor per family (${simd ? 'simd' : 'scalar'})`, async () => {
    const rnd = new TestRandom(simd ? 31 : 32);
    const large: [string, number, VectorKind][] = [
      ['topk:0.01', 1_000_003, 'normal'],
      ['topk:0.001+int8', 1_000_000, 'ties'],
      ['randk:0.01:scaled+qsgd:8', 300_007, 'wide'],
      ['threshold:2.5+sign', 1_000_001, 'normal'],
      ['int4', 200_003, 'specials'],
      ['none', 100_001, 'subnormal'],
    ];
    for (const [spec, d, kind] of large) {
      const c = await createCompressor(spec, { simd });
      checkOne(c, testVector(rnd, d, kind), rnd.u32(), `${spec} d=${d} ${kind}`, rnd);
    }
  });
}

test('k = 1 and k = d extremes, ties and signed zeros', async () => {
  const rnd = new TestRandom(41);
  const cases: [string, Float32Array][] = [
    ['topk:0.001', new Float32Array([0, -0, 0, -0, 0])], // k = 1 among zeros: index 0
    ['topk:0.001', new Float32Array([1, -1, 1, -1])], // ties: lowest index
    ['topk:0.5', new Float32Array([-0, 3, -3, 3, 2, -3])], // k = 3 of four tied 3s
    ['topk:1', new Float32Array([0, -0, 2 ** -149, -(2 ** -149)])], // k = d: dense
    ['randk:1', new Float32Array([1, 2, 3])],
    ['threshold:0', new Float32Array([-0, 0, 1])], // |±0| >= 0: every coordinate
    ['threshold:5', new Float32Array([1, 2, 3])], // empty message
    ['threshold:5+int8', new Float32Array([1, 2, 3])],
    ['threshold:5+sign', new Float32Array([1, 2, 3])],
    ['threshold:5+qsgd:4', new Float32Array([1, 2, 3])],
    ['threshold:5+int4', new Float32Array([1, 2, 3])],
    ['int8', new Float32Array([2 ** -149, -(2 ** -149), 0])], // tiny bucket quantizes to zero
    ['sign', new Float32Array([-0, 0, -1])],
    ['qsgd:1', new Float32Array(100).fill(-0.25)],
  ];
  for (const [spec, x] of cases) {
    const c = await createCompressor(spec);
    checkOne(c, x, 99, `${spec} [${Array.from(x).join(', ')}]`, rnd);
  }
  const top1 = (await createCompressor('topk:0.001')).compress(new Float32Array([1, -1, 1, -1]));
  assert.deepEqual(Array.from(top1.indices), [0]);
  const empty = (await createCompressor('threshold:5+sign')).compress(new Float32Array([1, 2, 3]));
  assert.equal(empty.indices.length, 0);
});

test('a private memory grows for larger vectors and keeps working for small ones', async () => {
  const rnd = new TestRandom(51);
  const c = await createCompressor('topk:0.01+int8');
  for (const d of [10, 500_000, 17, 2_000_000, 3]) {
    checkOne(c, testVector(rnd, d, 'normal'), 0, `growth d=${d}`, rnd);
  }
});
