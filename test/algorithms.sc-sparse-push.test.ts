// Skew-Compensated Sparse-Push (src/algorithms/sc-sparse-push.ts) over a small arena
// (test/algorithms.harness.ts) and the engine:
// - the momentum follows m̂ = beta m̂ + (1 - beta)(N_before - N_after) / (lr H L), N the de-biased
//   in-neighbour public average (g^k + (1 - a) x̂^k) / (h^k + (1 - a) ŵ^k), recomputed here from the
//   arena; the local step is x -= lr (grad + beta m̂);
// - momentum 0: the same iterates and bits as sparse-push with momentum 0;
// - sums of x and w conserved (every compressor; offline devices);
// - lr = 0: consensus with top-k, momentum stays 0;
// - bad input (memory ef rejected) and determinism over 1, 2 and 4 workers with faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLrSchedule, scheduledLr } from '../src/algorithms/lr-schedule.js';
import { createAlgorithm } from '../src/algorithms/registry.js';
import type { AlgorithmSetup } from '../src/algorithms/types.js';
import {
  ALL_SPECS, Harness, assertConfigError, assertDeterministic, assertSumsConserved, compareX, engineConfig, fill, randomOffline, setupFor,
} from './algorithms.harness.js';

/** N_i = (acc^k + (1 - a) x̂^k) / (h^k + (1 - a) ŵ^k) of phase k read from the arena (f64), and W. */
function neighbourhood(h: Harness, i: number, phase: number, a: number): { N: Float64Array; W: number } {
  const period = h.topology.period;
  const acc = h.vec(`dev.acc-${phase}`, i);
  const copy = h.vec(`dev.xhat-${phase}`, i);
  const wv = h.vec('dev.wcopy', i, 4 * period);
  const wc = new Float64Array(wv.buffer, wv.byteOffset, 2 * period);
  const W = wc[2 * phase + 1]! + (1 - a) * wc[2 * phase]!;
  const N = Float64Array.from(acc, (v, k) => (v + (1 - a) * copy[k]!) / (W === 0 ? 1 : W));
  return { N, W };
}

test('momentum: m̂ = beta m̂ + (1 - beta)(N_before - N_after) / (lr H L) from the in-neighbour public average; local step x -= lr (grad + beta m̂)', async () => {
  const cases = [
    { localSteps: 1, compressor: 'topk:0.2+int8', topology: 'exponential:1' },
    { localSteps: 2, compressor: 'none', topology: 'exponential:1' },
    // Fixed random digraph: unequal degrees, so w != 1 and N is de-biased by W != 1.
    { localSteps: 1, compressor: 'topk:0.3', topology: 'erdos-renyi:0.3:fixed' },
    // A decaying step: m̂ divides by the steps of the L rounds its increments span, H sum_s lr(s).
    { localSteps: 1, compressor: 'topk:0.2+int8', topology: 'exponential:1', lrSchedule: 'cosine' },
    { localSteps: 2, compressor: 'topk:0.3', topology: 'exponential:1', lrSchedule: 'step:0.3,0.6' },
  ] as const;
  for (const c of cases) {
    const { localSteps, compressor, topology } = c;
    const lrSchedule = 'lrSchedule' in c ? c.lrSchedule : 'constant';
    const lr = 0.1;
    const beta = 0.9;
    const n = 8;
    const d = 30;
    const h = await Harness.create({
      algorithm: 'sc-sparse-push', n, d, topology, compressor, gamma: 0.5, lr, momentum: beta, localSteps, lrSchedule, rounds: 12,
      init: fill(31), targets: fill(32, 4),
    });
    const lrOf = (t: number): number => scheduledLr(parseLrSchedule(lrSchedule), lr, Math.max(0, t), 12);
    const period = h.topology.period;
    let wNot1 = false;
    let updates = 0;
    for (let t = 0; t < 12; t++) {
      const phase = t % period;
      let stepSum = 0;
      for (let s = t - period + 1; s <= t; s++) stepSum += lrOf(s);
      stepSum *= localSteps;
      const graph = h.topology.round(t);
      const a = Array.from({ length: n }, (_, i) => 1 / (graph.outPeers[i]!.length + 1));
      const before = Array.from({ length: n }, (_, i) => neighbourhood(h, i, phase, a[i]!));
      const mBefore = Array.from({ length: n }, (_, i) => Float64Array.from(h.vec('m', i)));
      const xBefore = Array.from({ length: n }, (_, i) => Float64Array.from(h.x(i)));
      const wBefore = Array.from({ length: n }, (_, i) => h.w(i));
      await h.step();
      for (let i = 0; i < n; i++) {
        if (Math.abs(h.w(i) - 1) > 1e-3) wNot1 = true;
        const after = neighbourhood(h, i, phase, a[i]!);
        const defined = before[i]!.W !== 0 && after.W !== 0;
        if (defined) updates++;
        const m = h.vec('m', i);
        for (let k = 0; k < d; k++) {
          const expected = defined
            ? beta * mBefore[i]![k]! + ((1 - beta) * (before[i]!.N[k]! - after.N[k]!)) / stepSum
            : mBefore[i]![k]!;
          assert.ok(Math.abs(m[k]! - expected) <= 1e-4 * (1 + Math.abs(expected)), `${topology} ${lrSchedule} H=${localSteps} round ${t} device ${i} m̂[${k}] = ${m[k]}, expected ${expected}`);
        }
      }
      // H = 1: the local step is x -= lr (grad(z) + beta m̂_before), grad = z - b, so the change of
      // the network sum of x during the local steps (h.localDelta) is the sum of those.
      if (localSteps === 1) {
        const b = new Float32Array(d);
        for (let k = 0; k < d; k++) {
          let expected = 0;
          for (let i = 0; i < n; i++) {
            fill(32, 4)(i, b);
            expected += -lrOf(t) * ((xBefore[i]![k]! / wBefore[i]!) - b[k]! + beta * mBefore[i]![k]!);
          }
          assert.ok(Math.abs(h.localDelta[k]! - expected) <= 1e-4 * (1 + Math.abs(expected)), `${topology} round ${t}: local change of sum x[${k}] ${h.localDelta[k]} vs ${expected}`);
        }
      }
    }
    assert.ok(updates >= n * 6, `${topology}: only ${updates} momentum updates checked`);
    if (topology.startsWith('erdos')) assert.ok(wNot1, 'the fixed random digraph should move w away from 1');
  }
});

