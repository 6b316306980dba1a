// Wire codec: header layout, the cheapest index format, every WireError parse must raise, the
// InputErrors of bad vectors and arguments, determinism of the stochastic compressors, and QSGD
// unbiasedness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCompressor, IndexFormat } from '../src/compress/index.js';
import { InputError, WireError } from '../src/errors.js';
import { rngKey, Purpose } from '../src/kernels/rng.js';
import { TestRandom, testVector } from './support/kernel-memory.js';
import { HEADER, patchHeader } from './compress.support.js';
import * as ref from '../src/kernels/reference/select.js';
import { assertThrowsError } from './support/assert-error.js';

/** x with the given coordinates set to ±1 (threshold:0.5 then keeps exactly them). */
function spikes(d: number, at: number[]): Float32Array {
  const x = new Float32Array(d);
  at.forEach((i, j) => { x[i] = j % 2 ? -1 : 1; });
  return x;
}

test('header layout', async () => {
  const c = await createCompressor('randk:0.1:scaled+qsgd:3:16');
  const x = testVector(new TestRandom(2), 1000, 'normal');
  const bytes = c.encode(c.compress(x, { rngKey: 7 }));
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  assert.equal(bytes[0], 0x53, 'magic');
  assert.equal(bytes[1], 2, 'version');
  assert.equal(bytes[2], 2, 'sparsifier randk');
  assert.equal(bytes[3], 3, 'value format qsgd');
  assert.equal(bytes[5], 1, 'flags: scaled');
  assert.equal(bytes[6], 3, 'qsgd s');
  assert.equal(dv.getUint32(8, true), 1000, 'd');
  assert.equal(dv.getUint32(12, true), 100, 'k');
  assert.equal(dv.getUint32(16, true), 16, 'bucket');
  assert.equal(dv.getUint32(20, true), bytes.length, 'length');
  // qsgd:3 packs levels in 3 bits: 7 norms + ceil(100*3/8) bytes of levels.
  const indexBytes = bytes.length - HEADER - (4 * 7 + 38);
  assert.ok(indexBytes > 0 && indexBytes <= 125);
});

test('the codec picks the cheapest index format for each message', async () => {
  const c = await createCompressor('threshold:0.5');
  const cases: [string, number, number[], number, number][] = [
    // name, d, kept indices, expected format, expected index-section bytes
    ['dense (k = d)', 9, [0, 1, 2, 3, 4, 5, 6, 7, 8], IndexFormat.dense, 0],
    ['dense-ish: bitmap', 1000, Array.from({ length: 500 }, (_, i) => 2 * i), IndexFormat.bitmap, 125],
    ['sparse, gaps of 9: rice b = 3 (4 or 5 bits each)', 1_000_000, Array.from({ length: 1000 }, (_, i) => 10 * i), IndexFormat.rice, 1 + Math.ceil((1000 * 4 + 999) / 8)],
    // runs of adjacent indices and nine jumps of 49,900: a varint spends 1 byte on each 0 and 3 on each jump
    ['clusters far apart: varint', 1_000_000, Array.from({ length: 1000 }, (_, i) => 50_000 * Math.floor(i / 100) + (i % 100)), IndexFormat.varint, 991 + 9 * 3],
    ['mid, spread, d <= 65536: abs16', 65536, [20000, 40000, 60000], IndexFormat.abs16, 6],
    ['ties go to the lower id: abs16 = varint = rice = 4', 60000, [1000, 2001], IndexFormat.abs16, 4],
    ['spread, d > 65536: abs32', 2_097_153, [2_097_152], IndexFormat.abs32, 4],
    ['empty', 100, [], IndexFormat.abs16, 0],
    ['bitmap wins its tie with rice', 1001, Array.from({ length: 500 }, (_, i) => 2 * i), IndexFormat.bitmap, 126],
    ['gaps of 7: rice beats bitmap and varint', 160, Array.from({ length: 20 }, (_, i) => 8 * i), IndexFormat.rice, 1 + Math.ceil((20 * 3 + 19) / 8)],
  ];
  for (const [name, d, at, fmt, ibytes] of cases) {
    const msg = c.compress(spikes(d, at));
    const bytes = c.encode(msg);
    assert.equal(bytes[4], fmt, `${name}: format`);
    assert.equal(bytes.length, HEADER + 4 * at.length + ibytes, `${name}: length`);
    assert.equal(msg.bits, 8 * bytes.length, `${name}: bits`);
    assert.deepEqual(Array.from(msg.indices), at, `${name}: indices`);
  }
});

