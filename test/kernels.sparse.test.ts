// Sparse kernels (assembly/sparse.ts) vs the reference (src/kernels/reference/sparse.ts), both builds:
// gather/scatter bit for bit, codecs byte for byte, and decoder safety on hostile input
// (documented negative codes, no reads past the input, no writes past k / n indices).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from '../src/kernels/reference/sparse.js';
import {
  assertSameF32, assertSameInts, bothBuilds, CANARY, testVector, TestRandom, type KernelMemory,
} from './support/kernel-memory.js';

const builds = await bothBuilds(32 << 20);

/** k distinct ascending indices in [0, n). */
function randomIndices(rnd: TestRandom, n: number, k: number): Uint32Array {
  if (k * 4 > n) { // dense enough: choose by coin flips, then trim/pad
    const picked: number[] = [];
    for (let i = 0; i < n && picked.length < k; i++) if (rnd.uniform() * (n - i) < k - picked.length) picked.push(i);
    return Uint32Array.from(picked);
  }
  const set = new Set<number>();
  while (set.size < k) set.add(Math.floor(rnd.uniform() * n));
  return Uint32Array.from([...set].sort((a, b) => a - b));
}

/** Places bytes at the very end of the memory, so any read past them traps. */
function putAtEnd(m: KernelMemory, bytes: Uint8Array): number {
  const p = m.memory.buffer.byteLength - bytes.length;
  m.u8(p, bytes.length).set(bytes);
  return p;
}

const U32_MAX = 4294967295;

type KernelDeltaDecoder = (inp: number, inLen: number, k: number, n: number, outIdx: number) => number;
type ReferenceDeltaDecoder = (inp: Uint8Array, k: number, n: number, outIdx: Uint32Array) => number;

/**
 * 3,000 random byte strings (half from `favourites`) through a delta decoder, kernel against
 * reference: same return code, same partial output, decoded indices ascending and < n, no write
 * past the k indices and no read past the input (half the inputs end at the end of memory).
 */
