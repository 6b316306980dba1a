// The engine's fast paths: `none` bound to an arena (compressInto = finiteness pass + kernel copy,
// accumulate = header check + finiteness pass + one axpy/axpby straight from the payload) and the
// `beta` argument of accumulate (target = beta * target + alpha * message, fused for dense formats).
// Same bytes and bits as the general path on plain arrays; bad input rejected the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Arena, ArenaPlanner, ScratchAllocator } from '../src/arena/arena.js';
import { createCompressor, createCompressorSync } from '../src/compress/index.js';
import { InputError, WireError } from '../src/errors.js';
import { loadKernels } from '../src/kernels/index.js';
import { assertSameF32, TestRandom, testVector } from './support/kernel-memory.js';
import { concat, HEADER, patchHeader } from './compress.support.js';

async function arenaFor(spec: string, d: number, simd: boolean) {
  const sizing = await createCompressor(spec, { simd });
  const room = sizing.maxEncodedBytes(d);
  const scratchBytes = sizing.scratchBytes(d);
  const planner = new ArenaPlanner();
  planner.add('x', 'f32', d);
  planner.add('mail', 'u8', room + 8);
  planner.add('target', 'f32', d);
  planner.add('scratch', 'u8', scratchBytes);
  const arena = Arena.create(planner.layout());
  const { exports } = await loadKernels({ memory: arena.memory, simd });
  const c = createCompressorSync(spec, { kernels: { exports, scratch: new ScratchAllocator(arena.ptr('scratch'), scratchBytes) } });
  return { arena, c, plain: sizing, room };
}

/** What `fn` throws (or undefined). */
function thrown(fn: () => void): unknown {
  try { fn(); } catch (err) { return err; }
  return undefined;
}

for (const simd of [true, false]) {
  test(`none in an arena: same bytes and sums as plain arrays, any mailbox alignment (${simd ? 'simd' : 'scalar'})`, async () => {
    const rnd = new TestRandom(simd ? 11 : 12);
    for (const d of [1, 7, 8, 33, 7850]) {
      const { arena, c, plain, room } = await arenaFor('none', d, simd);
      for (const misalign of [0, 1, 2, 4]) {
        const x = arena.f32('x');
        x.set(testVector(rnd, d, rnd.pick(['normal', 'wide', 'specials', 'subnormal'] as const)));
        const mail = arena.u8('mail', misalign, room);
        const len = c.compressInto(x, mail);
        const want = new Uint8Array(room);
        assert.equal(plain.compressInto(x.slice(), want), len);
        assert.deepEqual(mail.subarray(0, len), want.subarray(0, len), `d=${d} +${misalign}: bytes`);

        const start = testVector(rnd, d, 'normal');
        for (const [alpha, beta] of [[0.5, 1], [1 / 3, 0.25], [-2, 0], [0.125, 1 / 3]] as const) {
          const target = arena.f32('target');
          target.set(start);
          c.accumulate(mail.subarray(0, len), d, alpha, target, beta);
          const expected = start.slice();
          for (let i = 0; i < d; i++) expected[i] = Math.fround(expected[i]! * Math.fround(beta));
          plain.accumulate(want.subarray(0, len), d, alpha, expected);
          assertSameF32(target, expected, `d=${d} +${misalign} alpha=${alpha} beta=${beta}`);
        }
      }
    }
  });
}

test('none in an arena needs no scratch (no copies: kernels straight on x, the mailbox and the target)', async () => {
  const d = 7850;
  const { arena, room } = await arenaFor('none', d, true);
  const { exports } = await loadKernels({ memory: arena.memory, simd: true });
  const c = createCompressorSync('none', { kernels: { exports, scratch: new ScratchAllocator(arena.ptr('scratch'), 0) } });
  const x = arena.f32('x');
  for (let i = 0; i < d; i++) x[i] = Math.sin(i);
  const mail = arena.u8('mail', 0, room);
  const len = c.compressInto(x, mail);
  const target = arena.f32('target');
  target.fill(1);
  c.accumulate(mail.subarray(0, len), d, 0.5, target, 0.5);
  for (let i = 0; i < d; i++) assert.equal(target[i], Math.fround(Math.fround(0.5 * x[i]!) + 0.5));
  // Plain arrays go through the scratch, which is too small here.
  assert.throws(() => c.compressInto(x.slice(), new Uint8Array(room)), /scratch region too small/);
});

