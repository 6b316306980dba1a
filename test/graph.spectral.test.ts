import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  analyzeSpectrum, circulantOffsets, createTopology, eigenvalues, periodAverageMatrix, spectralGap, type Topology,
} from '../src/graph/index.js';
import { GraphError } from '../src/errors.js';

const close = (a: number, b: number, tol = 1e-9, what = ''): void => assert.ok(Math.abs(a - b) <= tol, `${what} ${a} vs ${b}`);

/** Gap from the dense QR solver on the averaged matrix, bypassing the circulant shortcut. */
function denseGap(topo: Topology): number {
  const { re, im } = eigenvalues(periodAverageMatrix(topo), topo.n);
  const moduli = Array.from(re, (x, k) => Math.hypot(x, im[k]!)).sort((a, b) => b - a);
  return 1 - moduli[1]!;
}

test('eigenvalues: companion matrix with known real and complex roots', () => {
  // (x - 3)(x + 2)(x - 0.5)(x^2 - 2x + 5): roots 3, -2, 0.5, 1 +- 2i.
  const roots = [[3, 0], [-2, 0], [0.5, 0], [1, 2], [1, -2]];
  // Expand the monic polynomial with complex arithmetic (coefficients come out real).
  let coef: [number, number][] = [[1, 0]];
  for (const [rr, ri] of roots) {
    const next: [number, number][] = Array.from({ length: coef.length + 1 }, () => [0, 0] as [number, number]);
    coef.forEach(([cr, ci], k) => {
      next[k]![0] += cr; next[k]![1] += ci;
      next[k + 1]![0] -= cr * rr! - ci * ri!; next[k + 1]![1] -= cr * ri! + ci * rr!;
    });
    coef = next;
  }
  const n = roots.length;
  const c = new Float64Array(n * n);
  for (let j = 0; j < n; j++) c[j] = -coef[j + 1]![0];
  for (let i = 1; i < n; i++) c[i * n + i - 1] = 1;
  const { re, im } = eigenvalues(c, n);
  const got = Array.from(re, (x, k) => [x, im[k]!]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  const want = roots.map(([a, b]) => [a!, b!]).sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  got.forEach((v, k) => { close(v[0]!, want[k]![0]!, 1e-9, 're'); close(v[1]!, want[k]![1]!, 1e-9, 'im'); });
});

test('eigenvalues: trace identities on pseudo-random matrices', () => {
  let s = 12345;
  const rand = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32 - 0.5; };
  for (const n of [1, 2, 3, 7, 40]) {
    const m = new Float64Array(n * n).map(() => rand());
    const { re, im } = eigenvalues(m, n);
    let tr = 0; let tr2 = 0; let sum = 0; let sum2 = 0;
    for (let i = 0; i < n; i++) {
      tr += m[i * n + i]!;
      for (let k = 0; k < n; k++) tr2 += m[i * n + k]! * m[k * n + i]!;
      sum += re[i]!;
      sum2 += re[i]! * re[i]! - im[i]! * im[i]!;
    }
    close(sum, tr, 1e-10, `n=${n} trace`);
    close(sum2, tr2, 1e-9, `n=${n} trace of square`);
  }
});

test('directed-ring gap matches the averaged circulant (I + P)/2: 1 - cos(pi/n)', () => {
  for (const n of [2, 3, 5, 8, 13, 40]) {
    // Eigenvalues (1 + e^{2 pi i k/n})/2 have modulus |cos(pi k / n)|; the largest for k != 0 is cos(pi/n).
    const expected = 1 - Math.cos(Math.PI / n);
    const topo = createTopology('directed-ring', n);
    close(spectralGap(topo), expected, 1e-12, `n=${n}`);
    close(denseGap(topo), expected, 1e-9, `dense n=${n}`);
  }
});