test('maxEncodedBytes bounds every message, including worst cases', async () => {
  for (const spec of ['threshold:0', 'threshold:0.5+int4', 'topk:0.125', 'randk:0.5+qsgd:127', 'sign', 'threshold:0.5+sign']) {
    const c = await createCompressor(spec);
    for (const d of [1, 7, 8, 9, 100, 4099]) {
      for (const at of [[0], Array.from({ length: d >> 1 }, (_, i) => 2 * i), Array.from({ length: d - 1 }, (_, i) => i)]) {
        const len = c.encode(c.compress(spikes(d, at.filter((i) => i < d)), { rngKey: 1 })).length;
        assert.ok(len <= c.maxEncodedBytes(d), `${spec} d=${d}: ${len} > ${c.maxEncodedBytes(d)}`);
      }
    }
  }
});

function wireError(fn: () => unknown, pattern: RegExp, what: string): void {
  assertThrowsError(fn, WireError, pattern, what);
}

test('parse rejects malformed headers with WireErrors that say what is wrong', async () => {
  const c = await createCompressor('topk:0.005+int8');
  // k = 10 spikes 130 apart: rice b = 7, 9 bits each (abs16 and varint take 20 bytes).
  const x = spikes(2000, Array.from({ length: 10 }, (_, i) => 130 * i + 129));
  const good = c.encode(c.compress(x));
  assert.equal(good[4], IndexFormat.rice);
  assert.equal(good.length, HEADER + 4 + 10 + 1 + Math.ceil(90 / 8));
  c.parse(good, 2000);

  wireError(() => c.parse(good, 1999), /expected d=1999, message has d=2000/, 'wrong d');
  for (let n = 0; n < good.length; n++) wireError(() => c.parse(good.subarray(0, n), 2000), /truncated/, `prefix ${n}`);
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  wireError(() => c.parse(longer, 2000), /trailing bytes/, 'trailing byte');
  const m = good.slice(); m[0] = 0x54;
  wireError(() => c.parse(m, 2000), /magic/, 'magic');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[1] = 3; }), 2000), /unsupported wire version 3 \(this build reads 1 and 2\)/, 'version');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[1] = 1; }), 2000), /unknown index format 5 in a version 1 message/, 'rice in version 1');
  const crc = good.slice(); crc[7] ^= 1;
  wireError(() => c.parse(crc, 2000), /checksum/, 'crc');
  const flip = good.slice(); flip[13] ^= 4;
  wireError(() => c.parse(flip, 2000), /checksum/, 'bit flip in k');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[3] = 2; }), 2000), /message is topk\+int4, this compressor reads topk\+int8/, 'format id');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[2] = 9; }), 2000), /sparsifier#9/, 'sparsifier id');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[5] = 1; }), 2000), /flags/, 'flags');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[6] = 3; }), 2000), /levels/, 'levels');
  wireError(() => c.parse(patchHeader(good, (dv) => dv.setUint32(16, 64, true)), 2000), /bucket 64/, 'bucket');
  wireError(() => c.parse(patchHeader(good, (dv) => dv.setUint32(12, 2001, true)), 2000), /k=2001 exceeds d=2000/, 'k > d');
  wireError(() => c.parse(patchHeader(good, (dv) => dv.setUint32(12, 11, true)), 2000), /sends k=10/, 'k for topk');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[4] = 7; }), 2000), /unknown index format 7 in a version 2 message/, 'index format id');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[4] = 6; }), 2000), /seeded indices in a topk message with k=10 \(only randk/, 'seeded needs randk');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[4] = 0; }), 2000), /dense index format with k=10/, 'dense with k < d');
  wireError(() => c.parse(patchHeader(good, (_, b) => { b[4] = 1; }), 2000), /bitmap index section has 13 bytes, needs 250/, 'size mismatch');
  wireError(() => c.parse(patchHeader(good, (dv) => dv.setUint32(20, good.length + 1, true)), 2000), /truncated: header says/, 'length field');

  const big = await createCompressor('threshold:0.5');
  const bigMsg = big.encode(big.compress(spikes(2_097_153, [2_097_152])));
  assert.equal(bigMsg[4], IndexFormat.abs32);
  wireError(() => big.parse(patchHeader(bigMsg, (_, b) => { b[4] = 2; }), 2_097_153), /abs16 indices with d=2097153/, 'abs16 needs d <= 65536');
});

