// Selection kernels (assembly/select/) vs the reference (src/kernels/reference/select.ts), both
// builds: exact top-k (fast sampled path and full radix select), threshold, random-k; every call
// fenced by canary bytes around its input, output and scratch regions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from '../src/kernels/reference/select.js';
import { Purpose, rngKey, rngU32 } from '../src/kernels/rng.js';
import {
  assertSameInts, bothBuilds, testLengths, testVector, TestRandom, VECTOR_KINDS, type KernelMemory, type VectorKind,
} from './support/kernel-memory.js';

const builds = await bothBuilds(64 << 20);

/** Extra shapes aimed at the top-k paths: few distinct magnitudes, a hidden spike, sorted ramps. */
type SelectKind = VectorKind | 'fewLevels' | 'spike' | 'ramp' | 'signedZeros' | 'tinyAndHuge';
const SELECT_KINDS: readonly SelectKind[] = [...VECTOR_KINDS, 'fewLevels', 'spike', 'ramp', 'signedZeros', 'tinyAndHuge'];

function selectVector(rnd: TestRandom, n: number, kind: SelectKind): Float32Array {
  switch (kind) {
    case 'fewLevels': { // heavy ties: 5 magnitudes, random signs
      const levels = [0, 1, 2, 3, 4].map(() => Math.fround(rnd.normal()));
      return Float32Array.from({ length: n }, () => rnd.pick(levels) * (rnd.uniform() < 0.5 ? -1 : 1));
    }
    case 'spike': { // small noise with one block of large values the sample may miss
      const x = Float32Array.from({ length: n }, () => rnd.normal() * 1e-3);
      const at = rnd.int(0, Math.max(0, n - 40));
      for (let i = at; i < Math.min(n, at + 37); i++) x[i] = rnd.normal() * 100;
      return x;
    }
    case 'ramp': return Float32Array.from({ length: n }, (_, i) => (i % 2 ? -1 : 1) * Math.fround(i / 7));
    case 'signedZeros': return Float32Array.from({ length: n }, () => (rnd.uniform() < 0.3 ? rnd.normal() : rnd.uniform() < 0.5 ? 0 : -0));
    case 'tinyAndHuge': return Float32Array.from({ length: n }, () => (rnd.uniform() < 0.5 ? 2 ** -149 * rnd.int(1, 3) : rnd.pick([3.4e38, -3.4e38, Infinity, -Infinity, 1])));
    default: return testVector(rnd, n, kind);
  }
}

function ksFor(rnd: TestRandom, n: number): number[] {
  const ks = new Set<number>([1, n]);
  if (n > 1) ks.add(n - 1);
  ks.add(rnd.int(1, n));
  for (const f of [0.001, 0.01, 0.1, 0.5]) ks.add(Math.max(1, Math.round(f * n)));
  if (n <= 40) for (let k = 1; k <= n; k++) ks.add(k);
  return [...ks];
}