test('accumulate(beta) equals scaling the target first, for every format, in an arena and on plain arrays', async () => {
  const rnd = new TestRandom(5);
  const d = 1000;
  for (const spec of ['none', 'topk:0.05', 'randk:0.1', 'threshold:0.5', 'int8', 'topk:0.1+int4', 'qsgd:4', 'sign']) {
    const { arena, c, plain, room } = await arenaFor(spec, d, true);
    const x = testVector(rnd, d, 'normal');
    const out = new Uint8Array(room);
    const len = plain.compressInto(x, out, { rngKey: 77 });
    const mail = arena.u8('mail', 0, len);
    mail.set(out.subarray(0, len));
    const start = testVector(rnd, d, 'normal');
    const beta = 0.3;
    const expected = start.slice();
    for (let i = 0; i < d; i++) expected[i] = Math.fround(expected[i]! * Math.fround(beta));
    plain.accumulate(out.subarray(0, len), d, 0.7, expected);
    const onPlain = start.slice();
    plain.accumulate(out.subarray(0, len), d, 0.7, onPlain, beta);
    assertSameF32(onPlain, expected, `${spec}: plain arrays`);
    const target = arena.f32('target');
    target.set(start);
    c.accumulate(mail, d, 0.7, target, beta);
    assertSameF32(target, expected, `${spec}: arena`);
    assert.throws(() => c.accumulate(mail, d, 0.7, target, Number.NaN), (e: unknown) => e instanceof InputError && /beta NaN/.test((e as Error).message));
  }
});

test('none in an arena: corrupt or non-finite messages are refused exactly as parse() refuses them, target untouched', async () => {
  const d = 64;
  const { arena, c, plain, room } = await arenaFor('none', d, true);
  const x = arena.f32('x');
  for (let i = 0; i < d; i++) x[i] = i - 20.5;
  const good = new Uint8Array(room);
  const len = plain.compressInto(x.slice(), good);
  const nan = good.slice(0, len);
  new DataView(nan.buffer).setFloat32(HEADER + 4 * 9, Number.NaN, true);
  const inf = good.slice(0, len);
  new DataView(inf.buffer).setFloat32(HEADER + 4 * 63, -Infinity, true);
  const bad: [string, Uint8Array][] = [
    ['NaN value', nan],
    ['-Inf value', inf],
    ['bad magic', (() => { const b = good.slice(0, len); b[0] = 0; return b; })()],
    ['bad crc', (() => { const b = good.slice(0, len); b[7] ^= 1; return b; })()],
    ['wrong d', patchHeader(good.slice(0, len), (dv) => { dv.setUint32(8, d + 1, true); dv.setUint32(12, d + 1, true); })],
    ['sparse format', patchHeader(good.slice(0, len), (_dv, b) => { b[2] = 1; })],
    ['truncated', good.slice(0, len - 4)],
    ['trailing', concat(good.slice(0, len), new Uint8Array(4))],
  ];
  for (const [what, bytes] of bad) {
    const parseErr = thrown(() => plain.parse(bytes, d));
    assert.ok(parseErr instanceof WireError, `${what}: parse refuses it`);
    const mail = arena.u8('mail', 0, bytes.length);
    mail.set(bytes);
    const target = arena.f32('target');
    target.fill(0.25);
    const err = thrown(() => c.accumulate(mail, d, 1, target, 0.5));
    assert.ok(err instanceof WireError, `${what}: accumulate throws WireError, got ${String(err)}`);
    assert.equal((err as Error).message, (parseErr as Error).message, `${what}: same message as parse`);
    assert.ok(target.every((v) => v === 0.25), `${what}: target untouched`);
  }
  x[17] = Number.POSITIVE_INFINITY;
  assert.throws(() => c.compressInto(x, arena.u8('mail', 0, room)), (e: unknown) => e instanceof InputError && /Infinity at index 17/.test((e as Error).message));
  // Overlapping input and output fall back to the general path, which refuses them.
  const overlap = new Uint8Array(arena.buffer, arena.ptr('x'), room);
  x[17] = 0;
  assert.throws(() => c.compressInto(x, overlap), /overlap/);
});