test('parse rejects bad index sections', async () => {
  const c = await createCompressor('threshold:0.5');
  const abs = c.encode(c.compress(spikes(60000, [200, 30000, 59000])));
  assert.equal(abs[4], IndexFormat.abs16);
  c.parse(abs, 60000);
  // a version 1 message (no rice) still reads
  assert.deepEqual(Array.from(c.parse(patchHeader(abs, (_, b) => { b[1] = 1; }), 60000).indices), [200, 30000, 59000]);
  const at = HEADER + 12; // three f32 values, then u16 indices
  const setIdx = (b: Uint8Array, j: number, v: number): void => { b[at + 2 * j] = v & 0xff; b[at + 2 * j + 1] = v >> 8; };
  let m = abs.slice(); setIdx(m, 1, 200);
  wireError(() => c.parse(m, 60000), /not strictly ascending at position 1 \(200 then 200\)/, 'duplicate');
  m = abs.slice(); setIdx(m, 2, 100);
  wireError(() => c.parse(m, 60000), /not strictly ascending/, 'descending');
  m = abs.slice(); setIdx(m, 2, 60000);
  wireError(() => c.parse(m, 60000), /index 2 is 60000, not < d=60000/, 'index >= d');

  // deltas 0, 0, 997: varint 1 + 1 + 2 bytes; rice needs 5
  const vmsg = c.encode(c.compress(spikes(1000, [0, 1, 999])));
  assert.equal(vmsg[4], IndexFormat.varint);
  const vat = HEADER + 12;
  assert.equal(vmsg.length, vat + 4);
  const withIdx = (section: number[]): Uint8Array => {
    const out = new Uint8Array(vat + section.length);
    out.set(vmsg.subarray(0, vat));
    out.set(section, vat);
    return patchHeader(out, (dv) => dv.setUint32(20, out.length, true));
  };
  c.parse(withIdx([3, 0, 0]), 1000);
  wireError(() => c.parse(withIdx([0xff, 0xff, 0xff, 0xff, 0x7f, 0, 0]), 1000), /malformed varint/, 'overlong varint');
  wireError(() => c.parse(withIdx([3, 0, 0x80]), 1000), /truncated/, 'varint cut inside');
  wireError(() => c.parse(withIdx([3, 0, 0, 0]), 1000), /1 trailing bytes after 3 indices/, 'varint trailing');
  wireError(() => c.parse(withIdx([3, 0, 0xe4, 0x07]), 1000), /index >= d=1000/, 'varint index >= d');
  wireError(() => c.parse(withIdx([3, 0]), 1000), /impossible for k=3/, 'varint section shorter than k');

  // deltas 3, 0, 0 with b = 0: bits 1110 0 0, LSB first
  const rmsg = c.encode(c.compress(spikes(1000, [3, 4, 5])));
  assert.equal(rmsg[4], IndexFormat.rice);
  assert.deepEqual(Array.from(rmsg.subarray(vat)), [0, 0b00_0111]);
  const withRice = (section: number[]): Uint8Array => {
    const out = new Uint8Array(vat + section.length);
    out.set(rmsg.subarray(0, vat));
    out.set(section, vat);
    return patchHeader(out, (dv) => dv.setUint32(20, out.length, true));
  };
  assert.deepEqual(Array.from(c.parse(withRice([1, 0b0_0000_010]), 1000).indices), [1, 2, 3], 'b = 1: deltas 1, 0, 0');
  wireError(() => c.parse(withRice([32, 7]), 1000), /parameter above 31/, 'rice parameter');
  wireError(() => c.parse(withRice([0, 0b0100_0111]), 1000), /pad bits that are not 0/, 'rice padding');
  wireError(() => c.parse(withRice([0, 0xff]), 1000), /rice index section truncated/, 'rice cut inside a quotient');
  wireError(() => c.parse(withRice([0, 7, 0]), 1000), /1 trailing bytes after 3 indices/, 'rice trailing');
  wireError(() => c.parse(withRice([10, 0xfe, 0xff]), 1000), /rice index section decodes an index >= d=1000/, 'rice index >= d');
  wireError(() => c.parse(withRice([0, 0xff, 0xff, 0xff, 0xff, 0xff]), 1000), /truncated/, 'rice: 40 ones');
  wireError(() => c.parse(withRice([0]), 1000), /rice index section has 1 bytes, impossible for k=3, d=1000 \(needs 2\.\.6/, 'rice section too short');
  wireError(() => c.parse(withRice([0, 7, 0, 0, 0, 0, 0]), 1000), /rice index section has 7 bytes, impossible/, 'rice section longer than abs16');

  const bm = c.encode(c.compress(spikes(1001, Array.from({ length: 500 }, (_, i) => 2 * i))));
  assert.equal(bm[4], IndexFormat.bitmap);
  m = bm.slice(); m[m.length - 1] |= 0x80; // bit 1007 of 1001
  wireError(() => c.parse(m, 1001), /bits set past d=1001/, 'stray bitmap bits');
  m = bm.slice(); m[m.length - 2] ^= 0x02;
  wireError(() => c.parse(m, 1001), /bits set, header says k=500/, 'bitmap popcount');
});

test('randk sends the key of its index stream (4 bytes), and the receiver redraws the same indices', async () => {
  const d = 61_706;
  const x = testVector(new TestRandom(9), d, 'normal');
  for (const spec of ['randk:0.01', 'randk:0.09+sign', 'randk:0.5:scaled+int8']) {
    const c = await createCompressor(spec);
    const key = rngKey(3, 5, 7, Purpose.randk);
    const msg = c.compress(x, { rngKey: key });
    const bytes = c.encode(msg);
    assert.equal(bytes[4], IndexFormat.seeded, `${spec}: format`);
    const vbytes = bytes.length - HEADER - 4;
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset + HEADER + vbytes, 4).getUint32(0, true), key, `${spec}: the key is on the wire`);
    assert.deepEqual(Array.from(msg.indices), Array.from(ref.randk(d, msg.indices.length, key)), `${spec}: indices = randk(d, k, key)`);
    // another key is another valid draw of k indices (the key only chooses which coordinates)
    const other = bytes.slice();
    new DataView(other.buffer, HEADER + vbytes, 4).setUint32(0, key ^ 1, true);
    assert.deepEqual(Array.from(c.parse(other, d).indices), Array.from(ref.randk(d, msg.indices.length, key ^ 1)), `${spec}: other key`);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    wireError(() => c.parse(patchHeader(longer, (dv) => dv.setUint32(20, longer.length, true)), d), /seeded index section has 5 bytes, needs 4/, `${spec}: 5-byte key`);
    wireError(() => c.parse(patchHeader(bytes, (_, b) => { b[1] = 1; }), d), /unknown index format 6 in a version 1 message/, `${spec}: v1`);
  }
  // tiny k: three varints of deltas < 100 (3 bytes) are cheaper than the key; two u16 tie with it and win (lower id)
  const tiny = await createCompressor('randk:0.03');
  assert.equal(tiny.encode(tiny.compress(x.subarray(0, 100), { rngKey: 11 }))[4], IndexFormat.varint, 'k = 3 of 100: varint');
  const two = await createCompressor('randk:0.002');
  assert.equal(two.encode(two.compress(x.subarray(0, 1000), { rngKey: 11 }))[4], IndexFormat.abs16, 'k = 2 of 1000: abs16 ties the key');
});

