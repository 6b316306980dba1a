// Fuzzing parse/accumulate with untrusted bytes: random strings, random headers with a valid CRC,
// and mutations (bit flips, byte writes, truncations, extensions, swaps, header edits with the CRC
// fixed up) of valid messages from every compressor. parse either returns a Message satisfying
// every invariant or throws WireError, and accumulate agrees with it; nothing else, no hangs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KERNEL_RESERVED_BYTES, ScratchAllocator } from '../src/arena/arena.js';
import { createCompressor, createCompressorSync, type KernelCompressor, type Message } from '../src/compress/index.js';
import { createSharedMemory, loadKernels } from '../src/kernels/index.js';
import { WireError } from '../src/errors.js';
import * as ref from '../src/kernels/reference/index.js';
import { assertSameF32, TestRandom, testVector, VECTOR_KINDS } from './support/kernel-memory.js';
import { HEADER, patchHeader, SPECS } from './compress.support.js';

interface Tally { ok: number; wire: number }

function checkInvariants(c: KernelCompressor, msg: Message, bytes: Uint8Array, d: number, what: string): void {
  assert.equal(msg.d, d, `${what}: d`);
  assert.equal(msg.bits, 8 * bytes.length, `${what}: bits`);
  const k = msg.indices.length;
  assert.equal(msg.values.length, k, `${what}: lengths`);
  assert.ok(k <= d, `${what}: k <= d`);
  for (let j = 0; j < k; j++) {
    const i = msg.indices[j]!;
    if (i >= d || (j > 0 && i <= msg.indices[j - 1]!)) assert.fail(`${what}: index ${j} = ${i} breaks ascending / < d`);
    if (!Number.isFinite(msg.values[j]!)) assert.fail(`${what}: value ${j} = ${msg.values[j]}`);
  }
  assert.deepEqual(c.encode(msg), bytes, `${what}: encode returns the parsed bytes`);
}

/** parse and accumulate must agree: both throw WireError, or both succeed consistently. */
function probe(c: KernelCompressor, bytes: Uint8Array, d: number, tally: Tally, what: string): void {
  let msg: Message | undefined;
  try {
    msg = c.parse(bytes, d);
  } catch (err) {
    if (!(err instanceof WireError)) assert.fail(`${what}: parse threw ${String(err)} (${(err as Error)?.stack})`);
  }
  const target = new Float32Array(d).fill(0.5);
  let accErr: unknown;
  try {
    c.accumulate(bytes, d, -2, target);
  } catch (err) {
    accErr = err;
  }
  if (!msg) {
    tally.wire++;
    assert.ok(accErr instanceof WireError, `${what}: parse threw WireError but accumulate gave ${String(accErr)}`);
    for (let i = 0; i < d; i++) if (target[i] !== 0.5) assert.fail(`${what}: a rejected message changed target[${i}]`);
    return;
  }
  tally.ok++;
  assert.equal(accErr, undefined, `${what}: parse succeeded but accumulate threw ${String(accErr)}`);
  checkInvariants(c, msg, bytes, d, what);
  const want = new Float32Array(d).fill(0.5);
  ref.scatterAdd(msg.indices, msg.values, -2, want);
  assertSameF32(target, want, `${what}: accumulate`);
}

