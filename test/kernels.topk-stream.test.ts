// Streamed top-k (assembly/topk-stream.ts) vs the reference, both builds: the sample plan equals
// topkSampleChunks, and plan -> sampled chunks copied -> begin -> ranges copied and filtered ->
// finish writes exactly what topk_abs_values writes (the reference's indices, the values bit for
// bit) on every path: the candidate filter, its fallbacks when the sample misjudged or the ranges
// came out of order, the large-k and small-n paths where no filter runs. Canary-fenced buffers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from '../src/kernels/reference/select.js';
import { assertSameInts, bothBuilds, TestRandom, testVector, type KernelMemory } from './support/kernel-memory.js';

const builds = await bothBuilds(64 << 20);
const NAN_BITS = [0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff, 0x7fa00000];

function bitsOf(x: Float32Array): Uint32Array { return new Uint32Array(x.buffer, x.byteOffset, x.length); }

interface StreamOptions {
  /** Elements per copied range (the last may be shorter). */
  range: number;
  /** Filter the ranges in this order of range numbers (default: ascending). */
  order?: (count: number) => number[];
  /** Ranges copied but not passed to topk_stream_filter. */
  unfiltered?: number[];
}

/**
 * Streams x through the kernel as a caller does (x's buffer starts as canary garbage, so anything
 * read before it is copied shows up); checks the answer against the reference and returns what
 * topk_stream_begin said (1: the candidate filter ran).
 */
function runStream(m: KernelMemory, x: Float32Array, k: number, opts: StreamOptions, what: string): number {
  m.reset();
  const n = x.length;
  const src = bitsOf(x);
  const px = m.alloc(4 * n, (k * 4) % 16);
  const dst = m.u32(px, n);
  dst.fill(0x7fc00001); // a NaN: a value read before its copy would rank first
  const po = m.alloc(4 * k), pv = m.alloc(4 * k), ps = m.alloc(m.k.topk_scratch_bytes(n) >>> 0);
  const chunks = m.k.topk_stream_plan(n, k, ps) >>> 0;
  assertSameInts(m.u32(ps, chunks), ref.topkSampleChunks(n, k), `${what}: sample plan`);
  for (const c of m.u32(ps, chunks).slice()) dst.set(src.subarray(32 * c, 32 * c + 32), 32 * c);
  const filtering = m.k.topk_stream_begin(px, n, k, ps) >>> 0;
  const count = Math.ceil(n / opts.range);
  const order = opts.order ? opts.order(count) : Array.from({ length: count }, (_, i) => i);
  for (const r of order) {
    const a = r * opts.range, b = Math.min(n, a + opts.range);
    dst.set(src.subarray(a, b), a);
    if (!opts.unfiltered?.includes(r)) m.k.topk_stream_filter(px, n, a, b, ps);
  }
  assert.equal(m.k.topk_stream_finish(px, n, k, po, pv, ps), k, `${what}: return value`);
  const want = ref.topkAbs(x, k);
  assertSameInts(m.u32(po, k), want, `${what}: indices`);
  assertSameInts(m.u32(pv, k), Uint32Array.from(want, (i) => src[i]!), `${what}: values`);
  m.checkFences(what);
  assertSameInts(dst, src, `${what}: input as copied`);
  return filtering;
}