test('parse rejects bad value sections', async () => {
  const rnd = new TestRandom(4);
  const x = testVector(rnd, 100, 'normal');
  const setF32 = (b: Uint8Array, at: number, v: number): void => new DataView(b.buffer, b.byteOffset).setFloat32(at, v, true);

  const f = await createCompressor('topk:0.1');
  const fm = f.encode(f.compress(x));
  for (const v of [NaN, Infinity, -Infinity]) {
    const m = fm.slice(); setF32(m, HEADER + 4, v);
    wireError(() => f.parse(m, 100), /value 1 decodes to/, `f32 value ${v}`);
  }

  const i8 = await createCompressor('int8:32'); // 4 scales, then 100 i8
  const im = i8.encode(i8.compress(x));
  for (const v of [NaN, Infinity, -1, -Infinity]) {
    const m = im.slice(); setF32(m, HEADER + 8, v);
    wireError(() => i8.parse(m, 100), /int8 scale 2 is/, `int8 scale ${v}`);
  }
  let m = im.slice(); m[HEADER + 16 + 5] = 0x80;
  wireError(() => i8.parse(m, 100), /int8 value 5 is -128/, 'int8 -128');
  m = im.slice(); setF32(m, HEADER, 3e38); m[HEADER + 16] = 127;
  wireError(() => i8.parse(m, 100), /value 0 decodes to Infinity/, 'int8 decode overflow');

  const i4 = await createCompressor('topk:0.05+int4'); // k = 5: 1 scale, 3 bytes of nibbles
  const qm = i4.encode(i4.compress(x));
  m = qm.slice(); m[HEADER + 4 + 1] = (m[HEADER + 4 + 1]! & 0x0f) | 0x80;
  wireError(() => i4.parse(m, 100), /int4 value 3 is -8/, 'int4 -8');
  m = qm.slice(); m[HEADER + 4 + 2] |= 0x10;
  wireError(() => i4.parse(m, 100), /pad nibble/, 'int4 pad');

  const q = await createCompressor('qsgd:3'); // 3 bits a level, codes 0..6
  const qq = q.encode(q.compress(x, { rngKey: 1 }));
  m = qq.slice(); m[HEADER + 4] |= 0x07;
  wireError(() => q.parse(m, 100), /qsgd level 0 is 4, outside -3\.\.3/, 'qsgd code 7');
  m = qq.slice(); m[m.length - 1] |= 0x80; // 300 bits: the top 4 bits of the last byte are pad
  wireError(() => q.parse(m, 100), /pad bits/, 'qsgd pad');
  m = qq.slice(); setF32(m, HEADER, -2);
  wireError(() => q.parse(m, 100), /norm 0 is -2/, 'qsgd norm');

  const s = await createCompressor('sign');
  const sm = s.encode(s.compress(x));
  m = sm.slice(); m[m.length - 1] |= 0x40; // 100 bits: bits 4..7 of the last byte are pad
  wireError(() => s.parse(m, 100), /sign pad bits/, 'sign pad');
  m = sm.slice(); setF32(m, HEADER, NaN);
  wireError(() => s.parse(m, 100), /sign scale 0 is NaN/, 'sign scale');
});

