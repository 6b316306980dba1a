// topk on ordinary arrays: compress / compressInto copy x into the kernel memory range by range
// and filter each range as it lands (topk_stream_*). The Message, its wire bytes and compressInto's
// bytes are exactly those of the same x as a vector (selected in place), and the indices and values
// are the reference's, on the filter path, its fallbacks (sample misjudged) and where no filter runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ScratchAllocator } from '../src/arena/arena.js';
import { createCompressor, createCompressorSync, type KernelCompressor } from '../src/compress/index.js';
import { createSharedMemory, loadKernels } from '../src/kernels/index.js';
import * as ref from '../src/kernels/reference/index.js';
import { assertSameF32, assertSameInts, TestRandom, testVector } from './support/kernel-memory.js';

function keptCount(ratio: number, d: number): number {
  return Math.min(d, Math.max(1, Math.round(ratio * d)));
}

/** compress(x) on the array and on a vector copy agree, and with the reference (raw f32: values bit for bit). */
function sameAsVector(c: KernelCompressor, x: Float32Array, ratio: number, raw: boolean, what: string): void {
  const d = x.length;
  const v = c.vector(d);
  v.set(x);
  const ma = c.compress(x), mv = c.compress(v);
  const want = ref.topkAbs(x, keptCount(ratio, d));
  assertSameInts(ma.indices, want, `${what}: indices = reference`);
  assertSameInts(mv.indices, want, `${what}: vector indices = reference`);
  assertSameF32(ma.values, mv.values, `${what}: values`);
  if (raw) assertSameF32(ma.values, Float32Array.from(want, (i) => x[i]!), `${what}: values = x[indices]`);
  assert.equal(ma.bits, mv.bits, `${what}: bits`);
  assert.deepEqual(c.encode(ma), c.encode(mv), `${what}: wire bytes`);
  const room = c.maxEncodedBytes(d);
  const outA = new Uint8Array(room), outV = new Uint8Array(room);
  const la = c.compressInto(x, outA), lv = c.compressInto(v, outV);
  assert.equal(la, lv, `${what}: compressInto length`);
  assert.deepEqual(outA.subarray(0, la), outV.subarray(0, lv), `${what}: compressInto bytes`);
  c.release(v);
}

test('topk on arrays equals topk on vectors and the reference: lengths, ratios, value formats', async () => {
  const rnd = new TestRandom(41);
  for (const [spec, ratio, raw] of [['topk:0.01', 0.01, true], ['topk:0.001', 0.001, true], ['topk:0.03125', 0.03125, true], ['topk:0.2', 0.2, true], ['topk:0.01+int8', 0.01, false]] as const) {
    const c = await createCompressor(spec);
    for (const d of [1, 33, 1000, 32_767, 32_768, 65_537, 300_007, 1_000_003]) {
      const kind = rnd.pick(['normal', 'wide', 'ties', 'sparse'] as const);
      sameAsVector(c, testVector(rnd, d, kind), ratio, raw, `${spec} d=${d} ${kind}`);
    }
  }
});

test('topk on arrays: ties at the k-th largest, signed zeros, and a sample that misjudges both ways', async () => {
  const rnd = new TestRandom(42);
  const c = await createCompressor('topk:0.001');
  const d = 1_000_000, k = keptCount(0.001, d);
  const levels = [0.25, 1, 2, 8];
  sameAsVector(c, Float32Array.from({ length: d }, () => rnd.pick(levels) * (rnd.uniform() < 0.5 ? -1 : 1)), 0.001, true, 'ties');
  sameAsVector(c, Float32Array.from({ length: d }, () => (rnd.uniform() < 0.0005 ? rnd.normal() : rnd.uniform() < 0.5 ? 0 : -0)), 0.001, true, 'signed zeros');
  // The sampled chunks (the reference names them) hold the only large values, then the only tiny ones.
  for (const [what, value] of [['sample overestimates', () => 10 + rnd.uniform()], ['sample underestimates', () => rnd.normal() * 1e-6]] as const) {
    const x = testVector(rnd, d, 'normal');
    for (const ch of ref.topkSampleChunks(d, k)) for (let i = 32 * ch; i < 32 * ch + 32; i++) x[i] = value();
    sameAsVector(c, x, 0.001, true, what);
  }
});

test('topk on arrays through a caller binding: the copy lives in the bound scratch, sized by scratchBytes', async () => {
  const rnd = new TestRandom(43);
  const d = 200_003;
  const memory = createSharedMemory(32 << 20);
  const { exports } = await loadKernels({ memory });
  const probe = createCompressorSync('topk:0.01', { kernels: { exports, scratch: new ScratchAllocator(1 << 16, 16 << 20) } });
  const bytes = probe.scratchBytes(d);
  const bound = createCompressorSync('topk:0.01', { kernels: { exports, scratch: new ScratchAllocator(1 << 16, bytes) } });
  const x = testVector(rnd, d, 'normal');
  const guard = new Uint8Array(memory.buffer, (1 << 16) + bytes, 4096).fill(0xa5);
  const msg = bound.compress(x);
  assertSameInts(msg.indices, ref.topkAbs(x, keptCount(0.01, d)), 'bound: indices');
  assertSameF32(msg.values, Float32Array.from(msg.indices, (i) => x[i]!), 'bound: values');
  assert.ok(guard.every((b) => b === 0xa5), 'nothing written past the scratch region');
});
