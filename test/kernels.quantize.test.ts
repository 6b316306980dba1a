// Quantize kernels (assembly/quantize.ts) vs the reference (src/kernels/reference/quantize.ts), both
// builds, bit for bit: int8 / int4 / QSGD / sign, odd lengths and bucket sizes, +-0, subnormals,
// constant and all-zero buckets, nearest-even ties, misaligned outputs, canaries around every buffer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from '../src/kernels/reference/quantize.js';
import {
  assertSameF32, assertSameInts, bothBuilds, testLengths, testVector, TestRandom, VECTOR_KINDS, type KernelMemory, type VectorKind,
} from './support/kernel-memory.js';

const builds = await bothBuilds();

interface Case { n: number; bucket: number; kind: VectorKind }

/** Many small cases (every bucket size, every kind), a few large ones. */
function cases(seed: number): Case[] {
  const rnd = new TestRandom(seed);
  const out: Case[] = [];
  for (const n of testLengths(rnd)) {
    const buckets = [...new Set([1, 7, 64, 65, 512, n, rnd.int(1, n)])]; // 65: odd bucket starts on the SIMD paths
    if (n <= 70) {
      for (const bucket of buckets) out.push({ n, bucket, kind: rnd.pick(VECTOR_KINDS) });
      for (const kind of VECTOR_KINDS) out.push({ n, bucket: rnd.pick(buckets), kind });
    } else if (n <= 100_001) {
      for (const bucket of buckets) out.push({ n, bucket, kind: rnd.pick(VECTOR_KINDS) });
    } else {
      out.push({ n, bucket: 512, kind: 'normal' }, { n, bucket: n, kind: 'wide' }, { n, bucket: 33, kind: 'specials' });
    }
  }
  // buckets mixing zero runs with non-zero ones, and a bucket of subnormals next to normal ones
  out.push({ n: 1000, bucket: 64, kind: 'sparse' }, { n: 999, bucket: 7, kind: 'sparse' }, { n: 77, bucket: 7, kind: 'subnormal' });
  return out;
}