function runTopk(m: KernelMemory, x: Float32Array, k: number, what: string): void {
  m.reset();
  const n = x.length;
  const px = m.putF32(x, (k * 4) % 16);
  const po = m.alloc(4 * k);
  const ps = m.alloc(m.k.topk_scratch_bytes(n) >>> 0);
  const got = m.k.topk_abs(px, n, k, po, ps);
  assert.equal(got, k, `${what}: return value`);
  const want = ref.topkAbs(x, k);
  assertSameInts(m.u32(po, k), want, what);
  m.checkFences(what);
  // topk_abs_values: the same indices, and the selected values bit for bit (NaN payloads included).
  const pi = m.alloc(4 * k), pv = m.alloc(4 * k), ps2 = m.alloc(m.k.topk_scratch_bytes(n) >>> 0);
  assert.equal(m.k.topk_abs_values(px, n, k, pi, pv, ps2), k, `${what}: topk_abs_values return value`);
  assertSameInts(m.u32(pi, k), want, `${what}: topk_abs_values indices`);
  const bits = new Uint32Array(x.buffer, x.byteOffset, n);
  assertSameInts(m.u32(pv, k), Uint32Array.from(want, (i) => bits[i]!), `${what}: topk_abs_values values`);
  m.checkFences(`${what} (topk_abs_values)`);
  assertSameInts(m.u32(px, n), bits, `${what}: input untouched`);
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';
  const { k: K } = m;

  test(`topk_abs matches the reference on small and mid lengths, many shapes and k (${name})`, () => {
    const rnd = new TestRandom(21);
    testLengths(rnd, 70_001).forEach((n, li) => {
      const kinds = n <= 70 ? SELECT_KINDS : [SELECT_KINDS[li % SELECT_KINDS.length]!, 'fewLevels' as const];
      for (const kind of kinds) {
        const x = selectVector(rnd, n, kind);
        for (const k of n <= 70 ? ksFor(rnd, n) : [1, rnd.int(1, n), Math.ceil(n / 100), n]) runTopk(m, x, k, `topk n=${n} k=${k} kind=${kind}`);
      }
    });
  });

  test(`topk_abs fast path and its fallbacks on large vectors (${name})`, () => {
    const rnd = new TestRandom(22);
    const cases: Array<[number, SelectKind, number[]]> = [
      [1_000_003, 'normal', [1, 1000, 10_000, 31_250, 31_251, 200_000, 500_001]], // k > n/32: band path
      [200_017, 'wide', [200, 2000, 20_000, 100_000]],
      [131_072, 'fewLevels', [1, 131, 1311, 13_107]], // ties at the k-th largest: first indices win
      [100_001, 'spike', [10, 37, 100]], // the big block may sit between sampled chunks
      [100_000, 'ramp', [100, 1000]],
      [65_537, 'signedZeros', [65, 655, 6553, 40_000]], // -0 and +0 tie
      [65_536, 'constant', [1, 65, 6553]], // all equal: the first k
      [70_000, 'subnormal', [70, 700]],
      [50_000, 'tinyAndHuge', [50, 500, 25_000]],
      [90_000, 'sparse', [90, 900, 4500, 9000]], // k beyond the nonzeros: zeros fill in index order
    ];
    for (const [n, kind, ks] of cases) {
      const x = selectVector(rnd, n, kind);
      for (const k of ks) runTopk(m, x, k, `topk n=${n} k=${k} kind=${kind}`);
    }
  });

  test(`topk_abs falls back to the full select when the sample overestimates (${name})`, () => {
    // The sampled 32-float chunks (fixed pseudo-random offsets, as in sampleThreshold) hold the
    // only large values: the sampled threshold then passes fewer than k candidates.
    const rnd = new TestRandom(28);
    const n = 100_000, k = 100;
    const chunks = n >>> 5, want = Math.min(Math.max(Math.ceil((32 * n) / (32 * k)), 512), 2048, chunks >>> 3); // = chunks / 8 here
    const stride = Math.floor(chunks / want);
    const x = Float32Array.from({ length: n }, () => rnd.normal());
    for (let j = 0; j < want; j++) {
      const c = j * stride + Math.floor((rngU32(0x5eed, j) * stride) / 2 ** 32);
      for (let i = 32 * c; i < 32 * c + 32; i++) x[i] = 10 + rnd.uniform();
    }
    for (const kk of [k, 2 * k, 50, n / 10, Math.round(n / 3)]) runTopk(m, x, kk, `topk adversarial sample k=${kk}`);
    // And the opposite: sampled chunks hold the only tiny values, so the threshold passes far
    // more candidates than the scratch holds.
    for (let j = 0; j < want; j++) {
      const c = j * stride + Math.floor((rngU32(0x5eed, j) * stride) / 2 ** 32);
      for (let i = 32 * c; i < 32 * c + 32; i++) x[i] = rnd.normal() * 1e-6;
    }
    for (const kk of [k, 2 * k, 50, n / 10, Math.round(n / 3)]) runTopk(m, x, kk, `topk adversarial sample (low) k=${kk}`);
  });

  test(`topk_abs: -0 == +0, subnormals ordered, ties broken by lower index (${name})`, () => {
    const x = Float32Array.from([0, -0, 2 ** -149, -(2 ** -149), 2 ** -148, -1, 1, -0, 1]);
    const cases: Array<[number, number[]]> = [[1, [5]], [3, [5, 6, 8]], [4, [4, 5, 6, 8]], [6, [2, 3, 4, 5, 6, 8]], [7, [0, 2, 3, 4, 5, 6, 8]], [8, [0, 1, 2, 3, 4, 5, 6, 8]]];
    for (const [k, want] of cases) {
      assertSameInts(ref.topkAbs(x, k), want, `reference k=${k}`);
      runTopk(m, x, k, `hand case k=${k}`);
    }
  });

  test(`topk_abs refuses k outside [1, n] without writing (${name})`, () => {
    m.reset();
    const x = Float32Array.from([3, 1, 2]);
    const px = m.putF32(x), po = m.alloc(16), ps = m.alloc(K.topk_scratch_bytes(3) >>> 0);
    assert.equal(K.topk_abs(px, 3, 0, po, ps), 0);
    assert.equal(K.topk_abs(px, 3, 4, po, ps), 0);
    assert.equal(K.topk_abs(px, 0, 1, po, ps), 0);
    m.checkFences('topk bad k');
    assert.throws(() => ref.topkAbs(x, 0), /k must be/);
  });

  test(`topk_abs ranks NaN above +Inf on every path, exactly as the reference (${name})`, () => {
    const rnd = new TestRandom(23);
    const nanBits = [0x7fc00000, 0xffc00000, 0x7f800001, 0xffffffff, 0x7fa00000];
    const withBits = (x: Float32Array, i: number, bits: number): void => { new Uint32Array(x.buffer, x.byteOffset, x.length)[i] = bits >>> 0; };
    // Dense NaN / -Inf patterns (the sampled thresholds fall among them: fallbacks), then one hidden
    // NaN or Inf in normal data (the sample misses it: the candidate filter, the band and emit scans).
    for (const n of [5, 1000, 70_000]) {
      const x = Float32Array.from({ length: n }, (_, i) => (i % 7 === 3 ? NaN : i % 11 === 5 ? -Infinity : rnd.normal()));
      for (let i = 3; i < n; i += 7) withBits(x, i, rnd.pick(nanBits));
      for (const k of [1, Math.ceil(n / 100), Math.ceil(n / 10), n]) runTopk(m, x, k, `NaN pattern n=${n} k=${k}`);
    }
    for (const n of [40_000, 300_007]) {
      for (const hidden of ['nan', 'inf', 'nan+inf']) {
        const x = Float32Array.from({ length: n }, () => rnd.normal());
        const at = rnd.int(0, n - 1);
        if (hidden === 'inf') x[at] = rnd.pick([Infinity, -Infinity]);
        else withBits(x, at, rnd.pick(nanBits));
        if (hidden === 'nan+inf') x[(at + 1 + rnd.int(0, n - 2)) % n] = -Infinity;
        for (const k of [1, 2, Math.round(n / 1000), Math.round(n / 100), Math.round(n / 20), Math.round(n / 4)]) {
          runTopk(m, x, k, `${hidden} at ${at} n=${n} k=${k}`);
          assert.ok(ref.topkAbs(x, k).includes(at), `the non-finite value is among the top ${k}`);
        }
      }
    }
  });

  test(`threshold_abs / threshold_count match the reference (${name})`, () => {
    const rnd = new TestRandom(24);
    for (const n of [...testLengths(rnd, 300_007), 4095, 4111, 8193, 12_289]) {
      const kind = rnd.pick(SELECT_KINDS);
      const x = selectVector(rnd, n, kind);
      const some = x.length ? Math.abs(x[rnd.int(0, n - 1)]!) : 1;
      const lambdas = [0, -1, -0, some, Math.fround(some * 1.0000001), 2 ** -149, 1e-3, 0.5, 2.5, Infinity, NaN];
      for (const lambda of n <= 70 || n > 5000 ? lambdas : [rnd.pick(lambdas), some]) {
        m.reset();
        const px = m.putF32(x, rnd.pick([0, 4, 8, 12])), po = m.alloc(4 * n);
        const what = `threshold n=${n} kind=${kind} lambda=${lambda}`;
        const c = K.threshold_abs(px, n, lambda, po);
        assertSameInts(m.u32(po, c), ref.thresholdAbs(x, lambda), what);
        assert.equal(K.threshold_count(px, n, lambda), c, `${what}: count`);
        assert.equal(ref.thresholdCount(x, lambda), c, `${what}: reference count`);
        m.checkFences(what);
      }
    }
  });

  test(`threshold_abs on dense and sparse stretches of one vector (${name})`, () => {
    // Alternating dense / sparse 10k-element stretches switch the filter between its two modes.
    const rnd = new TestRandom(25);
    const n = 200_003;
    const x = Float32Array.from({ length: n }, (_, i) => (Math.floor(i / 10_000) % 2 ? rnd.normal() : rnd.normal() * 0.01));
    for (const lambda of [0.02, 0.5, 1.5, 3]) {
      m.reset();
      const px = m.putF32(x), po = m.alloc(4 * n);
      const c = K.threshold_abs(px, n, lambda, po);
      assertSameInts(m.u32(po, c), ref.thresholdAbs(x, lambda), `threshold stretches lambda=${lambda}`);
      m.checkFences(`threshold stretches lambda=${lambda}`);
    }
    // topk over the same vector: candidate density changes along the way too.
    for (const k of [200, 2000, 6000]) runTopk(m, x, k, `topk stretches k=${k}`);
  });

  test(`randk matches the reference: distinct, ascending, deterministic (${name})`, () => {
    const rnd = new TestRandom(26);
    const cases: Array<[number, number]> = [[0, 0], [1, 0], [1, 1], [5, 5], [64, 1], [64, 64], [65, 3], [1000, 999], [100_003, 1000], [1_000_000, 10_000]];
    for (let i = 0; i < 40; i++) { const n = rnd.int(1, 3000); cases.push([n, rnd.int(0, n)]); }
    cases.forEach(([n, k], ci) => {
      const key = rngKey(7, ci, 3, Purpose.randk);
      m.reset();
      const po = m.alloc(4 * k), ps = m.alloc(K.randk_scratch_bytes(n, k) >>> 0);
      const what = `randk n=${n} k=${k}`;
      assert.equal(K.randk(n, k, key, po, ps), k, `${what}: return value`);
      const got = m.u32(po, k).slice();
      assertSameInts(got, ref.randk(n, k, key), what);
      for (let i = 1; i < k; i++) assert.ok(got[i]! > got[i - 1]!, `${what}: ascending and distinct`);
      if (k > 0) assert.ok(got[k - 1]! < n, `${what}: in range`);
      m.checkFences(what);
      K.randk(n, k, key, po, ps);
      assertSameInts(m.u32(po, k), got, `${what}: same key, same indices`);
    });
  });

  test(`randk: different keys differ, k > n refused, coordinates uniform (chi-square) (${name})`, () => {
    m.reset();
    const n = 100, k = 10, trials = 3000;
    const po = m.alloc(4 * k), ps = m.alloc(K.randk_scratch_bytes(n, k) >>> 0);
    assert.equal(K.randk(5, 6, 1, po, ps), 0);
    const counts = new Float64Array(n);
    const seen = new Set<string>();
    for (let t = 0; t < trials; t++) {
      K.randk(n, k, rngKey(2024, 0, t, Purpose.randk), po, ps);
      const idx = m.u32(po, k);
      seen.add(idx.join(','));
      for (const i of idx) counts[i]!++;
    }
    assert.ok(seen.size > trials * 0.99, `distinct subsets: ${seen.size} of ${trials}`);
    const expected = (trials * k) / n;
    let chi2 = 0;
    for (const c of counts) chi2 += (c - expected) ** 2 / expected;
    // 99 degrees of freedom: mean 99, sd 14; the bound is loose and the seed fixed (no flakes).
    assert.ok(chi2 < 99 + 6 * 14, `chi-square ${chi2.toFixed(1)}`);
    m.checkFences('randk uniformity');
  });
}

test('reference topk agrees with a naive full sort', () => {
  const rnd = new TestRandom(27);
  for (let trial = 0; trial < 200; trial++) {
    const n = rnd.int(1, 60);
    const x = selectVector(rnd, n, rnd.pick(SELECT_KINDS));
    const k = rnd.int(1, n);
    const bits = new Uint32Array(x.buffer);
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ((bits[b]! & 0x7fffffff) - (bits[a]! & 0x7fffffff)) || a - b);
    assertSameInts(ref.topkAbs(x, k), order.slice(0, k).sort((a, b) => a - b), `naive n=${n} k=${k}`);
  }
});
