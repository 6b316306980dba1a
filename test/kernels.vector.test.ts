// Vector kernels (assembly/vector.ts) vs the reference (src/kernels/reference/vector.ts), both builds:
// element-wise ops bit for bit, reductions bit for bit (same lane order) and close to a naive sum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from '../src/kernels/reference/vector.js';
import {
  assertSameF32, bothBuilds, testLengths, testVector, TestRandom, VECTOR_KINDS, type KernelMemory,
} from './support/kernel-memory.js';

const builds = await bothBuilds();

function kindsFor(n: number, i: number): typeof VECTOR_KINDS {
  if (n <= 70) return VECTOR_KINDS;
  return n > 100_000 ? ['normal'] : [VECTOR_KINDS[i % VECTOR_KINDS.length]!];
}

function naiveSum(x: ArrayLike<number>): { sum: number; abs: number } {
  let sum = 0, abs = 0;
  for (let i = 0; i < x.length; i++) { sum += x[i]!; abs += Math.abs(x[i]!); }
  return { sum, abs };
}

for (const m of builds) {
  const name = m.simd ? 'simd' : 'scalar';
  const { k } = m;

  test(`vector element-wise ops match the reference bit for bit (${name})`, () => {
    const rnd = new TestRandom(11);
    testLengths(rnd).forEach((n, li) => {
      for (const kind of kindsFor(n, li)) {
        m.reset();
        const x = testVector(rnd, n, kind), y = testVector(rnd, n, rnd.pick(VECTOR_KINDS));
        const a = rnd.pick([0, 1, -1, 0.3, -2.5e-3, 1e20, Math.fround(rnd.normal())]);
        const b = rnd.pick([0, 1, 0.9, -0.1, Math.fround(rnd.normal())]);
        const mis = rnd.pick([0, 4, 8, 12]);
        const px = m.putF32(x, mis), py = m.putF32(y, rnd.pick([0, 4, 8, 12])), po = m.alloc(4 * n, 4);
        const what = `n=${n} kind=${kind}`;

        let ey = y.slice();
        ref.axpy(a, x, ey);
        k.axpy(n, a, px, py);
        assertSameF32(m.f32(py, n), ey, `axpy ${what}`);

        m.f32(py, n).set(y); ey = y.slice();
        ref.axpby(a, x, b, ey);
        k.axpby(n, a, px, b, py);
        assertSameF32(m.f32(py, n), ey, `axpby ${what}`);

        m.f32(py, n).set(y); ey = y.slice();
        const enf = ref.axpbyNonfinite(a, x, b, ey);
        assert.equal(k.axpby_nonfinite(n, a, px, b, py) >>> 0, enf, `axpby_nonfinite count ${what}`);
        assertSameF32(m.f32(py, n), ey, `axpby_nonfinite ${what}`);

        const ex = x.slice();
        ref.scale(a, ex);
        k.scale(n, a, px);
        assertSameF32(m.f32(px, n), ex, `scale ${what}`);

        m.f32(px, n).set(x);
        const eo = new Float32Array(n);
        ref.sub(x, y, eo);
        m.f32(py, n).set(y);
        k.sub(n, px, py, po);
        assertSameF32(m.f32(po, n), eo, `sub ${what}`);

        k.copy(n, px, po);
        assertSameF32(m.f32(po, n), x, `copy ${what}`);

        k.fill(n, a, po);
        const ef = new Float32Array(n);
        ref.fill(a, ef);
        assertSameF32(m.f32(po, n), ef, `fill ${what}`);
        m.checkFences(what);
      }
    });
  });

  test(`vector reductions match the reference exactly (${name})`, () => {
    const rnd = new TestRandom(12);
    testLengths(rnd).forEach((n, li) => {
      for (const kind of kindsFor(n, li)) {
        m.reset();
        const x = testVector(rnd, n, kind), y = testVector(rnd, n, 'normal');
        const px = m.putF32(x, rnd.pick([0, 4, 8, 12])), py = m.putF32(y, rnd.pick([0, 4, 8, 12]));
        const what = `n=${n} kind=${kind}`;
        assert.equal(k.sum(n, px), ref.sum(x), `sum ${what}`);
        assert.equal(k.dot(n, px, py), ref.dot(x, y), `dot ${what}`);
        assert.equal(k.norm2sq(n, px), ref.norm2sq(x), `norm2sq ${what}`);
        assert.equal(k.absmax(n, px), ref.absmax(x), `absmax ${what}`);
        assert.equal(k.count_nonfinite(n, px) >>> 0, 0, `count_nonfinite ${what}`);
        // The lane order is only a fixed rounding order: the result stays close to a naive sum.
        const naive = naiveSum(x);
        assert.ok(Math.abs(ref.sum(x) - naive.sum) <= 1e-12 * naive.abs + 1e-300, `sum close to naive ${what}`);
        m.checkFences(what);
      }
    });
  });

  test(`vector reductions on special values (${name})`, () => {
    m.reset();
    const cases: Array<[string, number[]]> = [
      ['empty', []],
      ['negative zeros', [-0, -0, -0, -0, -0]],
      ['subnormals', [2 ** -149, -(2 ** -149), 1e-40, -1e-39, 2 ** -126]],
      ['mixed', [1e30, 1, -1e30, 1, 3, -0, 2 ** -140, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]],
    ];
    for (const [label, vals] of cases) {
      const x = Float32Array.from(vals);
      const n = x.length;
      const px = m.putF32(x, 4);
      assert.equal(k.sum(n, px), ref.sum(x), `sum ${label}`);
      assert.equal(k.norm2sq(n, px), ref.norm2sq(x), `norm2sq ${label}`);
      assert.equal(Object.is(k.absmax(n, px), ref.absmax(x)), true, `absmax ${label}`);
    }
    assert.equal(Object.is(k.sum(5, m.putF32(new Float32Array(5).fill(-0))), 0), true, 'sum of -0 is +0');
    assert.equal(k.absmax(0, m.alloc(0)), 0);
    m.checkFences('specials');
  });

  test(`absmax and count_nonfinite with NaN and Inf (${name})`, () => {
    const rnd = new TestRandom(13);
    for (const n of [1, 3, 4, 5, 15, 16, 17, 31, 33, 100, 1027]) {
      m.reset();
      const x = testVector(rnd, n, 'normal');
      let expected = 0;
      const bad = [NaN, Infinity, -Infinity, -NaN];
      for (let t = 0; t < Math.max(1, n >> 3); t++) {
        const i = rnd.int(0, n - 1);
        if (Number.isFinite(x[i]!)) expected++;
        x[i] = rnd.pick(bad);
      }
      const px = m.putF32(x, 8);
      assert.equal(k.count_nonfinite(n, px) >>> 0, expected, `count_nonfinite n=${n}`);
      assert.equal(ref.countNonfinite(x), expected);
      const hasNaN = x.some((v) => Number.isNaN(v));
      assert.equal(Number.isNaN(k.absmax(n, px)), hasNaN, `absmax NaN n=${n}`);
      if (!hasNaN) assert.equal(k.absmax(n, px), Infinity);
    }
  });

  test(`copy handles overlapping ranges like memmove (${name})`, () => {
    m.reset();
    const x = Float32Array.from({ length: 40 }, (_, i) => i + 1);
    const p = m.putF32(x);
    k.copy(30, p, p + 8); // forward overlap
    const e = x.slice();
    e.copyWithin(2, 0, 30);
    assertSameF32(m.f32(p, 40), e, 'copy forward overlap');
    k.copy(30, p + 8, p);
    e.copyWithin(0, 2, 32);
    assertSameF32(m.f32(p, 40), e, 'copy backward overlap');
    m.checkFences('copy overlap');
  });
}

test('both builds give identical reductions', () => {
  const [s, c] = builds as [KernelMemory, KernelMemory];
  const rnd = new TestRandom(14);
  for (const n of [1, 17, 1000, 65537]) {
    s.reset(); c.reset();
    const x = testVector(rnd, n, 'wide');
    const ps = s.putF32(x), pc = c.putF32(x);
    assert.equal(s.k.sum(n, ps), c.k.sum(n, pc));
    assert.equal(s.k.norm2sq(n, ps), c.k.norm2sq(n, pc));
    assert.equal(s.k.dot(n, ps, ps), c.k.dot(n, pc, pc));
  }
});

test('reference rejects mismatched lengths', () => {
  assert.throws(() => ref.axpy(1, new Float32Array(3), new Float32Array(4)), /axpy: array lengths differ/);
  assert.throws(() => ref.dot(new Float32Array(3), new Float32Array(2)), /dot: array lengths differ/);
});
