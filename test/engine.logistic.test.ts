// The logistic kernels (assembly/logistic.ts) against the TS reference, in the SIMD and scalar
// builds (which must agree bit for bit), the by-rows variant, the fused optimizer kernel, and the
// native Learner's standalone paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadKernels, simdSupported } from '../src/kernels/index.js';
import type { KernelExports } from '../src/kernels/abi.js';
import { logisticEvalRef, logisticGradRef } from '../src/models/logistic-reference.js';
import { createNativeLogistic, logisticScratchBytes } from '../src/models/logistic.js';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296; };
}

interface Case { dIn: number; classes: number; count: number }
const CASES: Case[] = [
  { dIn: 1, classes: 2, count: 1 },
  { dIn: 7, classes: 3, count: 5 },
  { dIn: 37, classes: 10, count: 9 },
  { dIn: 64, classes: 4, count: 32 },
  { dIn: 784, classes: 10, count: 32 },
];

/** Lays out params, data, gradient and scratch in a kernel memory and returns their pointers. */
function place(k: KernelExports, c: Case, seed: number) {
  const P = c.classes * (c.dIn + 1);
  const rnd = lcg(seed);
  const base = 65536;
  const align = (v: number) => Math.ceil(v / 64) * 64;
  const pParams = base;
  const pX = align(pParams + 4 * P);
  const pY = align(pX + 4 * c.count * c.dIn);
  const pGrad = align(pY + c.count);
  const pRows = align(pGrad + 4 * P);
  const pScratch = align(pRows + 4 * c.count);
  const need = pScratch + logisticScratchBytes(c.classes) + 64;
  if (k.memory.buffer.byteLength < need) k.memory.grow(Math.ceil((need - k.memory.buffer.byteLength) / 65536));
  const buf = k.memory.buffer;
  const params = new Float32Array(buf, pParams, P);
  const x = new Float32Array(buf, pX, c.count * c.dIn);
  const y = new Uint8Array(buf, pY, c.count);
  for (let i = 0; i < P; i++) params[i] = (rnd() - 0.5) * 0.4;
  for (let i = 0; i < x.length; i++) x[i] = (rnd() - 0.5) * 4;
  for (let i = 0; i < c.count; i++) y[i] = Math.floor(rnd() * c.classes);
  return { P, params, x, y, pParams, pX, pY, pGrad, pRows, pScratch, grad: () => new Float32Array(k.memory.buffer, pGrad, P).slice() };
}

const builds = [true, false].filter((simd) => !simd || simdSupported());

test('logistic_grad and logistic_eval match the TS reference (SIMD and scalar builds agree bit for bit)', async () => {
  const kernels = await Promise.all(builds.map((simd) => loadKernels({ simd }).then((m) => m.exports)));
  for (const [ci, c] of CASES.entries()) {
    const perBuild: { loss: number; grad: Float32Array; lossSum: number; correct: number }[] = [];
    for (const k of kernels) {
      const p = place(k, c, 100 + ci);
      const loss = k.logistic_grad(p.pParams, c.dIn, c.classes, p.pX, p.pY, c.count, p.pGrad, p.pScratch);
      const grad = p.grad();
      const lossSum = k.logistic_eval(p.pParams, c.dIn, c.classes, p.pX, p.pY, c.count, p.pScratch, p.pScratch + logisticScratchBytes(c.classes));
      const correct = new Uint32Array(k.memory.buffer, p.pScratch + logisticScratchBytes(c.classes), 1)[0]!;
      perBuild.push({ loss, grad, lossSum, correct });

      const refGrad = new Float32Array(p.P);
      const refLoss = logisticGradRef(p.params, c, p.x, p.y, c.count, refGrad);
      assert.ok(Math.abs(loss - refLoss) <= 1e-5 * Math.max(1, Math.abs(refLoss)), `case ${ci}: loss ${loss} vs ${refLoss}`);
      let maxAbs = 0;
      for (const v of refGrad) maxAbs = Math.max(maxAbs, Math.abs(v));
      for (let i = 0; i < p.P; i++) {
        assert.ok(Math.abs(grad[i]! - refGrad[i]!) <= 1e-5 * Math.max(1e-3, maxAbs), `case ${ci}: grad[${i}] ${grad[i]} vs ${refGrad[i]}`);
      }
      const ref = logisticEvalRef(p.params, c, p.x, p.y, c.count);
      assert.equal(correct, ref.correct, `case ${ci}: correct`);
      assert.ok(Math.abs(lossSum - ref.lossSum) <= 1e-5 * Math.max(1, ref.lossSum), `case ${ci}: lossSum ${lossSum} vs ${ref.lossSum}`);
    }
    for (const other of perBuild.slice(1)) {
      assert.ok(Object.is(other.loss, perBuild[0]!.loss), `case ${ci}: loss differs between builds`);
      assert.deepEqual(other.grad, perBuild[0]!.grad, `case ${ci}: gradient differs between builds`);
      assert.ok(Object.is(other.lossSum, perBuild[0]!.lossSum), 'Object.is(other.lossSum, perBuild[0]!.lossSum)');
    }
  }
});