function fuzzDeltaDecoder(
  m: KernelMemory, seed: number, favourites: number[], tweak: (u8: Uint8Array, rnd: TestRandom) => void,
  decode: KernelDeltaDecoder, reference: ReferenceDeltaDecoder, what: string,
): void {
  const rnd = new TestRandom(seed);
  for (let t = 0; t < 3000; t++) {
    m.reset();
    const len = rnd.int(0, 24);
    const u8 = Uint8Array.from({ length: len }, () => (rnd.uniform() < 0.5 ? rnd.int(0, 255) : rnd.pick(favourites)));
    tweak(u8, rnd);
    const k = rnd.int(0, 8);
    const n = rnd.pick([1, 5, 300, 70_000, 2 ** 31, U32_MAX]);
    const pin = rnd.uniform() < 0.5 ? putAtEnd(m, u8) : m.putU8(u8, rnd.int(0, 7));
    const pout = m.alloc(4 * k, 4);
    m.u32(pout, k).fill(0xdeadbeef);
    const got = decode(pin, len, k, n, pout);
    const eout = new Uint32Array(k).fill(0xdeadbeef);
    const expected = reference(u8, k, n, eout);
    assert.equal(got, expected, `${what}: bytes=[${[...u8]}] k=${k} n=${n}`);
    assertSameInts(m.u32(pout, k), eout, `${what}: partial output bytes=[${[...u8]}]`);
    if (got >= 0) {
      const out = m.u32(pout, k);
      for (let j = 1; j < k; j++) assert.ok(out[j]! > out[j - 1]!, 'ascending');
      for (let j = 0; j < k; j++) assert.ok(out[j]! < n, '< n');
    }
    m.checkFences(what);
  }
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';
  const { k: kx } = m;

  test(`gather, scatter, scatter_add match the reference (${name})`, () => {
    const rnd = new TestRandom(21);
    for (const n of [1, 2, 5, 16, 17, 100, 1023, 50_000, 1_000_000]) {
      for (const k of [0, 1, 3, Math.max(1, n >> 4), n].filter((v) => v <= n)) {
        m.reset();
        const x = testVector(rnd, n, rnd.pick(['normal', 'specials', 'wide'] as const));
        // gather from a random (possibly repeated, unordered) index list
        const gidx = Uint32Array.from({ length: k }, () => rnd.int(0, n - 1));
        const px = m.putF32(x, 4), pg = m.putU32(gidx, 8), pout = m.alloc(4 * k, 12);
        kx.gather(px, pg, k, pout);
        const eg = new Float32Array(k);
        ref.gather(x, gidx, eg);
        assertSameF32(m.f32(pout, k), eg, `gather n=${n} k=${k}`);

        const vals = testVector(rnd, k, 'normal');
        const y = testVector(rnd, n, 'normal');
        const pv = m.putF32(vals), py = m.putF32(y, 4);
        kx.scatter(pg, pv, k, py);
        const es = y.slice();
        ref.scatter(gidx, vals, es);
        assertSameF32(m.f32(py, n), es, `scatter (repeats keep the last) n=${n} k=${k}`);

        const alpha = rnd.pick([1, -1, 0.5, Math.fround(rnd.normal())]);
        m.f32(py, n).set(y);
        kx.scatter_add(pg, pv, k, alpha, py);
        const ea = y.slice();
        ref.scatterAdd(gidx, vals, alpha, ea);
        assertSameF32(m.f32(py, n), ea, `scatter_add n=${n} k=${k}`);
        m.checkFences(`gather/scatter n=${n} k=${k}`);
      }
    }
  });

  test(`varint deltas: encode matches the reference byte for byte, decode round-trips (${name})`, () => {
    const rnd = new TestRandom(22);
    const cases: Array<[number, Uint32Array]> = [[1, new Uint32Array(0)], [1, Uint32Array.of(0)], [U32_MAX, Uint32Array.of(U32_MAX - 1)]];
    cases.push([U32_MAX, Uint32Array.of(0, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, U32_MAX - 2, U32_MAX - 1)]);
    for (const n of [2, 7, 100, 1000, 100_000, 2_000_000, 2 ** 31, U32_MAX]) {
      for (const k of [1, 2, 5, 100, 5000].filter((v) => v <= n)) cases.push([n, randomIndices(rnd, n, k)]);
    }
    cases.push([100, Uint32Array.from({ length: 100 }, (_, i) => i)]);
    for (const [n, idx] of cases) {
      m.reset();
      const k = idx.length;
      const pidx = m.putU32(idx, 4);
      const pout = m.alloc(5 * k + 1, 3);
      const bytes = kx.varint_encode_deltas(pidx, k, pout);
      const expected = new Uint8Array(5 * k + 1);
      const eb = ref.varintEncodeDeltas(idx, expected);
      assert.equal(bytes, eb, `encoded length n=${n} k=${k}`);
      assert.equal(bytes, ref.varintEncodedBytes(idx));
      assert.equal(kx.varint_bytes_deltas(pidx, k), bytes, `varint_bytes_deltas n=${n} k=${k}`);
      assertSameInts(m.u8(pout, bytes), expected.subarray(0, eb), `varint bytes n=${n} k=${k}`);

      const pdec = m.alloc(4 * k, 4);
      const used = kx.varint_decode_deltas(pout, bytes, k, n >>> 0, pdec);
      assert.equal(used, bytes, `decode consumed n=${n} k=${k}`);
      assertSameInts(m.u32(pdec, k), idx, `decoded n=${n} k=${k}`);
      // Trailing bytes are not consumed: the caller compares the count with the section length.
      assert.equal(kx.varint_decode_deltas(pout, bytes + 1, k, n >>> 0, pdec), bytes);
      m.checkFences(`varint n=${n} k=${k}`);
    }
  });

  test(`varint decoder: truncated, overlong and out-of-range input give -1, -2, -3 (${name})`, () => {
    m.reset();
    const idx = Uint32Array.of(3, 200, 70_000, 9_000_000, 4_000_000_000);
    const enc = new Uint8Array(32);
    const len = ref.varintEncodeDeltas(idx, enc);
    const k = idx.length;
    const pdec = m.alloc(4 * k);
    // every truncation, placed at the end of memory (a read past the input would trap)
    for (let cut = 0; cut < len; cut++) {
      const p = putAtEnd(m, enc.subarray(0, cut));
      assert.equal(kx.varint_decode_deltas(p, cut, k, U32_MAX, pdec), ref.VARINT_TRUNCATED, `cut at ${cut}`);
      assert.equal(ref.varintDecodeDeltas(enc.subarray(0, cut), k, U32_MAX, new Uint32Array(k)), ref.VARINT_TRUNCATED);
    }
    const p = putAtEnd(m, enc.subarray(0, len));
    assert.equal(kx.varint_decode_deltas(p, len, k, U32_MAX, pdec), len);
    assert.equal(kx.varint_decode_deltas(p, len, k, 4_000_000_000, pdec), ref.VARINT_INDEX_RANGE, 'last index == n');
    assert.equal(kx.varint_decode_deltas(p, len, k, 9_000_000, pdec), ref.VARINT_INDEX_RANGE);
    assert.equal(kx.varint_decode_deltas(p, len, 0, 1, pdec), 0, 'k = 0 reads nothing');

    const hostile: Array<[string, number[], number, number, number]> = [
      // label, bytes, k, n, expected
      ['six-byte varint', [0x80, 0x80, 0x80, 0x80, 0x80, 0x00], 1, U32_MAX, ref.VARINT_OVERLONG],
      ['5th byte continues', [0xff, 0xff, 0xff, 0xff, 0x8f], 1, U32_MAX, ref.VARINT_OVERLONG],
      ['value 2^32', [0x80, 0x80, 0x80, 0x80, 0x10], 1, U32_MAX, ref.VARINT_OVERLONG],
      ['max u32 value, n too small', [0xff, 0xff, 0xff, 0xff, 0x0f], 1, U32_MAX, ref.VARINT_INDEX_RANGE],
      ['max u32 - 1 value', [0xfe, 0xff, 0xff, 0xff, 0x0f], 1, U32_MAX, 5],
      ['non-minimal but 5 bytes', [0x81, 0x80, 0x80, 0x80, 0x00], 1, 10, 5],
      ['sum of deltas overflows u32', [0xfe, 0xff, 0xff, 0xff, 0x0f, 0x05], 2, U32_MAX, ref.VARINT_INDEX_RANGE],
      ['delta overflows past n', [0x05, 0x7f], 2, 100, ref.VARINT_INDEX_RANGE],
      ['overlong after good ones', [0x01, 0x02, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], 3, 1000, ref.VARINT_OVERLONG],
      ['truncated continuation', [0x01, 0x82], 2, 1000, ref.VARINT_TRUNCATED],
      ['empty input, k = 1', [], 1, 10, ref.VARINT_TRUNCATED],
    ];
    for (const [label, bytes, kk, n, expected] of hostile) {
      const u8 = Uint8Array.from(bytes);
      const pin = putAtEnd(m, u8);
      const pout = m.alloc(4 * kk);
      assert.equal(kx.varint_decode_deltas(pin, u8.length, kk, n, pout), expected, label);
      assert.equal(ref.varintDecodeDeltas(u8, kk, n, new Uint32Array(kk)), expected, `reference: ${label}`);
    }
    m.checkFences('varint hostile');
  });

  test(`varint decoder on random bytes agrees with the reference and stays in bounds (${name})`, () => {
    fuzzDeltaDecoder(m, 23, [0x00, 0x7f, 0x80, 0xff, 0x0f, 0x10], () => {}, kx.varint_decode_deltas, ref.varintDecodeDeltas, 'varint fuzz');
  });

  test(`rice deltas: parameter and bytes match the reference, decode round-trips, limit writes nothing (${name})`, () => {
    const rnd = new TestRandom(27);
    const cases: Array<[number, Uint32Array]> = [[1, Uint32Array.of(0)], [U32_MAX, Uint32Array.of(U32_MAX - 1)]];
    cases.push([U32_MAX, Uint32Array.of(0, 1, 2, 127, 128, 16383, 2 ** 21, 2 ** 28, U32_MAX - 2, U32_MAX - 1)]);
    cases.push([100, Uint32Array.from({ length: 100 }, (_, i) => i)]); // every delta 0: b = 0, one bit each
    cases.push([70_000, Uint32Array.of(0, 69_999)]); // one long gap: quotient runs past 32 bits
    cases.push([1 << 20, Uint32Array.from({ length: 300 }, (_, i) => (i < 150 ? i : 3000 * i))]); // clustered
    { // short gaps with a long one now and then: the encoder leaves its two-codes-at-once loop and resumes
      let at = 0;
      cases.push([1 << 26, Uint32Array.from({ length: 5001 }, (_, i) => (at += 1 + (i % 37 === 5 ? 40_000 + i : rnd.int(0, 200))))]);
    }
    for (const n of [2, 7, 100, 1000, 61_706, 100_000, 2_000_000, 2 ** 31, U32_MAX]) {
      for (const k of [1, 2, 5, 100, 617, 5000].filter((v) => v <= n)) cases.push([n, randomIndices(rnd, n, k)]);
    }
    for (const [n, idx] of cases) {
      m.reset();
      const k = idx.length;
      const pidx = m.putU32(idx, 4);
      const b = kx.rice_parameter(pidx, k);
      assert.equal(b, ref.riceParameter(idx), `parameter n=${n} k=${k}`);
      // delta_costs: varint bytes, the parameter and the rice bytes from one pass
      const pcost = m.alloc(12);
      kx.delta_costs(pidx, k, pcost);
      assertSameInts(m.u32(pcost, 3), ref.deltaCosts(idx), `delta_costs n=${n} k=${k}`);
      assert.equal(m.u32(pcost, 1)[0], kx.varint_bytes_deltas(pidx, k), `delta_costs varint n=${n} k=${k}`);
      // the parameter is optimal: no other b codes these deltas in fewer bits
      const best = ref.riceCodeBits(idx, b);
      for (let c = 0; c < 32; c++) assert.ok(ref.riceCodeBits(idx, c) >= best, `b=${c} beats ${b} (n=${n} k=${k})`);
      const eb = ref.riceEncodedBytes(idx);
      const expected = new Uint8Array(eb);
      assert.equal(ref.riceEncodeDeltas(idx, expected), eb);
      const pout = m.alloc(eb, 3);
      assert.equal(kx.rice_encode_deltas(pidx, k, eb + 1, pout), eb, `encoded length n=${n} k=${k}`);
      assertSameInts(m.u8(pout, eb), expected, `rice bytes n=${n} k=${k}`);
      // limit = the size: nothing written (a write would break the fence of this exact-size buffer)
      const pnone = m.alloc(eb - 1, 1);
      m.u8(pnone, eb - 1).fill(CANARY);
      assert.equal(kx.rice_encode_deltas(pidx, k, eb, pnone), -1, `limit = size n=${n} k=${k}`);
      assert.ok(m.u8(pnone, eb - 1).every((v) => v === CANARY), 'nothing written under the limit');

      const pdec = m.alloc(4 * k, 4);
      assert.equal(kx.rice_decode_deltas(pout, eb, k, n >>> 0, pdec), eb, `decode consumed n=${n} k=${k}`);
      assertSameInts(m.u32(pdec, k), idx, `decoded n=${n} k=${k}`);
      const eout = new Uint32Array(k);
      assert.equal(ref.riceDecodeDeltas(expected, k, n, eout), eb);
      assertSameInts(eout, idx, `reference decoded n=${n} k=${k}`);
      // at the end of memory (a read past the section would trap); trailing bytes are not consumed
      const pend = putAtEnd(m, expected);
      assert.equal(kx.rice_decode_deltas(pend, eb, k, n >>> 0, pdec), eb);
      assert.equal(kx.rice_decode_deltas(pout, eb + 1, k, n >>> 0, pdec), eb);
      m.checkFences(`rice n=${n} k=${k}`);
    }
  });

  test(`rice decoder: truncated, bad parameter, out-of-range and padded input give -1..-4 (${name})`, () => {
    m.reset();
    const idx = Uint32Array.of(3, 200, 70_000, 9_000_000, 4_000_000_000);
    const len = ref.riceEncodedBytes(idx);
    const enc = new Uint8Array(len);
    ref.riceEncodeDeltas(idx, enc);
    const k = idx.length;
    const pdec = m.alloc(4 * k);
    for (let cut = 0; cut < len; cut++) {
      const p = putAtEnd(m, enc.subarray(0, cut));
      assert.equal(kx.rice_decode_deltas(p, cut, k, U32_MAX, pdec), ref.RICE_TRUNCATED, `cut at ${cut}`);
      assert.equal(ref.riceDecodeDeltas(enc.subarray(0, cut), k, U32_MAX, new Uint32Array(k)), ref.RICE_TRUNCATED);
    }
    const p = putAtEnd(m, enc);
    assert.equal(kx.rice_decode_deltas(p, len, k, 4_000_000_001, pdec), len);
    assert.equal(kx.rice_decode_deltas(p, len, k, 4_000_000_000, pdec), ref.RICE_INDEX_RANGE, 'last index == n');
    assert.equal(kx.rice_decode_deltas(p, len, k, 9_000_000, pdec), ref.RICE_INDEX_RANGE);
    assert.equal(kx.rice_decode_deltas(p, len, 0, 1, pdec), 1, 'k = 0 reads the parameter byte only');

    const hostile: Array<[string, number[], number, number, number]> = [
      // label, bytes, k, n, expected
      ['empty input', [], 1, 10, ref.RICE_TRUNCATED],
      ['parameter 32', [32, 0], 1, U32_MAX, ref.RICE_BAD_PARAMETER],
      ['parameter 255', [255, 0], 1, U32_MAX, ref.RICE_BAD_PARAMETER],
      ['b = 0, deltas 0, 0, 0', [0, 0], 3, 10, 2],
      ['b = 0, delta 3 (1110)', [0, 0b0111], 1, 10, 2],
      ['pad bit set', [0, 0b1000_0000], 1, 10, ref.RICE_PADDING],
      ['unary run of 1s past n stops at n', [0, 0xff, 0xff, 0xff, 0xff], 1, 20, ref.RICE_INDEX_RANGE],
      ['unary run of 1s to the end', [0, 0xff, 0xff], 1, 1000, ref.RICE_TRUNCATED],
      ['64 ones then a 0 (a full 64-bit buffer)', [0, 255, 255, 255, 255, 255, 255, 255, 255, 0], 1, 1000, 10],
      ['63 ones then a 0', [0, 255, 255, 255, 255, 255, 255, 255, 127], 1, 1000, 9],
      ['b = 31, quotient 2 overflows u32 n', [31, 0b011], 1, U32_MAX, ref.RICE_INDEX_RANGE],
      ['b = 31 low bits cut', [31, 0, 0, 0], 1, U32_MAX, ref.RICE_TRUNCATED],
      ['b = 31, low bits all 1', [31, 0xfe, 0xff, 0xff, 0xff], 1, U32_MAX, 5],
      ['second index at n', [0, 0b0_0110], 2, 2, ref.RICE_INDEX_RANGE],
      ['index n - 1 then no room', [0, 0b0001_0], 2, 1, ref.RICE_INDEX_RANGE],
    ];
    for (const [label, bytes, kk, n, expected] of hostile) {
      const u8 = Uint8Array.from(bytes);
      const pin = putAtEnd(m, u8);
      const pout = m.alloc(4 * kk);
      assert.equal(ref.riceDecodeDeltas(u8, kk, n, new Uint32Array(kk)), expected, `reference: ${label}`);
      assert.equal(kx.rice_decode_deltas(pin, u8.length, kk, n, pout), expected, label);
    }
    m.checkFences('rice hostile');
  });

  test(`rice decoder on random bytes agrees with the reference and stays in bounds (${name})`, () => {
    // mostly plausible parameter bytes (0..31), sometimes just above
    const tweak = (u8: Uint8Array, rnd: TestRandom): void => { if (u8.length > 0 && rnd.uniform() < 0.8) u8[0] = rnd.int(0, 33); };
    fuzzDeltaDecoder(m, 28, [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe], tweak, kx.rice_decode_deltas, ref.riceDecodeDeltas, 'rice fuzz');
  });

  test(`bitmap: encode matches the reference, decode round-trips (${name})`, () => {
    const rnd = new TestRandom(24);
    for (const n of [1, 2, 7, 8, 9, 15, 16, 63, 64, 65, 100, 1000, 4099, 100_003]) {
      for (const k of [0, 1, 2, Math.floor(n / 3), n].filter((v) => v <= n)) {
        m.reset();
        const idx = randomIndices(rnd, n, k);
        const bytes = Math.ceil(n / 8);
        const pidx = m.putU32(idx);
        const pbm = m.alloc(bytes, rnd.int(0, 7));
        m.u8(pbm, bytes).fill(0xff); // encode must clear stale bits
        assert.equal(kx.bitmap_encode(pidx, k, n, pbm), bytes);
        const eb = new Uint8Array(bytes);
        ref.bitmapEncode(idx, n, eb);
        assertSameInts(m.u8(pbm, bytes), eb, `bitmap bytes n=${n} k=${k}`);
        const pdec = m.alloc(4 * n);
        assert.equal(kx.bitmap_decode(pbm, n, pdec), k);
        assertSameInts(m.u32(pdec, k), idx, `bitmap decode n=${n} k=${k}`);
        // at the end of memory: only ceil(n/8) bytes are read
        const pend = putAtEnd(m, eb);
        assert.equal(kx.bitmap_decode(pend, n, pdec), k);
        m.checkFences(`bitmap n=${n} k=${k}`);
      }
    }
  });

  test(`bitmap decoder: stray bits past n give -1 and write nothing (${name})`, () => {
    const rnd = new TestRandom(25);
    for (const n of [1, 3, 7, 9, 15, 17, 63, 65, 1001]) {
      for (let stray = n; stray < Math.ceil(n / 8) * 8; stray++) {
        m.reset();
        const bytes = Math.ceil(n / 8);
        const bm = Uint8Array.from({ length: bytes }, () => rnd.int(0, 255));
        bm[bytes - 1] = bm[bytes - 1]! & ((1 << (n % 8)) - 1);
        bm[stray >>> 3] = bm[stray >>> 3]! | (1 << (stray & 7));
        const pin = putAtEnd(m, bm);
        const pdec = m.alloc(4 * n);
        m.u8(pdec, 4 * n).fill(CANARY);
        assert.equal(kx.bitmap_decode(pin, n, pdec), ref.BITMAP_STRAY_BITS, `n=${n} stray=${stray}`);
        assert.equal(ref.bitmapDecode(bm, n, new Uint32Array(n)), ref.BITMAP_STRAY_BITS);
        assert.ok(m.u8(pdec, 4 * n).every((b) => b === CANARY), 'nothing written');
        m.checkFences('bitmap stray');
      }
    }
  });

  test(`bitmap decoder on random bytes agrees with the reference (${name})`, () => {
    const rnd = new TestRandom(26);
    for (let t = 0; t < 500; t++) {
      m.reset();
      const n = rnd.int(1, 300);
      const bm = Uint8Array.from({ length: Math.ceil(n / 8) }, () => (rnd.uniform() < 0.3 ? 0 : rnd.int(0, 255)));
      const pin = putAtEnd(m, bm);
      const pdec = m.alloc(4 * n);
      const eout = new Uint32Array(n);
      const expected = ref.bitmapDecode(bm, n, eout);
      const got = kx.bitmap_decode(pin, n, pdec);
      assert.equal(got, expected, `n=${n}`);
      if (got > 0) assertSameInts(m.u32(pdec, got), eout.subarray(0, got), `n=${n}`);
      m.checkFences('bitmap fuzz');
    }
  });
}

test('reference codecs reject misuse', () => {
  assert.throws(() => ref.varintEncodeDeltas(Uint32Array.of(3, 3), new Uint8Array(10)), /not strictly ascending/);
  assert.throws(() => ref.varintEncodeDeltas(Uint32Array.of(1000), new Uint8Array(1)), /too small/);
  assert.throws(() => ref.riceParameter(Uint32Array.of(5, 2)), /not strictly ascending/);
  assert.throws(() => ref.riceParameter(new Uint32Array(0)), /no indices/);
  assert.throws(() => ref.riceEncodeDeltas(Uint32Array.of(1000), new Uint8Array(1)), /need/);
  assert.throws(() => ref.gather(new Float32Array(2), Uint32Array.of(2), new Float32Array(1)), /out of range/);
  assert.throws(() => ref.bitmapEncode(Uint32Array.of(9), 9, new Uint8Array(1)), /need 2/);
});