test('the own message does not move N: a device that receives nothing has N = 0 / 0 although it sends, and m̂ stays 0', async () => {
  // directed-ring: device i hears only from i - 1. With device 0 offline in every round, device 1
  // receives nothing; its own increments are booked in x̂ and (times -(1 - a)) in g, so the
  // numerator g + (1 - a) x̂ and the weight h + (1 - a) ŵ stay exactly 0 (Lin et al.'s own-movement
  // momentum would follow device 1's gossip correction here).
  const offline = (_round: number, i: number): boolean => i === 0;
  const h = await Harness.create({
    algorithm: 'sc-sparse-push', n: 6, d: 20, topology: 'directed-ring', compressor: 'topk:0.5', gamma: 0.5, lr: 0.1, momentum: 0.9,
    init: fill(41), targets: fill(42, 4), offline,
  });
  for (let t = 0; t < 10; t++) {
    await h.step();
    const acc = h.vec('dev.acc-0', 1);
    const copy = h.vec('dev.xhat-0', 1);
    assert.ok(copy.some((v) => v !== 0), `round ${t}: device 1 sent nothing`);
    for (let k = 0; k < 20; k++) assert.equal(acc[k]! + 0.5 * copy[k]!, 0, `round ${t}: device 1's N numerator [${k}]`);
    assert.ok(h.vec('m', 1).every((v) => v === 0), `round ${t}: device 1's m̂ moved`);
  }
  // Device 2 hears from device 1, which moves: its momentum does move.
  assert.ok(h.vec('m', 2).some((v) => v !== 0), "device 2's momentum follows device 1's movement");
});

