// Counter-based RNG: TypeScript (src/kernels/rng.ts) and WASM (assembly/random.ts, both builds)
// give the same streams bit for bit; keys separate streams; uniforms are f32-exact in [0, 1);
// RandomStream draws unbiased integers and shuffles deterministically.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../src/errors.js';
import { mix32, Purpose, RandomStream, rngKey, rngU32, rngUniform, shuffle } from '../src/kernels/rng.js';
import { openStream } from '../src/data/random.js';
import { fillUniform } from '../src/kernels/reference/random.js';
import { assertSameF32, bothBuilds, TestRandom } from './support/kernel-memory.js';
import { assertThrowsError } from './support/assert-error.js';

const builds = await bothBuilds(8 << 20);
const U32_EDGES = [0, 1, 2, 0x7fffffff, 0x80000000, 0x9e3779b9, 0xfffffffe, 0xffffffff];

function tuples(rnd: TestRandom, count: number): Array<[number, number, number, number]> {
  const out: Array<[number, number, number, number]> = [];
  for (const e of U32_EDGES) out.push([e, e, e, e], [e, 0, 1, 2], [42, e, 7, Purpose.randk]);
  for (let i = 0; i < count; i++) out.push([rnd.u32(), rnd.int(0, 20_000), rnd.int(0, 1_000_000), rnd.int(1, 11)]);
  return out;
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';
  const { k: K } = m;

  test(`rng_key and rng_u32 equal the TypeScript RNG (${name})`, () => {
    const rnd = new TestRandom(31);
    for (const [s, d, r, p] of tuples(rnd, 2000)) {
      const key = rngKey(s, d, r, p);
      assert.equal(K.rng_key(s, d, r, p) >>> 0, key, `rng_key(${s}, ${d}, ${r}, ${p})`);
      for (const c of [...U32_EDGES, rnd.u32(), rnd.int(0, 1000)]) {
        assert.equal(K.rng_u32(key, c) >>> 0, rngU32(key, c), `rng_u32(${key}, ${c})`);
      }
    }
  });

  test(`rng_fill_uniform equals rngUniform for every length and counter wrap (${name})`, () => {
    const rnd = new TestRandom(32);
    const lengths = [...Array.from({ length: 70 }, (_, i) => i), 1000, 4099, 65_537];
    for (const n of lengths) {
      m.reset();
      const key = rnd.u32();
      const counter0 = rnd.pick([0, 5, 0xffffffff - 3, 0xfffffff0, rnd.u32()]);
      const po = m.alloc(4 * n, rnd.pick([0, 4, 8, 12]));
      K.rng_fill_uniform(key, counter0, po, n);
      const expected = fillUniform(key, counter0, new Float32Array(n));
      assertSameF32(m.f32(po, n), expected, `fill n=${n} counter0=${counter0}`);
      for (let i = 0; i < Math.min(n, 8); i++) assert.equal(expected[i], rngUniform(key, counter0 + i), 'reference = rngUniform');
      m.checkFences(`rng_fill_uniform n=${n}`);
    }
  });
}

test('keys: one changed field gives a different key; a grid of tuples has no collisions', () => {
  const seen = new Map<number, string>();
  for (let s = 0; s < 8; s++) for (let d = 0; d < 16; d++) for (let r = 0; r < 16; r++) for (let p = 1; p <= 11; p++) {
    const key = rngKey(s, d, r, p);
    const where = `${s},${d},${r},${p}`;
    assert.ok(!seen.has(key), `key collision: ${where} and ${seen.get(key)}`);
    seen.set(key, where);
  }
  const base = rngKey(1, 2, 3, 4);
  for (const other of [rngKey(2, 2, 3, 4), rngKey(1, 3, 3, 4), rngKey(1, 2, 4, 4), rngKey(1, 2, 3, 5), rngKey(2, 1, 3, 4), rngKey(1, 2, 4, 3)]) {
    assert.notEqual(other, base);
  }
});

test('streams: uniforms are f32-exact in [0, 1), bits balanced, neighbours uncorrelated', () => {
  const key = rngKey(9, 0, 0, Purpose.data);
  const n = 200_000;
  let sum = 0, min = 1, max = 0, corr = 0, prev = 0;
  const bitCounts = new Float64Array(32);
  for (let c = 0; c < n; c++) {
    const u = rngUniform(key, c);
    assert.equal(Math.fround(u), u);
    if (u < min) min = u;
    if (u > max) max = u;
    sum += u;
    corr += (u - 0.5) * (prev - 0.5);
    prev = u;
    const v = rngU32(key, c);
    for (let b = 0; b < 32; b++) bitCounts[b]! += (v >>> b) & 1;
  }
  assert.ok(min >= 0 && max < 1, `range [${min}, ${max}]`);
  assert.ok(Math.abs(sum / n - 0.5) < 0.005, `mean ${sum / n}`);
  assert.ok(Math.abs(corr / n) < 0.002, `lag-1 covariance ${corr / n}`);
  for (let b = 0; b < 32; b++) assert.ok(Math.abs(bitCounts[b]! / n - 0.5) < 0.006, `bit ${b}: ${bitCounts[b]! / n}`);
  // Streams of neighbouring keys do not track each other.
  const k2 = rngKey(9, 1, 0, Purpose.data);
  let same = 0;
  for (let c = 0; c < 10_000; c++) same += Number((rngU32(key, c) >>> 28) === (rngU32(k2, c) >>> 28));
  assert.ok(same < 10_000 / 16 + 150, `top-nibble agreement ${same}`);
});