test('ring gap matches the circulant formula 1 - max_k |1 + 2 cos(2 pi k/n)| / 3', () => {
  for (const n of [3, 4, 5, 6, 9, 16, 31]) {
    let second = 0;
    for (let k = 1; k < n; k++) second = Math.max(second, Math.abs(1 + 2 * Math.cos((2 * Math.PI * k) / n)) / 3);
    const topo = createTopology('ring', n);
    close(spectralGap(topo), 1 - second, 1e-12, `n=${n}`);
    close(denseGap(topo), 1 - second, 1e-9, `dense n=${n}`);
  }
  // n = 2: the ring is a single edge, W = [[1/2, 1/2], [1/2, 1/2]]: gap 1.
  close(spectralGap(createTopology('ring', 2)), 1, 1e-12);
});

test('complete graph gap is 1', () => {
  for (const n of [2, 5, 32]) {
    close(spectralGap(createTopology('complete', n)), 1, 1e-12, `n=${n}`);
    close(denseGap(createTopology('complete', n)), 1, 1e-9, `dense n=${n}`);
  }
});

test('exponential:1 on 16 nodes: gap of the period-averaged circulant', () => {
  // Average = I/2 + (P + P^2 + P^4 + P^8)/8; eigenvalue k: 1/2 + (1/8) sum_o e^{2 pi i o k/16}.
  let second = 0;
  for (let k = 1; k < 16; k++) {
    let re = 0.5; let im = 0;
    for (const o of [1, 2, 4, 8]) { re += Math.cos((2 * Math.PI * o * k) / 16) / 8; im += Math.sin((2 * Math.PI * o * k) / 16) / 8; }
    second = Math.max(second, Math.hypot(re, im));
  }
  close(second, 0.75, 1e-12, 'closed form');
  const topo = createTopology('exponential:1', 16);
  const report = analyzeSpectrum(topo);
  assert.equal(report.method, 'circulant');
  assert.equal(report.roundsAveraged, 4);
  close(report.gap, 0.25, 1e-12);
  close(denseGap(topo), 0.25, 1e-9);
  close(denseGap(createTopology('exponential:2', 11)), spectralGap(createTopology('exponential:2', 11)), 1e-9, 'exponential:2');
});

test('non-circulant graphs use the dense solver: star gap 1/2, torus gap from the 2-D circulant', () => {
  // Star: leaf differences are eigenvectors with eigenvalue 1/2; the remaining one is 1/n - 1/2.
  for (const n of [3, 6, 20]) {
    const report = analyzeSpectrum(createTopology('star', n));
    assert.equal(report.method, 'dense-qr');
    close(report.gap, 0.5, 1e-9, `star n=${n}`);
  }
  // R x C torus: eigenvalues (1 + 2 cos(2 pi a/R) + 2 cos(2 pi b/C)) / 5.
  for (const [r, c] of [[3, 3], [4, 6], [5, 7]] as const) {
    let second = 0;
    for (let a = 0; a < r; a++) for (let b = 0; b < c; b++) {
      if (a === 0 && b === 0) continue;
      second = Math.max(second, Math.abs(1 + 2 * Math.cos((2 * Math.PI * a) / r) + 2 * Math.cos((2 * Math.PI * b) / c)) / 5);
    }
    close(spectralGap(createTopology(`torus:${r}x${c}`, r * c)), 1 - second, 1e-9, `torus ${r}x${c}`);
  }
});

test('circulant detection', () => {
  assert.ok(circulantOffsets(createTopology('exponential:3', 20)));
  assert.equal(circulantOffsets(createTopology('star', 5)), undefined);
  assert.equal(circulantOffsets(createTopology('torus', 12)), undefined);
});

test('a disconnected schedule has gap 0; large non-circulant graphs need allowLarge', () => {
  // Two components: the averaged matrix has eigenvalue 1 twice.
  const split = createTopology('edges:x', 4, { readText: () => '0 1\n1 0\n2 3\n3 2\n' });
  close(spectralGap(split), 0, 1e-12);
  assert.throws(() => spectralGap(createTopology('star', 600)), (e: unknown) => e instanceof GraphError && /allowLarge/.test(e.message));
  // Circulant schedules have no size limit.
  close(spectralGap(createTopology('directed-ring', 5000)), 1 - Math.cos(Math.PI / 5000), 1e-12);
});