test('the gradient is the derivative of the loss (central differences)', async () => {
  const k = (await loadKernels()).exports;
  const c = { dIn: 5, classes: 3, count: 4 };
  const p = place(k, c, 7);
  k.logistic_grad(p.pParams, c.dIn, c.classes, p.pX, p.pY, c.count, p.pGrad, p.pScratch);
  const grad = p.grad();
  const ref = new Float32Array(p.P);
  const lossAt = (params: Float32Array) => logisticGradRef(params, c, p.x, p.y, c.count, ref);
  const h = 1e-3;
  for (let i = 0; i < p.P; i++) {
    const plus = p.params.slice(); plus[i] += h;
    const minus = p.params.slice(); minus[i] -= h;
    const fd = (lossAt(plus) - lossAt(minus)) / (2 * h);
    assert.ok(Math.abs(fd - grad[i]!) < 2e-3, `param ${i}: finite difference ${fd} vs gradient ${grad[i]}`);
  }
});

test('logistic_grad_rows on picked rows equals logistic_grad on the gathered batch, bit for bit', async () => {
  const k = (await loadKernels()).exports;
  const c = { dIn: 33, classes: 5, count: 12 };
  const p = place(k, c, 11);
  const rows = new Uint32Array(k.memory.buffer, p.pRows, 6);
  rows.set([11, 0, 3, 3, 7, 5]);
  const lossRows = k.logistic_grad_rows(p.pParams, c.dIn, c.classes, p.pX, p.pY, p.pRows, 6, p.pGrad, p.pScratch);
  const gRows = p.grad();
  // Gather the same rows to the front of a fresh area and use the contiguous kernel.
  const xs = p.x.slice();
  const ys = p.y.slice();
  const gx = new Float32Array(6 * c.dIn);
  const gy = new Uint8Array(6);
  [11, 0, 3, 3, 7, 5].forEach((r, s) => { gx.set(xs.subarray(r * c.dIn, (r + 1) * c.dIn), s * c.dIn); gy[s] = ys[r]!; });
  p.x.set(gx);
  p.y.set(gy);
  const lossGathered = k.logistic_grad(p.pParams, c.dIn, c.classes, p.pX, p.pY, 6, p.pGrad, p.pScratch);
  assert.ok(Object.is(lossRows, lossGathered), 'Object.is(lossRows, lossGathered)');
  assert.deepEqual(gRows, p.grad());
});