function label(c: Case, m: KernelMemory): string {
  return `n=${c.n} bucket=${c.bucket} kind=${c.kind} (${m.simd ? 'simd' : 'scalar'})`;
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';
  const { k } = m;

  test(`quant_int8 / dequant_int8 match the reference bit for bit (${name})`, () => {
    const rnd = new TestRandom(31);
    for (const c of cases(31)) {
      m.reset();
      const { n, bucket } = c;
      const nb = ref.bucketCount(n, bucket);
      const x = testVector(rnd, n, c.kind);
      const px = m.putF32(x, rnd.pick([0, 4, 8, 12]));
      const pq = m.alloc(n, rnd.int(0, 15));
      const ps = m.alloc(4 * nb, 4);
      const pout = m.alloc(4 * n, 8);
      k.quant_int8(px, n, bucket, pq, ps);
      const eq = new Int8Array(n), es = new Float32Array(nb);
      ref.quantInt8(x, bucket, eq, es);
      assertSameInts(m.i8(pq, n), eq, `int8 q ${label(c, m)}`);
      assertSameF32(m.f32(ps, nb), es, `int8 scales ${label(c, m)}`);
      k.dequant_int8(pq, ps, n, bucket, pout);
      const eo = new Float32Array(n);
      ref.dequantInt8(eq, es, bucket, eo);
      assertSameF32(m.f32(pout, n), eo, `int8 dequant ${label(c, m)}`);
      m.checkFences(`int8 ${label(c, m)}`);
    }
  });

  test(`quant_int4 / dequant_int4 match the reference bit for bit (${name})`, () => {
    const rnd = new TestRandom(32);
    for (const c of cases(32)) {
      m.reset();
      const { n, bucket } = c;
      const nb = ref.bucketCount(n, bucket), bytes = ref.int4Bytes(n);
      const x = testVector(rnd, n, c.kind);
      const px = m.putF32(x, rnd.pick([0, 4, 8, 12]));
      const pq = m.alloc(bytes, rnd.int(0, 15));
      m.u8(pq, bytes).fill(0xff); // the pad nibble of an odd n must come out zero
      const ps = m.alloc(4 * nb, 4);
      const pout = m.alloc(4 * n, 8);
      k.quant_int4(px, n, bucket, pq, ps);
      const eq = new Uint8Array(bytes), es = new Float32Array(nb);
      ref.quantInt4(x, bucket, eq, es);
      assertSameInts(m.u8(pq, bytes), eq, `int4 q ${label(c, m)}`);
      assertSameF32(m.f32(ps, nb), es, `int4 scales ${label(c, m)}`);
      k.dequant_int4(pq, ps, n, bucket, pout);
      const eo = new Float32Array(n);
      ref.dequantInt4(eq, es, bucket, eo);
      assertSameF32(m.f32(pout, n), eo, `int4 dequant ${label(c, m)}`);
      m.checkFences(`int4 ${label(c, m)}`);
    }
  });

  test(`qsgd_quant / qsgd_dequant match the reference bit for bit (${name})`, () => {
    const rnd = new TestRandom(33);
    for (const c of cases(33)) {
      m.reset();
      const { n, bucket } = c;
      const nb = ref.bucketCount(n, bucket);
      const s = rnd.pick([1, 2, 4, 8, 16, 127]);
      const key = rnd.u32();
      const counter0 = rnd.pick([0, 2 ** 31, 4294967295 - rnd.int(0, 40), rnd.u32()]);
      const x = testVector(rnd, n, c.kind);
      const px = m.putF32(x, rnd.pick([0, 4, 8, 12]));
      const pl = m.alloc(n, rnd.int(0, 15));
      const pn = m.alloc(4 * nb, 4);
      const pout = m.alloc(4 * n, 8);
      k.qsgd_quant(px, n, s, bucket, key, counter0, pl, pn);
      const el = new Int8Array(n), en = new Float32Array(nb);
      ref.qsgdQuant(x, s, bucket, key, counter0, el, en);
      const what = `qsgd s=${s} counter0=${counter0} ${label(c, m)}`;
      assertSameInts(m.i8(pl, n), el, `levels ${what}`);
      assertSameF32(m.f32(pn, nb), en, `norms ${what}`);
      k.qsgd_dequant(pl, pn, n, s, bucket, pout);
      const eo = new Float32Array(n);
      ref.qsgdDequant(el, en, s, bucket, eo);
      assertSameF32(m.f32(pout, n), eo, `dequant ${what}`);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(el[i]!) <= s, `|level| <= s ${what}`);
      m.checkFences(what);
    }
  });

  test(`sign_pack / sign_unpack match the reference bit for bit (${name})`, () => {
    const rnd = new TestRandom(34);
    for (const c of cases(34)) {
      if (c.bucket !== 1 && c.n > 70) continue; // bucket is irrelevant here
      m.reset();
      const { n } = c;
      const bytes = ref.signBytes(n);
      const x = testVector(rnd, n, c.kind);
      const px = m.putF32(x, rnd.pick([0, 4, 8, 12]));
      const pb = m.alloc(bytes, rnd.int(0, 15));
      m.u8(pb, bytes).fill(0xff); // pad bits must come out zero
      const pout = m.alloc(4 * n, 4);
      const scale = k.sign_pack(px, n, pb);
      const eb = new Uint8Array(bytes);
      const escale = ref.signPack(x, eb);
      assertSameInts(m.u8(pb, bytes), eb, `sign bits ${label(c, m)}`);
      assert.ok(Object.is(scale, escale), `sign scale ${scale} vs ${escale} ${label(c, m)}`);
      k.sign_unpack(pb, n, scale, pout);
      const eo = new Float32Array(n);
      ref.signUnpack(eb, escale, eo);
      assertSameF32(m.f32(pout, n), eo, `sign unpack ${label(c, m)}`);
      m.checkFences(`sign ${label(c, m)}`);
    }
  });
}