function inputError(fn: () => unknown, pattern: RegExp, what: string): void {
  assertThrowsError(fn, InputError, pattern, what);
}

test('bad vectors and arguments raise InputErrors', async () => {
  const c = await createCompressor('topk:0.1+int8');
  const x = testVector(new TestRandom(5), 100, 'normal');
  for (const [bad, at, later] of [[NaN, 5, 7], [Infinity, 0, 50], [-Infinity, 98, 99]] as const) {
    const y = x.slice(); y[at] = bad; y[later] = NaN;
    inputError(() => c.compress(y), new RegExp(`${bad} at index ${at} \\(d=100\\)`), `${bad}`);
    inputError(() => c.compressInto(y, new Uint8Array(c.maxEncodedBytes(100))), /NaN|Infinity/, `${bad} compressInto`);
  }
  inputError(() => c.compress(new Float32Array(0)), /d=0/, 'empty vector');
  inputError(() => c.compressInto(x, new Uint8Array(10)), /needs maxEncodedBytes\(100\)/, 'small output');
  const bytes = c.encode(c.compress(x));
  inputError(() => c.accumulate(bytes, 100, 1, new Float32Array(99)), /length 99, expected d=100/, 'target length');
  inputError(() => c.accumulate(bytes, 100, NaN, new Float32Array(100)), /alpha NaN/, 'alpha');
  inputError(() => c.parse(bytes, 0), /d=0/, 'parse d');
  inputError(() => c.parse(bytes, 1.5), /d=1.5/, 'parse d');
  inputError(() => c.decode(c.parse(bytes, 100), new Float32Array(50)), /length 50, message has d=100/, 'decode length');
  inputError(() => c.encode({ d: 100, indices: new Uint32Array([1]), values: new Float32Array([1]), bits: 0 }), /can only encode Messages this compressor produced/, 'foreign quantized message');

  const plain = await createCompressor('topk:0.02');
  const hand = plain.encode({ d: 100, indices: new Uint32Array([4, 50]), values: new Float32Array([1.5, -2]), bits: 0 });
  const back = plain.parse(hand, 100);
  assert.deepEqual(Array.from(back.indices), [4, 50]);
  assert.deepEqual(Array.from(back.values), [1.5, -2]);
  inputError(() => plain.encode({ d: 100, indices: new Uint32Array([50, 4]), values: new Float32Array([1, 2]), bits: 0 }), /ascend/, 'unordered message');
  inputError(() => plain.encode({ d: 100, indices: new Uint32Array([4]), values: new Float32Array([1]), bits: 0 }), /k=1, this compressor sends k=2/, 'wrong k');
  inputError(() => plain.decode({ d: 100, indices: new Uint32Array([4, 100]), values: new Float32Array([1, 2]), bits: 0 }, new Float32Array(100)), /< d=100/, 'decode index out of range');

  const r = await createCompressor('randk:0.1');
  inputError(() => r.compress(x), /stochastic: pass opts.rngKey/, 'missing key');
  inputError(() => r.compress(x, { rngKey: 1.5 }), /rngKey 1.5/, 'fractional key');
  inputError(() => r.compress(x, { rngKey: 2 ** 32 }), /rngKey/, 'key too large');
  const huge = new Float32Array(100).fill(3e38);
  const scaled = await createCompressor('randk:0.1:scaled');
  inputError(() => scaled.compress(huge, { rngKey: 1 }), /rescaling .* overflows f32/, 'randk rescale overflow');
  const q4 = await createCompressor('qsgd:4');
  inputError(() => q4.compress(huge, { rngKey: 1 }), /too large to quantize/, 'qsgd norm overflow');
});