test('momentum_step is u = g + wd p; m = beta m + u; t += a m, with its non-finite count, same bits in both builds', async () => {
  const n = 103;
  const outs: Float32Array[] = [];
  for (const simd of builds) {
    const k = (await loadKernels({ simd })).exports;
    const rnd = lcg(5);
    const at = (i: number) => 65536 + i * 512;
    const p = new Float32Array(k.memory.buffer, at(0), n);
    const g = new Float32Array(k.memory.buffer, at(1), n);
    const m = new Float32Array(k.memory.buffer, at(2), n);
    const t = new Float32Array(k.memory.buffer, at(3), n);
    for (const v of [p, g, m, t]) for (let i = 0; i < n; i++) v[i] = rnd() - 0.5;
    const [p0, g0, m0, t0] = [p.slice(), g.slice(), m.slice(), t.slice()];
    const bad = k.momentum_step(n, 0.9, 0.01, at(0), at(1), at(2), -0.1, at(3));
    assert.equal(bad, 0);
    const f = Math.fround;
    for (let i = 0; i < n; i++) {
      const u = f(g0[i]! + f(f(0.01) * p0[i]!));
      const mi = f(f(f(0.9) * m0[i]!) + u);
      assert.equal(m[i], mi);
      assert.equal(t[i], f(t0[i]! + f(f(-0.1) * mi)));
    }
    outs.push(t.slice());
    g[17] = Number.POSITIVE_INFINITY;
    g[101] = Number.NaN;
    assert.equal(k.momentum_step(n, 0.9, 0, at(0), at(1), at(2), -0.1, at(3)), 2);
  }
  if (outs.length === 2) assert.deepEqual(outs[0], outs[1]);
});

test('native Learner: standalone gradient / evaluate copy plain arrays in and agree with the reference', async () => {
  const learner = await createNativeLogistic({ inputShape: [6], classes: 4 });
  assert.equal(learner.backend, 'native');
  assert.equal(learner.paramCount, 4 * 7);
  assert.equal(learner.flopsPerSample, 4 * 4 * 6 + 6 * 4);
  const params = new Float32Array(learner.paramCount);
  learner.init(params, new Float32Array(0), 1);
  assert.ok(params.every((v) => v === 0), 'params.every((v) => v === 0)');
  const rnd = lcg(3);
  for (let i = 0; i < params.length; i++) params[i] = rnd() - 0.5;
  const x = Float32Array.from({ length: 10 * 6 }, () => rnd() * 2 - 1);
  const y = Uint8Array.from({ length: 10 }, () => Math.floor(rnd() * 4));
  const grad = new Float32Array(learner.paramCount);
  const loss = await learner.gradient(params, new Float32Array(0), { x, y, count: 10 }, grad);
  const refGrad = new Float32Array(learner.paramCount);
  const refLoss = logisticGradRef(params, { dIn: 6, classes: 4 }, x, y, 10, refGrad);
  assert.ok(Math.abs(loss - refLoss) < 1e-5, 'Math.abs(loss - refLoss) < 1e-5');
  for (let i = 0; i < grad.length; i++) assert.ok(Math.abs(grad[i]! - refGrad[i]!) < 1e-5, 'Math.abs(grad[i]! - refGrad[i]!) < 1e-5');
  const ev = await learner.evaluate(params, new Float32Array(0), { name: 't', count: 10, features: 6, shape: [6], classes: 4, x, y }, 2, 5);
  const ref = logisticEvalRef(params, { dIn: 6, classes: 4 }, x.subarray(12), y.subarray(2), 5);
  assert.equal(ev.correct, ref.correct);
  assert.ok(Math.abs(ev.loss - ref.lossSum / 5) < 1e-5, 'Math.abs(ev.loss - ref.lossSum / 5) < 1e-5');
  await assert.rejects(learner.gradient(params, new Float32Array(0), { x, y: Uint8Array.of(9), count: 1 }, grad), /label 9/);
  learner.dispose();
});

test('registerNativeLogistic makes createLearner("logistic") the native learner', async () => {
  const { createLearner, nativeLearners, registerNativeLogistic } = await import('../src/models/registry.js');
  await registerNativeLogistic();
  try {
    const l = await createLearner('logistic', { inputShape: [28, 28, 1], classes: 10 });
    assert.equal(l.backend, 'native');
    assert.equal(l.paramCount, 7850);
    l.dispose();
  } finally {
    nativeLearners.delete('logistic');
  }
});