/** x whose sampled chunks (for n, k) are overwritten by value(). */
function overwriteSample(x: Float32Array, k: number, value: () => number): void {
  for (const c of ref.topkSampleChunks(x.length, k)) for (let i = 32 * c; i < 32 * c + 32; i++) x[i] = value();
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';

  test(`topk_stream_plan lists the chunks the reference names, or none (${name})`, () => {
    const ps = (): number => { m.reset(); return m.alloc(m.k.topk_scratch_bytes(1 << 22) >>> 0); };
    for (const [n, k] of [[1, 1], [32_767, 10], [32_768, 1], [32_768, 300], [65_536, 655], [100_003, 1], [1_000_000, 10_000], [1_000_000, 31_250], [1_000_000, 500_000], [4_194_304, 41_943]]) {
      const p = ps();
      const got = m.k.topk_stream_plan(n!, k!, p) >>> 0;
      const want = ref.topkSampleChunks(n!, k!);
      assertSameInts(m.u32(p, got), want, `plan n=${n} k=${k}`);
      for (let j = 1; j < want.length; j++) assert.ok(want[j]! > want[j - 1]!, `plan n=${n} k=${k}: ascending`);
      if (want.length) assert.ok(32 * want[want.length - 1]! + 32 <= n!, `plan n=${n} k=${k}: inside x`);
      m.checkFences(`plan n=${n} k=${k}`);
    }
    assert.equal(m.k.topk_stream_plan(100, 0, ps()), 0, 'k = 0: no plan');
    assert.equal(m.k.topk_stream_plan(100, 101, ps()), 0, 'k > n: no plan');
  });

  test(`streamed top-k equals topk_abs_values on normal data, any range size (${name})`, () => {
    const rnd = new TestRandom(31);
    const x = testVector(rnd, 1_000_003, 'normal');
    for (const [k, range] of [[10_000, 65_536], [10_000, 1000], [10_000, 4097], [1, 65_536], [100, 32_768], [3000, 1_000_003]]) {
      const filtering = runStream(m, x, k!, { range: range! }, `normal k=${k} range=${range}`);
      assert.equal(filtering, 1, `normal k=${k}: the candidate filter runs`);
    }
  });

  test(`streamed top-k at the small/large k boundary and where no filter runs (${name})`, () => {
    const rnd = new TestRandom(32);
    const n = 1_000_000;
    const x = testVector(rnd, n, 'normal');
    // k <= n/32: the candidate filter; k > n/32: the band path of topk_abs_values, no filter.
    assert.equal(runStream(m, x, n >>> 5, { range: 65_536 }, 'k = n/32'), 1);
    assert.equal(runStream(m, x, (n >>> 5) + 1, { range: 65_536 }, 'k = n/32 + 1'), 0);
    assert.equal(runStream(m, x, 400_000, { range: 65_536 }, 'k = 0.4 n'), 0);
    assert.equal(runStream(m, x, n, { range: 65_536 }, 'k = n'), 0);
    // Small n: no sample at all.
    for (const small of [1, 2, 31, 32, 33, 1000, 32_767]) {
      const y = testVector(rnd, small, 'normal');
      for (const k of new Set([1, Math.ceil(small / 100), small])) {
        assert.equal(runStream(m, y, k, { range: 4096 }, `small n=${small} k=${k}`), 0);
      }
    }
  });

  test(`streamed top-k: ties at the k-th largest, signed zeros, NaN and Inf (${name})`, () => {
    const rnd = new TestRandom(33);
    const n = 300_007;
    // Five magnitudes: ties at the k-th largest, lower indices win.
    const levels = [0.5, 1, 2, 3, 4];
    const few = Float32Array.from({ length: n }, () => rnd.pick(levels) * (rnd.uniform() < 0.5 ? -1 : 1));
    for (const k of [1, 300, 3000]) runStream(m, few, k, { range: 65_536 }, `ties k=${k}`);
    const zeros = Float32Array.from({ length: n }, () => (rnd.uniform() < 0.01 ? rnd.normal() : rnd.uniform() < 0.5 ? 0 : -0));
    for (const k of [30, 3000, 9000]) runStream(m, zeros, k, { range: 65_536 }, `signed zeros k=${k}`);
    // A hidden NaN (any payload) or Inf in normal data: ranked first, its bits kept.
    for (const hidden of ['nan', 'inf', 'nan+inf']) {
      const y = testVector(rnd, n, 'normal');
      const at = rnd.int(0, n - 1);
      if (hidden === 'inf') y[at] = rnd.pick([Infinity, -Infinity]);
      else bitsOf(y)[at] = rnd.pick(NAN_BITS) >>> 0;
      if (hidden === 'nan+inf') y[(at + 1 + rnd.int(0, n - 2)) % n] = -Infinity;
      for (const k of [1, 2, 300, 3000]) {
        assert.equal(runStream(m, y, k, { range: 65_536 }, `${hidden} at ${at} k=${k}`), 1);
        assert.ok(ref.topkAbs(y, k).includes(at), `${hidden}: among the top ${k}`);
      }
    }
    // Dense NaN / -Inf patterns: the sampled thresholds fall among them.
    const dense = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : i % 11 === 5 ? -Infinity : rnd.normal()));
    for (let i = 3; i < n; i += 7) bitsOf(dense)[i] = rnd.pick(NAN_BITS) >>> 0;
    for (const k of [1, 3000, 9000]) runStream(m, dense, k, { range: 65_536 }, `NaN pattern k=${k}`);
  });

  test(`streamed top-k falls back when the sample misjudged or the ranges are out of order (${name})`, () => {
    const rnd = new TestRandom(34);
    const n = 1_000_000, k = 1000;
    // The sampled chunks hold the only large values: the threshold passes fewer than k candidates.
    const high = testVector(rnd, n, 'normal');
    overwriteSample(high, k, () => 10 + rnd.uniform());
    assert.equal(runStream(m, high, k, { range: 65_536 }, 'sample overestimates'), 1, 'the filter runs (then falls short)');
    // The sampled chunks hold the only tiny values: far more candidates than the scratch holds.
    const low = testVector(rnd, n, 'normal');
    overwriteSample(low, k, () => rnd.normal() * 1e-6);
    assert.equal(runStream(m, low, k, { range: 65_536 }, 'sample underestimates'), 1, 'the filter runs (then overflows)');
    // Ranges filtered out of order, or the last not filtered: the candidates are void, the answer is not.
    const x = testVector(rnd, n, 'normal');
    runStream(m, x, k, { range: 65_536, order: (c) => Array.from({ length: c }, (_, i) => c - 1 - i) }, 'ranges descending');
    runStream(m, x, k, { range: 65_536, order: (c) => [...Array.from({ length: c - 1 }, (_, i) => i + 1), 0] }, 'first range last');
    runStream(m, x, k, { range: 65_536, order: (c) => [0, 2, 1, ...Array.from({ length: c - 3 }, (_, i) => i + 3)] }, 'two ranges swapped');
    runStream(m, x, k, { range: 65_536, unfiltered: [Math.ceil(n / 65_536) - 1] }, 'last range not filtered');
  });
}