test('stochastic compressors are deterministic per key and differ across keys', async () => {
  const x = testVector(new TestRandom(6), 5000, 'normal');
  for (const spec of ['randk:0.01', 'randk:0.1:scaled', 'qsgd:4', 'randk:0.1+qsgd:8', 'topk:0.1+qsgd:2']) {
    const c = await createCompressor(spec);
    assert.ok(c.stochastic, spec);
    const k1 = rngKey(1, 0, 0, Purpose.randk);
    const k2 = rngKey(1, 0, 1, Purpose.randk);
    const a = c.encode(c.compress(x, { rngKey: k1 }));
    const b = c.encode(c.compress(x, { rngKey: k1 }));
    const other = c.encode(c.compress(x, { rngKey: k2 }));
    assert.deepEqual(a, b, `${spec}: same key`);
    assert.notDeepEqual(a, other, `${spec}: different keys`);
    // A fresh instance (another worker) reproduces the bytes.
    const c2 = await createCompressor(spec, { simd: false });
    assert.deepEqual(c2.encode(c2.compress(x, { rngKey: k1 })), a, `${spec}: other instance`);
  }
  const t = await createCompressor('topk:0.1');
  assert.equal(t.stochastic, false);
  assert.deepEqual(t.encode(t.compress(x, { rngKey: 1 })), t.encode(t.compress(x)), 'topk ignores the key');
});