test('momentum 0: the same iterates as sparse-push with momentum 0, and the same bits', async () => {
  for (const topology of ['exponential:1', 'erdos-renyi:0.3:fixed']) {
    const base = {
      n: 16, d: 40, topology, compressor: 'topk:0.1+int8', gamma: 0.4, lr: 0.1, momentum: 0,
      init: fill(33), targets: fill(34, 4),
    };
    const sp = await Harness.create({ ...base, algorithm: 'sparse-push' });
    const sc = await Harness.create({ ...base, algorithm: 'sc-sparse-push' });
    for (let t = 0; t < 30; t++) {
      await sp.step();
      await sc.step();
      const { diff, scale } = compareX(sp, sc);
      assert.ok(diff <= 1e-5 * (1 + scale), `${topology} round ${t}: max |x_sp - x_sc| = ${diff}`);
      for (let i = 0; i < 16; i++) assert.equal(sc.w(i), sp.w(i), `${topology} round ${t}: w_${i}`);
    }
    assert.equal(sc.bits, sp.bits, `${topology}: bits`);
  }
});

test('sums of x and w conserved every round: every compressor on exponential:1, offline devices on exponential:2', async () => {
  for (const compressor of ALL_SPECS) {
    await assertSumsConserved({
      algorithm: 'sc-sparse-push', n: 16, d: 40, topology: 'exponential:1', compressor, gamma: 0.3, lr: 0.05, momentum: 0.9,
      init: fill(35), targets: fill(36, 4),
    }, 16, `${compressor}`);
  }
  await assertSumsConserved({
    algorithm: 'sc-sparse-push', n: 16, d: 40, topology: 'exponential:2', compressor: 'topk:0.1+int8', gamma: 0.3, lr: 0.05, momentum: 0.9,
    init: fill(35), targets: fill(36, 4), offline: randomOffline(37),
  }, 30, 'offline devices');
});

test('lr = 0: consensus with top-k (exponential:1), momentum stays 0', async () => {
  const h = await Harness.create({ algorithm: 'sc-sparse-push', n: 16, d: 200, topology: 'exponential:1', compressor: 'topk:0.1', gamma: 0.5, lr: 0, momentum: 0.9, init: fill(38) });
  const cd0 = h.consensusDistance();
  await h.run(500);
  assert.ok(h.consensusDistance() < 1e-4 * cd0, `consensus distance ${cd0} -> ${h.consensusDistance()}`);
  for (let i = 0; i < 16; i++) assert.ok(h.vec('m', i).every((v) => v === 0), `device ${i}: momentum moved with lr = 0`);
});

const setup = (patch: Parameters<typeof setupFor>[1]): AlgorithmSetup => setupFor('sc-sparse-push', patch);

test('bad input: gamma outside (0, 1], compressor specs the wire format cannot carry, memory ef, a resampled schedule', () => {
  const alg = createAlgorithm('sc-sparse-push');
  for (const gamma of [0, -0.5, 1.5, Number.NaN]) assertConfigError(() => alg.validate(setup({ gamma })), 'algorithm.gamma', /\(0, 1\]/);
  for (const compressor of ['topk:1.5', 'zip', 'topk:0.1+int8+sign', 'int8+topk:0.1', 'qsgd:500']) {
    assertConfigError(() => alg.validate(setup({ compressor })), 'compressor', new RegExp(compressor.replace(/[+.]/g, '\\$&')));
  }
  for (const compressor of ALL_SPECS) alg.validate(setup({ compressor }));
  assertConfigError(() => alg.validate(setup({ memory: 'ef' })), 'algorithm.memory', /only memory 'choco'.*sparse-push for memory ef/);
  assertConfigError(() => alg.validate(setup({ topology: 'erdos-renyi:0.3' })), 'algorithm.memory', /resampled every round/);
  alg.validate(setup({ topology: 'erdos-renyi:0.3:fixed' }));
});

test('determinism: identical paramsHash and metrics with 1, 2 and 4 workers, faults on (qsgd:4 and topk:0.1+int8 on exponential:1; mlp:8; a cosine lr)', async () => {
  await assertDeterministic(engineConfig('sc-sparse-push', 'exponential:1', 'qsgd:4', 'choco', 0.5), 'sc-sparse-push');
  const topk = engineConfig('sc-sparse-push', 'exponential:1', 'topk:0.1+int8', 'choco', 0.3);
  await assertDeterministic({ ...topk, model: 'mlp:8' }, 'sc-sparse-push, mlp:8 (non-zero initial model)');
  // Under a cosine step too: the schedule and m̂'s scale depend on the round only.
  await assertDeterministic({ ...topk, algorithm: { ...topk.algorithm, lrSchedule: 'cosine' } }, 'sc-sparse-push, cosine lr');
});
