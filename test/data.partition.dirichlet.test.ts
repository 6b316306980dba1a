import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirichlet } from '../src/data/partition/dirichlet.js';
import { classHistogram, partition } from '../src/data/partition/index.js';
import { dirichlet as drawDirichlet, logGamma, openStream, DataPurpose } from '../src/data/random.js';
import { SpecError } from '../src/errors.js';
import { assertDisjoint, balancedLabels, meanMaxClassFraction, sameShards, sizesOf } from './data.support.js';

const N = 20000;
const labels = balancedLabels(N, 10);
const data = { y: labels, classes: 10, count: N, name: 'test-labels' };

test('Gamma (Marsaglia-Tsang) draws have the right mean and variance', () => {
  for (const shape of [0.1, 0.5, 1, 3.7]) {
    const rng = openStream(5, 0, 0, DataPurpose.partition);
    let s = 0;
    let s2 = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const g = Math.exp(logGamma(rng, shape));
      s += g;
      s2 += g * g;
    }
    const mean = s / n;
    const variance = s2 / n - mean * mean;
    assert.ok(Math.abs(mean - shape) < 0.05 * shape + 0.01, `shape ${shape}: mean ${mean}`);
    assert.ok(Math.abs(variance - shape) < 0.12 * shape + 0.01, `shape ${shape}: variance ${variance}`);
  }
  const p = drawDirichlet(openStream(1, 0, 0, DataPurpose.partition), 0.01, 50);
  assert.ok(Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-12 && p.every((v) => v >= 0 && Number.isFinite(v)));
});

test('natural volumes: small alpha concentrates labels, large alpha is near uniform', () => {
  const frac = (alpha: number) => {
    let acc = 0;
    for (const seed of [1, 2, 3]) {
      const p = dirichlet(alpha)(labels, 10, 10, { seed });
      assert.equal(assertDisjoint(p, N), N, 'natural split uses every sample');
      acc += meanMaxClassFraction(classHistogram(p, labels, 10));
    }
    return acc / 3;
  };
  const small = frac(0.1);
  const mid = frac(1);
  const large = frac(1000);
  assert.ok(small > 0.45, `alpha 0.1: mean max-class fraction ${small}`);
  assert.ok(small > mid && mid > large, `${small} > ${mid} > ${large}`);
  assert.ok(large < 0.125, `alpha 1000: mean max-class fraction ${large} (uniform is 0.1)`);
});

test('with sizes: sizes exact, label skew kept, every sample used once', () => {
  const equal = new Array(10).fill(N / 10);
  const p = dirichlet(0.1)(labels, 10, 10, { seed: 4, sizes: equal });
  assert.deepEqual(sizesOf(p), equal);
  assert.equal(assertDisjoint(p, N), N);
  assert.ok(meanMaxClassFraction(classHistogram(p, labels, 10)) > 0.45);
  const q = dirichlet(1000)(labels, 10, 10, { seed: 4, sizes: equal });
  assert.ok(meanMaxClassFraction(classHistogram(q, labels, 10)) < 0.125);
  // sizes summing below N leave samples unused
  const partial = [3000, 2000, 1000, 500];
  const r = dirichlet(0.5)(labels, 10, 4, { seed: 2, sizes: partial });
  assert.deepEqual(sizesOf(r), partial);
  assert.equal(assertDisjoint(r, N), 6500);
});

test('registry: dirichlet with volume:SR keeps the ratio; deterministic per seed', () => {
  const a = partition(data, 'dirichlet:0.5', 'volume:10', 10, 9);
  const sizes = sizesOf(a);
  assert.equal(sizes.reduce((x, y) => x + y, 0), N);
  assert.ok(Math.abs(sizes[0]! / sizes[9]! - 10) < 0.05, `ratio ${sizes[0]! / sizes[9]!}`);
  assert.ok(sameShards(a, partition(data, 'dirichlet:0.5', 'volume:10', 10, 9)));
  assert.ok(!sameShards(a, partition(data, 'dirichlet:0.5', 'volume:10', 10, 10)));
  // 1000 devices, Zipf volumes: still exact
  const z = partition(data, 'dirichlet:0.3', 'zipf:0.5', 1000, 1);
  assert.equal(assertDisjoint(z, N), N);
});

test('bad alpha is a SpecError', () => {
  for (const spec of ['dirichlet:0', 'dirichlet:-1', 'dirichlet:x', 'dirichlet:', 'dirichlet:1:2']) {
    assert.throws(() => partition(data, spec, 'equal', 10, 1), SpecError, spec);
  }
});