test('quantizer semantics: ranges, error bounds, ties to even, zero buckets', () => {
  const rnd = new TestRandom(35);
  // int8: |q| <= 127, the absmax element maps to +-127, error <= scale/2 (+ rounding of inv)
  for (const bucket of [1, 7, 64, 512]) {
    const x = testVector(rnd, 3001, 'wide');
    const nb = ref.bucketCount(x.length, bucket);
    const q = new Int8Array(x.length), s = new Float32Array(nb), out = new Float32Array(x.length);
    ref.quantInt8(x, bucket, q, s);
    ref.dequantInt8(q, s, bucket, out);
    for (let i = 0; i < x.length; i++) {
      const sc = s[Math.floor(i / bucket)]!;
      assert.ok(Math.abs(q[i]!) <= 127);
      assert.ok(Math.abs(x[i]! - out[i]!) <= sc * 0.5001 + 1e-45, `int8 error at ${i}`);
    }
    for (let b = 0; b < nb; b++) {
      let m = 0, at = 0;
      for (let i = b * bucket; i < Math.min(x.length, (b + 1) * bucket); i++) if (Math.abs(x[i]!) > m) { m = Math.abs(x[i]!); at = i; }
      if (m >= ref.TINY) assert.equal(Math.abs(q[at]!), 127, `bucket ${b} absmax maps to 127`);
    }
  }
  // ties: x = k + 0.5 with scale 1 (absmax 127) round to even
  const ties = Float32Array.of(127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 126.5, -126.5);
  const q = new Int8Array(ties.length), s = new Float32Array(1);
  ref.quantInt8(ties, ties.length, q, s);
  assert.deepEqual([...q], [127, 0, 2, 2, 0, -2, -2, 126, -126]);
  assert.equal(s[0], 1);
  // int4: nibbles in [-7, 7], element 2j in the low nibble
  const x4 = Float32Array.of(7, -7, 1, -1, 0, 3);
  const q4 = new Uint8Array(3), s4 = new Float32Array(1);
  ref.quantInt4(x4, 6, q4, s4);
  assert.deepEqual([...q4], [0x97, 0xf1, 0x30]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => ref.int4At(q4, i)), [7, -7, 1, -1, 0, 3]);
  // all-zero and tiny buckets: scale 0, q 0, dequant +0
  const z = Float32Array.of(0, -0, 0, 2 ** -121, -(2 ** -130), 2 ** -120);
  const qz = new Int8Array(6), sz = new Float32Array(2), oz = new Float32Array(6);
  ref.quantInt8(z, 3, qz, sz);
  ref.dequantInt8(qz, sz, 3, oz);
  assert.deepEqual([...sz], [0, Math.fround(2 ** -120 / 127)]);
  assert.deepEqual([...qz], [0, 0, 0, 64, 0, 127]); // 2^-121 * (127 / 2^-120) = 63.5 -> 64 (even)
  // sign: -0 and +0 are non-negative, scale is the mean |x|
  const bits = new Uint8Array(1);
  assert.equal(ref.signPack(Float32Array.of(-0, 0, -1, 3), bits), 1);
  assert.equal(bits[0], 0b0100);
});

test('QSGD is unbiased and uses one RNG counter per element', async () => {
  const [m] = builds as [KernelMemory];
  m.reset();
  const rnd = new TestRandom(36);
  const n = 64, bucket = 16, s = 4, trials = 400;
  const x = testVector(rnd, n, 'normal');
  const px = m.putF32(x), pl = m.alloc(n), pn = m.alloc(16), pout = m.alloc(4 * n);
  const mean = new Float64Array(n);
  for (let t = 0; t < trials; t++) {
    m.k.qsgd_quant(px, n, s, bucket, 12345, t * n, pl, pn);
    m.k.qsgd_dequant(pl, pn, n, s, bucket, pout);
    const out = m.f32(pout, n);
    for (let i = 0; i < n; i++) mean[i]! += out[i]! / trials;
  }
  const norms = m.f32(pn, 4);
  for (let i = 0; i < n; i++) {
    // per trial the value is norm/s * (floor or ceil): std of the mean <= norm/s / (2 sqrt(trials))
    const tol = (5 * norms[Math.floor(i / bucket)]!) / s / (2 * Math.sqrt(trials));
    assert.ok(Math.abs(mean[i]! - x[i]!) <= tol, `element ${i}: mean ${mean[i]} vs ${x[i]}`);
  }
  // shifting counter0 by one shifts the stream by one element
  const el1 = new Int8Array(8), el2 = new Int8Array(8), nrm = new Float32Array(1);
  const c = Float32Array.from({ length: 8 }, () => 0.3);
  ref.qsgdQuant(c, 3, 8, 7, 100, el1, nrm);
  ref.qsgdQuant(c, 3, 8, 7, 101, el2, nrm);
  assert.deepEqual([...el1.subarray(1)], [...el2.subarray(0, 7)]);
});

test('reference quantizers reject bad arguments', () => {
  assert.throws(() => ref.quantInt8(new Float32Array(4), 0, new Int8Array(4), new Float32Array(1)), /bucket must be an integer >= 1/);
  assert.throws(() => ref.quantInt8(new Float32Array(4), 2, new Int8Array(3), new Float32Array(2)), /outQ has length 3, expected 4/);
  assert.throws(() => ref.qsgdQuant(new Float32Array(4), 128, 2, 0, 0, new Int8Array(4), new Float32Array(2)), /s must be an integer in \[1, 127\]/);
  assert.throws(() => ref.quantInt4(new Float32Array(5), 2, new Uint8Array(2), new Float32Array(3)), /outQ has length 2, expected 3/);
});