test('qsgd is unbiased: the mean over many keys approaches x', async () => {
  const d = 64;
  const rnd = new TestRandom(7);
  const x = new Float32Array(d).map(() => rnd.normal());
  for (const [spec, bucket] of [['qsgd:2:16', 16], ['qsgd:1', d], ['randk:0.5:scaled+qsgd:4:8', 8]] as const) {
    const c = await createCompressor(spec);
    const trials = 4000;
    const mean = new Float64Array(d);
    const dense = new Float32Array(d);
    for (let t = 0; t < trials; t++) {
      c.decode(c.compress(x, { rngKey: rngKey(7, 0, t, Purpose.qsgd) }), dense);
      for (let i = 0; i < d; i++) mean[i]! += dense[i]! / trials;
    }
    // Each decoded coordinate is within norm/s of its expectation (randk: within 2 norm/s after
    // the d/k rescale, plus the randk variance), so the mean over N keys has std <= that / sqrt(N).
    let norm = 0;
    for (let i = 0; i < d; i++) norm = Math.max(norm, Math.abs(x[i]!));
    const spread = spec.startsWith('randk') ? 4 * norm * Math.sqrt(bucket) : norm * Math.sqrt(bucket);
    const tol = (6 * spread) / Math.sqrt(trials);
    let worst = 0;
    for (let i = 0; i < d; i++) worst = Math.max(worst, Math.abs(mean[i]! - x[i]!));
    assert.ok(worst < tol, `${spec}: worst |mean - x| = ${worst}, tolerance ${tol}`);
    // Not trivially satisfied: a single draw is far from x.
    c.decode(c.compress(x, { rngKey: 1 }), dense);
    let single = 0;
    for (let i = 0; i < d; i++) single = Math.max(single, Math.abs(dense[i]! - x[i]!));
    assert.ok(single > 2 * worst, `${spec}: a single draw (${single}) should be much noisier than the mean (${worst})`);
  }
});

test('raw-f32 sparse messages: compress gives the exact bit count, encode writes the bytes from the indices and values', async () => {
  const d = 100_003; // above the sampled top-k path's minimum length
  const x = testVector(new TestRandom(31), d, 'normal');
  for (const spec of ['topk:0.01', 'topk:0.2', 'threshold:2.5']) {
    const c = await createCompressor(spec);
    const msg = c.compress(x);
    const out = new Uint8Array(c.maxEncodedBytes(d));
    const length = c.compressInto(x, out);
    const bytes = c.encode(msg);
    assert.equal(msg.bits, 8 * length, `${spec}: bits`);
    assert.deepEqual(bytes, out.subarray(0, length), `${spec}: encode(compress(x)) is compressInto's bytes`);
    assert.deepEqual(c.encode(msg), bytes, `${spec}: encode again, same bytes`);
    // The bytes follow the message's arrays: a changed value travels, a broken order is refused.
    msg.values[3] = 0.5;
    assert.equal(c.parse(c.encode(msg), d).values[3], 0.5, `${spec}: encode reads the values`);
    msg.values[3] = NaN;
    inputError(() => c.encode(msg), /message value 3 is NaN/, `${spec}: non-finite value`);
    msg.values[3] = 0.5;
    [msg.indices[0], msg.indices[1]] = [msg.indices[1]!, msg.indices[0]!];
    inputError(() => c.encode(msg), /ascend/, `${spec}: unordered indices`);
  }
});
