// The engine path: compressors bound to a kernel instance over an arena, working in place on
// arena views (x, mailbox, target) with their scratch in an arena region. Same bytes as the
// reference; nothing outside the regions touched (canaries); no copies of in-arena arrays;
// unaligned mailboxes; error feedback over arena views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, ArenaPlanner, KERNEL_RESERVED_BYTES, ScratchAllocator } from '../src/arena/arena.js';
import { createCompressor, createCompressorSync, ErrorFeedback, parseCompressorSpec } from '../src/compress/index.js';
import { InputError } from '../src/errors.js';
import { loadKernels } from '../src/kernels/index.js';
import * as ref from '../src/kernels/reference/index.js';
import { assertSameF32, TestRandom, testVector } from './support/kernel-memory.js';
import { refCompress, SPECS } from './compress.support.js';
import { assertThrowsError } from './support/assert-error.js';

const CANARY = 0xa5;

/** Records the high-water mark of scratch use. */
class TrackingScratch extends ScratchAllocator {
  peak = 0;
  override alloc(bytes: number, align?: number): number {
    const p = super.alloc(bytes, align);
    this.peak = Math.max(this.peak, this.used);
    return p;
  }
}

async function setup(spec: string, d: number, simd: boolean) {
  const sizing = await createCompressor(spec, { simd });
  const scratchBytes = sizing.scratchBytes(d);
  const room = sizing.maxEncodedBytes(d);
  const planner = new ArenaPlanner();
  const fence = () => planner.add(`fence${Math.random()}`, 'u8', 128);
  fence();
  planner.add('x', 'f32', d); fence();
  planner.add('mail', 'u8', room + 1); fence();
  planner.add('target', 'f32', d); fence();
  planner.add('e', 'f32', d); fence();
  planner.add('v', 'f32', d); fence();
  planner.add('scratch', 'u8', scratchBytes); fence();
  const arena = Arena.create(planner.layout());
  new Uint8Array(arena.buffer).fill(CANARY, KERNEL_RESERVED_BYTES);
  const { exports } = await loadKernels({ memory: arena.memory, simd });
  const scratch = new TrackingScratch(arena.ptr('scratch'), scratchBytes);
  const kernels = { exports, scratch };
  const c = createCompressorSync(spec, { kernels });
  return { arena, c, scratch, kernels, room };
}

/** Every byte above the kernel's reserved region and outside `written` regions still holds the canary. */
function checkCanaries(arena: Arena, written: string[], what: string): void {
  const u8 = new Uint8Array(arena.buffer);
  const spans = written.map((n) => arena.region(n)).map((r) => [r.offset, r.offset + r.bytes] as const).sort((a, b) => a[0] - b[0]);
  let at = KERNEL_RESERVED_BYTES;
  for (const [lo, hi] of [...spans, [arena.layout.totalBytes, arena.layout.totalBytes] as const]) {
    for (let i = at; i < lo; i++) if (u8[i] !== CANARY) assert.fail(`${what}: byte ${i} outside every region was written`);
    at = Math.max(at, hi);
  }
}

for (const simd of [true, false]) {
  test(`bound to an arena: in place, reference-exact, nothing outside the regions (${simd ? 'simd' : 'scalar'})`, async () => {
    const rnd = new TestRandom(simd ? 1 : 2);
    for (const spec of SPECS) {
      const d = rnd.pick([1, 5, 333, 4099, 20_001]);
      const { arena, c, scratch, room } = await setup(spec, d, simd);
      const x = arena.f32('x');
      x.set(testVector(rnd, d, rnd.pick(['normal', 'sparse', 'ties', 'subnormal', 'zero'] as const)));
      const original = x.slice();
      const key = rnd.u32();
      const expected = refCompress(parseCompressorSpec(spec), original, key);
      assert.ok(expected, spec);

      // Mailbox at an odd address: the kernels get unaligned pointers.
      const mail = arena.u8('mail', 1, room);
      const len = c.compressInto(x, mail, { rngKey: key });
      assert.deepEqual(mail.subarray(0, len), expected.bytes, `${spec} d=${d}: bytes`);
      assertSameF32(x, original, `${spec}: compressInto leaves x alone`);
      const inPlacePeak = scratch.peak;

      const target = arena.f32('target');
      target.fill(0.25);
      const want = new Float32Array(d).fill(0.25);
      ref.scatterAdd(expected.indices, expected.values, 1.5, want);
      c.accumulate(mail.subarray(0, len), d, 1.5, target);
      assertSameF32(target, want, `${spec} d=${d}: accumulate in place`);

      // The same calls on plain arrays copy through the scratch: more scratch, same results.
      scratch.peak = 0;
      const out = new Uint8Array(room);
      assert.equal(c.compressInto(original.slice(), out, { rngKey: key }), len);
      assert.deepEqual(out.subarray(0, len), expected.bytes, `${spec}: plain arrays`);
      if (d >= 333) assert.ok(scratch.peak >= inPlacePeak + 4 * d, `${spec}: in-place use (${inPlacePeak}) saves the x and mailbox copies (${scratch.peak})`);

      checkCanaries(arena, ['x', 'mail', 'target', 'scratch'], `${spec} d=${d}`);
    }
  });
}