function mutate(rnd: TestRandom, good: Uint8Array): Uint8Array {
  const n = good.length;
  switch (rnd.int(0, 7)) {
    case 0: { // flip 1..3 bits anywhere
      const m = good.slice();
      for (let t = rnd.int(1, 3); t > 0; t--) { const p = rnd.int(0, n - 1); m[p] = m[p]! ^ (1 << rnd.int(0, 7)); }
      return m;
    }
    case 1: { // flip bits in the body only (the CRC guards the header)
      const m = good.slice();
      if (n > HEADER) for (let t = rnd.int(1, 4); t > 0; t--) { const p = rnd.int(HEADER, n - 1); m[p] = m[p]! ^ (1 << rnd.int(0, 7)); }
      return m;
    }
    case 2: { // overwrite a body byte with a random or extreme value
      const m = good.slice();
      if (n > HEADER) m[rnd.int(HEADER, n - 1)] = rnd.pick([0, 0x7f, 0x80, 0xff, rnd.int(0, 255)]);
      return m;
    }
    case 3: return good.slice(0, rnd.int(0, n - 1)); // truncate
    case 4: { // extend with random bytes
      const extra = Uint8Array.from({ length: rnd.int(1, 9) }, () => rnd.int(0, 255));
      const m = new Uint8Array(n + extra.length); m.set(good); m.set(extra, n);
      return rnd.uniform() < 0.5 ? m : patchHeader(m, (dv) => dv.setUint32(20, m.length, true)); // length field kept honest half the time
    }
    case 5: { // swap two bytes
      const m = good.slice(); const a = rnd.int(0, n - 1), b = rnd.int(0, n - 1);
      [m[a], m[b]] = [m[b]!, m[a]!];
      return m;
    }
    case 6: // edit a header field and fix the CRC, so the edit reaches the deeper checks
      return patchHeader(good, (dv, b) => {
        switch (rnd.int(0, 5)) {
          case 0: b[4] = rnd.int(0, 5); break; // index format
          case 1: dv.setUint32(12, Math.max(0, dv.getUint32(12, true) + rnd.int(-2, 2)), true); break; // k
          case 2: dv.setUint32(8, dv.getUint32(8, true) + rnd.int(-1, 1), true); break; // d
          case 3: dv.setUint32(20, Math.max(0, dv.getUint32(20, true) + rnd.int(-3, 3)), true); break; // length
          case 4: b[rnd.int(2, 6)] = rnd.int(0, 5); break; // ids / flags / levels
          default: dv.setUint32(16, rnd.pick([0, 1, 64, 512, 0xffffffff]), true); break; // bucket
        }
      });
    default: { // splice: body of the message shifted by one byte
      const m = good.slice();
      if (n > HEADER + 1) m.copyWithin(HEADER, HEADER + 1);
      return m;
    }
  }
}

test('fuzz: mutations of valid messages from every compressor', { timeout: 120_000 }, async () => {
  const rnd = new TestRandom(2024);
  const tally: Tally = { ok: 0, wire: 0 };
  for (const spec of SPECS) {
    const c = await createCompressor(spec);
    for (let m = 0; m < 4; m++) {
      const d = rnd.pick([1, 2, 7, 9, 33, 100, 257, 1000]);
      const x = testVector(rnd, d, rnd.pick(VECTOR_KINDS));
      let good: Uint8Array;
      try {
        good = c.encode(c.compress(x, { rngKey: rnd.u32() }));
      } catch {
        continue; // an input the quantizer refuses (overflow); covered elsewhere
      }
      probe(c, good, d, tally, `${spec} d=${d} original`);
      for (let t = 0; t < 200; t++) probe(c, mutate(rnd, good), d, tally, `${spec} d=${d} mutation ${t}`);
    }
  }
  assert.ok(tally.ok + tally.wire > 15000, `thousands of probes (${tally.ok + tally.wire})`);
  assert.ok(tally.ok > 500 && tally.wire > 2000, `both outcomes exercised: ${JSON.stringify(tally)}`);
});

test('fuzz: random byte strings and random headers with a valid CRC', { timeout: 60_000 }, async () => {
  const rnd = new TestRandom(7);
  const tally: Tally = { ok: 0, wire: 0 };
  const comps = await Promise.all(['none', 'topk:0.1', 'threshold:0.5', 'int8:4', 'int4', 'qsgd:3:8', 'sign', 'threshold:0.1+sign', 'threshold:0.5+qsgd:1'].map((s) => createCompressor(s)));
  for (let t = 0; t < 3000; t++) {
    const c = rnd.pick(comps);
    const d = rnd.int(1, 40);
    let bytes: Uint8Array;
    if (t % 3 === 0) {
      bytes = Uint8Array.from({ length: rnd.int(0, 80) }, () => rnd.int(0, 255));
    } else if (t % 3 === 1) {
      // A valid message whose body bytes are partly replaced by random ones (length kept).
      bytes = c.encode(c.compress(testVector(rnd, d, rnd.pick(['normal', 'sparse', 'ties', 'zero'] as const)), { rngKey: 1 }));
      for (let i = HEADER; i < bytes.length; i++) if (rnd.uniform() < 0.3) bytes[i] = rnd.int(0, 255);
    } else {
      // A plausible header for this compressor and d, then random body bytes of a random length.
      const body = Uint8Array.from({ length: rnd.int(0, 4 * d + 12) }, () => (rnd.uniform() < 0.5 ? 0 : rnd.int(0, 255)));
      const sample = c.encode(c.compress(new Float32Array(d).fill(1), { rngKey: 1 }));
      const m = new Uint8Array(HEADER + body.length);
      m.set(sample.subarray(0, HEADER));
      m.set(body, HEADER);
      bytes = patchHeader(m, (dv, b) => {
        dv.setUint32(20, m.length, true);
        if (c.spec.startsWith('threshold') || rnd.uniform() < 0.2) dv.setUint32(12, rnd.int(0, d), true);
        b[4] = rnd.int(0, 4);
      });
    }
    probe(c, bytes, d, tally, `${c.spec} random #${t}`);
  }
  assert.ok(tally.ok > 50, `some random bodies parse: ${JSON.stringify(tally)}`);
});