test('mix32 is lowbias32 (fixed values)', () => {
  // Recomputed with BigInt arithmetic mod 2^32 as an independent check.
  const ref = (x0: number): number => {
    let x = BigInt(x0 >>> 0);
    const M = 0xffffffffn;
    x ^= x >> 16n; x = (x * 0x7feb352dn) & M;
    x ^= x >> 15n; x = (x * 0x846ca68bn) & M;
    x ^= x >> 16n;
    return Number(x);
  };
  for (const v of [...U32_EDGES, 12345, 0xdeadbeef]) assert.equal(mix32(v), ref(v), `mix32(${v})`);
});

test('RandomStream: next follows the counters; nextInt is Lemire exact and unbiased', () => {
  const key = rngKey(5, 6, 7, Purpose.batch);
  const s = new RandomStream(key, 10);
  for (let c = 10; c < 20; c++) assert.equal(s.next(), rngU32(key, c));
  assert.equal(s.counter, 20);
  assert.equal(s.nextUniform(), rngUniform(key, 20));

  // Independent BigInt version of the documented nextInt.
  const lemire = (st: { c: number }, bound: number): number => {
    const n = BigInt(bound);
    for (;;) {
      const p = BigInt(rngU32(key, st.c++)) * n;
      const lo = p & 0xffffffffn;
      if (lo >= n || lo >= (2n ** 32n - n) % n) return Number(p >> 32n);
    }
  };
  const rnd = new TestRandom(33);
  const a = new RandomStream(key, 0), st = { c: 0 };
  for (let i = 0; i < 5000; i++) {
    const bound = rnd.pick([1, 2, 3, 7, 1000, 0x80000001, 0xffffffff, rnd.int(1, 2 ** 31), rnd.u32() || 1]);
    assert.equal(a.nextInt(bound), lemire(st, bound), `nextInt(${bound}) #${i}`);
    assert.equal(a.counter, st.c, 'same number of draws');
  }

  const b = new RandomStream(rngKey(1, 0, 0, Purpose.batch));
  const counts = new Float64Array(7);
  const draws = 70_000;
  for (let i = 0; i < draws; i++) counts[b.nextInt(7)]!++;
  let chi2 = 0;
  for (const c of counts) chi2 += (c - draws / 7) ** 2 / (draws / 7);
  assert.ok(chi2 < 30, `chi-square (6 dof) ${chi2.toFixed(2)}`);
});

test('RandomStream.shuffle: a deterministic permutation', () => {
  const key = rngKey(3, 1, 4, Purpose.partition);
  const a = new RandomStream(key).shuffle(Array.from({ length: 1000 }, (_, i) => i));
  const b = new RandomStream(key).shuffle(Int32Array.from({ length: 1000 }, (_, i) => i));
  assert.deepEqual(Array.from(b), a);
  assert.deepEqual([...a].sort((x, y) => x - y), Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual(a, Array.from({ length: 1000 }, (_, i) => i));
  const c = new RandomStream(rngKey(3, 1, 5, Purpose.partition)).shuffle(Array.from({ length: 1000 }, (_, i) => i));
  assert.notDeepEqual(c, a);
  assert.deepEqual(new RandomStream(key).shuffle([]), []);
});

test('shuffle over a prefix: only a[0, length) moves, in the order the whole-array shuffle of that prefix gives', () => {
  const key = rngKey(7, 2, 9, Purpose.graph);
  for (const length of [0, 1, 2, 17, 300]) {
    const a = Int32Array.from({ length: 400 }, (_, i) => i);
    shuffle(a, new RandomStream(key), length);
    const prefix = new RandomStream(key).shuffle(Int32Array.from({ length }, (_, i) => i));
    assert.deepEqual(Array.from(a.subarray(0, length)), Array.from(prefix), `length ${length}`);
    assert.deepEqual(Array.from(a.subarray(length)), Array.from({ length: 400 - length }, (_, i) => length + i), `untouched past ${length}`);
  }
});

test('shuffle with the data layer\'s stream makes the same swaps as RandomStream.of the same key', () => {
  const a = shuffle(Array.from({ length: 500 }, (_, i) => i), openStream(5, 0, 1, Purpose.data));
  assert.deepEqual(a, RandomStream.of(5, 0, 1, Purpose.data).shuffle(Array.from({ length: 500 }, (_, i) => i)));
});

test('bad inputs are InputErrors naming the argument', () => {
  for (const bad of [-1, 1.5, 2 ** 32, NaN, Infinity]) {
    assertThrowsError(() => rngKey(bad, 0, 0, 1), InputError, /seed/, `seed ${bad}`);
    assertThrowsError(() => rngKey(0, bad, 0, 1), InputError, /device/, `device ${bad}`);
    assertThrowsError(() => rngKey(0, 0, bad, 1), InputError, /round/, `round ${bad}`);
    assertThrowsError(() => rngKey(0, 0, 0, bad), InputError, /purpose/, `purpose ${bad}`);
    assert.throws(() => new RandomStream(bad), InputError);
  }
  const s = new RandomStream(1);
  for (const bad of [0, -3, 2.5, 2 ** 32, NaN]) assert.throws(() => s.nextInt(bad), InputError);
});

test('purpose codes are fixed', () => {
  assert.deepEqual({ ...Purpose }, {
    init: 1, batch: 2, randk: 3, qsgd: 4, linkDrop: 5, offline: 6, partition: 7, graph: 8, clock: 9, participation: 10, data: 11,
  });
});