test('bound compressors refuse a too-small scratch region and arrays overlapping it', async () => {
  const d = 1000;
  const { arena, kernels } = await setup('topk:0.01', d, true);
  const tiny = createCompressorSync('topk:0.01', { kernels: { exports: kernels.exports, scratch: new ScratchAllocator(arena.ptr('scratch'), 100) } });
  assertThrowsError(() => tiny.compress(arena.f32('x')), InputError, /scratch region too small/, 'a scratch region too small');
  const c = createCompressorSync('topk:0.01', { kernels });
  const inScratch = new Float32Array(arena.buffer, arena.ptr('scratch'), d);
  assert.throws(() => c.compress(inScratch), /overlaps the compressor's scratch region/);
  const overlapOut = new Uint8Array(arena.buffer, arena.ptr('x'), c.maxEncodedBytes(d));
  assert.throws(() => c.compressInto(arena.f32('x'), overlapOut), /overlap/);
  // A valid message whose bytes overlap the receive target is refused by both receive paths.
  const length = c.compressInto(Float32Array.from({ length: d }, (_, i) => Math.sin(i)), overlapOut);
  const mail = overlapOut.subarray(0, length);
  assert.throws(() => c.accumulate(mail, d, 1, arena.f32('x')), /message bytes and accumulate target overlap/);
  assert.throws(() => c.decodeInto(mail, d, arena.f32('x')), /message bytes and decodeInto output overlap/);
});

test('error feedback over arena views: in place, same as plain arrays, exact for top-k', async () => {
  const d = 5000;
  const spec = 'topk:0.01';
  for (const simd of [true, false]) {
    const { arena, c, kernels, room } = await setup(spec, d, simd);
    const plain = await createCompressor(spec, { simd });
    const efArena = new ErrorFeedback(arena.f32('e'), { kernels });
    efArena.reset();
    const efPlain = new ErrorFeedback(d);
    const rnd = new TestRandom(3);
    for (let round = 0; round < 5; round++) {
      const xs = testVector(rnd, d, 'normal');
      const eBefore = efPlain.e.slice();
      // Plain: v = x + e; compress; e = v - decoded.
      const v = efPlain.apply(xs);
      const msg = plain.compress(v);
      efPlain.update(v, msg);
      // Arena, fully in place: e <- x + e (e now holds v), compress e into the mailbox, e -= decoded.
      arena.f32('x').set(xs);
      const e = efArena.apply(arena.f32('x'), efArena.e);
      assert.equal(e, efArena.e);
      const mail = arena.u8('mail', 0, room);
      const len = c.compressInto(efArena.e, mail);
      assert.deepEqual(mail.subarray(0, len), plain.encode(msg), `round ${round}: same message`);
      efArena.updateFromWire(efArena.e, mail.subarray(0, len), c);
      assertSameF32(efArena.e, efPlain.e, `${simd ? 'simd' : 'scalar'} round ${round}: residuals agree`);
      // x + e_before == decoded + e_after, exactly in f32.
      const decoded = new Float32Array(d);
      plain.decode(msg, decoded);
      const lhs = new Float32Array(d), rhs = new Float32Array(d);
      for (let i = 0; i < d; i++) { lhs[i] = xs[i]! + eBefore[i]!; rhs[i] = decoded[i]! + efPlain.e[i]!; }
      assertSameF32(lhs, rhs, `round ${round}: x + e_before == decoded + e_after`);
      // The kept coordinates carry no residual; the others carry all of v.
      for (const i of msg.indices) assert.equal(efPlain.e[i], 0);
    }
    // update(v, msg) with kernels equals the plain update.
    arena.f32('v').set(efPlain.e);
    const x2 = testVector(rnd, d, 'wide');
    const v2 = efPlain.apply(x2);
    const m2 = plain.compress(v2);
    efPlain.update(v2, m2);
    arena.f32('x').set(x2);
    const vArena = efArena.apply(arena.f32('x'), arena.f32('v'));
    efArena.update(vArena, m2);
    assertSameF32(efArena.e, efPlain.e, 'update with kernels');
    checkCanaries(arena, ['x', 'mail', 'target', 'e', 'v', 'scratch'], 'error feedback');
  }
});

test('error feedback with quantized messages: e = v - decoded in f32', async () => {
  const rnd = new TestRandom(4);
  for (const spec of ['topk:0.05+int8', 'sign', 'randk:0.1+qsgd:4', 'threshold:1+int4']) {
    const c = await createCompressor(spec);
    const d = 777;
    const ef = new ErrorFeedback(d);
    for (let round = 0; round < 3; round++) {
      const x = testVector(rnd, d, 'normal');
      const v = ef.apply(x);
      const bytes = c.encode(c.compress(v, { rngKey: round }));
      const decoded = new Float32Array(d);
      c.decode(c.parse(bytes, d), decoded);
      const expected = new Float32Array(d);
      for (let i = 0; i < d; i++) expected[i] = v[i]! - decoded[i]!;
      const viaWire = new ErrorFeedback(ef.e.slice());
      ef.update(v, c.parse(bytes, d));
      viaWire.updateFromWire(v, bytes, c);
      assertSameF32(ef.e, expected, `${spec} round ${round}`);
      assertSameF32(viaWire.e, expected, `${spec} round ${round} (from wire)`);
    }
  }
  const ef = new ErrorFeedback(10);
  assert.throws(() => ef.apply(new Float32Array(9)), InputError);
  assert.throws(() => ef.update(new Float32Array(10), { d: 11, indices: new Uint32Array(0), values: new Float32Array(0), bits: 0 }), InputError);
  assert.throws(() => ef.update(new Float32Array(10), { d: 10, indices: new Uint32Array([10]), values: new Float32Array([1]), bits: 0 }), InputError);
});

test('decodeInto = decode(parse(bytes)) bit for bit, in place on the arena and detached; bad bytes leave the output untouched', async () => {
  const rnd = new TestRandom(5);
  const d = 1000;
  for (const spec of SPECS) {
    const { arena, c } = await setup(spec, d, true);
    const x = arena.f32('x');
    x.set(testVector(rnd, d, 'normal'));
    const len = c.compressInto(x, arena.u8('mail'), c.stochastic ? { rngKey: 11 } : {});
    const bytes = arena.u8('mail').subarray(0, len);
    const expected = new Float32Array(d);
    c.decode(c.parse(bytes, d), expected);
    const target = arena.f32('target');
    target.fill(7);
    c.decodeInto(bytes, d, target);
    assertSameF32(target, expected, `${spec}: in place`);
    const detached = new Float32Array(d).fill(7);
    c.decodeInto(bytes.slice(), d, detached);
    assertSameF32(detached, expected, `${spec}: detached`);
    checkCanaries(arena, ['x', 'mail', 'target', 'scratch'], spec);
    for (const bad of [bytes.subarray(0, len - 1), Uint8Array.from(bytes, (b, i) => (i === 3 ? b ^ 1 : b))]) {
      target.fill(7);
      assert.throws(() => c.decodeInto(bad, d, target), { name: 'WireError' }, spec);
      assert.ok(target.every((v) => v === 7), `${spec}: output written before validation`);
    }
    assert.throws(() => c.decodeInto(bytes, d, new Float32Array(d - 1)), InputError, spec);
  }
});