test('fuzz: a message parsed by a different compressor or with another d is a WireError', async () => {
  const rnd = new TestRandom(99);
  const comps = await Promise.all(SPECS.map((s) => createCompressor(s)));
  const x = testVector(rnd, 300, 'normal');
  const messages = comps.map((c) => c.encode(c.compress(x, { rngKey: 3 })));
  for (let i = 0; i < comps.length; i++) {
    for (let j = 0; j < comps.length; j++) {
      // λ is not on the wire: threshold messages with the same value format read alike.
      const [a, b] = [comps[i]!.parsed, comps[j]!.parsed];
      const same = a.spec === b.spec
        || (a.sparsifier.kind === 'threshold' && b.sparsifier.kind === 'threshold' && JSON.stringify(a.quantizer) === JSON.stringify(b.quantizer));
      if (same) comps[j]!.parse(messages[i]!, 300);
      else assert.throws(() => comps[j]!.parse(messages[i]!, 300), WireError, `${comps[i]!.spec} read as ${comps[j]!.spec}`);
    }
    assert.throws(() => comps[i]!.parse(messages[i]!, 301), /expected d=301, message has d=300/);
  }
});

test('fuzz: compressors bound to an exactly sized scratch region only ever throw WireError', { timeout: 60_000 }, async () => {
  const rnd = new TestRandom(31337);
  const tally: Tally = { ok: 0, wire: 0 };
  for (const spec of ['topk:0.01', 'topk:0.3+int4', 'threshold:0.5', 'threshold:0.2+qsgd:5', 'randk:0.1+int8:16', 'int8', 'sign', 'none']) {
    for (const d of [1, 257, 1000]) {
      const sizing = await createCompressor(spec);
      const bytes = sizing.scratchBytes(d);
      const memory = createSharedMemory(bytes + 4096);
      const { exports } = await loadKernels({ memory });
      const c = createCompressorSync(spec, { kernels: { exports, scratch: new ScratchAllocator(KERNEL_RESERVED_BYTES, bytes) } });
      const good = c.encode(c.compress(testVector(rnd, d, 'normal'), { rngKey: 5 }));
      for (let t = 0; t < 150; t++) probe(c, mutate(rnd, good), d, tally, `${spec} d=${d} bound mutation ${t}`);
      // Non-canonical (overlong) varints make a section longer than any real encoder writes.
      // k = d - 1 of them (indices 0..d-2, zero values) is far longer than maxEncodedBytes(d).
      if (c.parsed.sparsifier.kind === 'threshold' && c.parsed.quantizer.kind === 'f32' && d > 1) {
        const k = d - 1;
        const m = new Uint8Array(HEADER + 4 * k + 5 * k);
        for (let j = 0; j < k; j++) m.set([0x80, 0x80, 0x80, 0x80, 0x00], HEADER + 4 * k + 5 * j);
        assert.ok(m.length > c.maxEncodedBytes(d));
        m.set(good.subarray(0, HEADER));
        const patched = patchHeader(m, (dv, b) => { dv.setUint32(12, k, true); dv.setUint32(20, m.length, true); b[4] = 4; });
        probe(c, patched, d, tally, `${spec} d=${d} overlong varints`);
      }
    }
  }
  assert.ok(tally.wire > 1000, JSON.stringify(tally));
});
