// Skew-Compensated Sparse-Push (src/algorithms/sc-sparse-push.ts) over a small arena
// (test/algorithms.harness.ts) and the engine:
// - the quasi-global momentum follows m̂ = beta m̂ + (1 - beta)(z_before - z_after) / (lr H), and
//   the local step uses d = grad + beta m̂ (checked against values read from the arena);
// - momentum 0: the same iterates as sparse-push with momentum 0; same bits as sparse-push;
// - sums of x and w conserved (choco form on exponential:1, ef form on erdos-renyi resampled);
// - lr = 0: consensus with top-k;
// - bad input and determinism over 1, 2 and 4 workers with faults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ALL_SPECS, Harness, assertDeterministic, assertSumsConserved, badInputChecks, compareX, engineConfig, fill, randomOffline,
} from './algorithms.harness.js';

test('quasi-global momentum: m̂ = beta m̂ + (1 - beta)(z_before - z_after) / (lr H), local step x -= lr (grad + beta m̂)', async () => {
  for (const [localSteps, compressor] of [[1, 'topk:0.2+int8'], [2, 'none']] as const) {
    const lr = 0.1;
    const beta = 0.9;
    const h = await Harness.create({
      algorithm: 'sc-sparse-push', n: 8, d: 30, topology: 'exponential:1', compressor, gamma: 0.5, lr, momentum: beta, localSteps,
      init: fill(31), targets: fill(32, 4),
    });
    for (let t = 0; t < 12; t++) {
      const zBefore = Array.from({ length: 8 }, (_, i) => h.z(i));
      const mBefore = Array.from({ length: 8 }, (_, i) => Float64Array.from(h.vec('m', i)));
      const xBefore = Array.from({ length: 8 }, (_, i) => Float64Array.from(h.x(i)));
      const wBefore = Array.from({ length: 8 }, (_, i) => h.w(i));
      await h.step();
      for (let i = 0; i < 8; i++) {
        const zAfter = h.z(i);
        const m = h.vec('m', i);
        for (let k = 0; k < 30; k++) {
          const expected = beta * mBefore[i]![k]! + ((1 - beta) * (zBefore[i]![k]! - zAfter[k]!)) / (lr * localSteps);
          assert.ok(Math.abs(m[k]! - expected) <= 1e-4 * (1 + Math.abs(expected)), `H=${localSteps} round ${t} device ${i} m̂[${k}] = ${m[k]}, expected ${expected}`);
        }
      }
      // With H = 1 the local step is x -= lr (grad(z_before) + beta m̂_before), grad = z - b: the
      // change of the network sum of x during the local steps (h.localDelta) equals that.
      if (localSteps === 1) {
        const b = new Float32Array(30);
        for (let k = 0; k < 30; k++) {
          let expected = 0;
          for (let i = 0; i < 8; i++) {
            fill(32, 4)(i, b);
            expected += -lr * ((xBefore[i]![k]! / wBefore[i]!) - b[k]! + beta * mBefore[i]![k]!);
          }
          assert.ok(Math.abs(h.localDelta[k]! - expected) <= 1e-4 * (1 + Math.abs(expected)), `round ${t}: local change of sum x[${k}] ${h.localDelta[k]} vs ${expected}`);
        }
      }
    }
  }
});

test('momentum 0: the same iterates as sparse-push with momentum 0, and the same bits', async () => {
  for (const memory of ['choco', 'ef'] as const) {
    const base = {
      n: 16, d: 40, topology: memory === 'ef' ? 'erdos-renyi:0.3' : 'exponential:1', compressor: 'topk:0.1+int8', gamma: 0.4, lr: 0.1, momentum: 0,
      memory, init: fill(33), targets: fill(34, 4),
    };
    const sp = await Harness.create({ ...base, algorithm: 'sparse-push' });
    const sc = await Harness.create({ ...base, algorithm: 'sc-sparse-push' });
    for (let t = 0; t < 30; t++) {
      await sp.step();
      await sc.step();
      const { diff, scale } = compareX(sp, sc);
      assert.ok(diff <= 1e-5 * (1 + scale), `${memory} round ${t}: max |x_sp - x_sc| = ${diff}`);
    }
    assert.equal(sc.bits, sp.bits, `${memory}: bits`);
  }
});

test('sums of x and w conserved every round: choco form on exponential:1 (with offline devices), ef form on erdos-renyi resampled', async () => {
  for (const compressor of ALL_SPECS) {
    await assertSumsConserved({
      algorithm: 'sc-sparse-push', n: 16, d: 40, topology: 'exponential:1', compressor, gamma: 0.3, lr: 0.05, momentum: 0.9,
      init: fill(35), targets: fill(36, 4),
    }, 16, `choco form, ${compressor}`);
  }
  await assertSumsConserved({
    algorithm: 'sc-sparse-push', n: 16, d: 40, topology: 'exponential:2', compressor: 'topk:0.1+int8', gamma: 0.3, lr: 0.05, momentum: 0.9,
    init: fill(35), targets: fill(36, 4), offline: randomOffline(37),
  }, 30, 'choco form with offline devices');
  await assertSumsConserved({
    algorithm: 'sc-sparse-push', memory: 'ef', n: 12, d: 40, topology: 'erdos-renyi:0.3', compressor: 'randk:0.2+qsgd:4', gamma: 0.3, lr: 0.05, momentum: 0.9,
    init: fill(35), targets: fill(36, 4),
  }, 20, 'ef form');
});

test('lr = 0: consensus with top-k (exponential:1)', async () => {
  const h = await Harness.create({ algorithm: 'sc-sparse-push', n: 16, d: 200, topology: 'exponential:1', compressor: 'topk:0.1', gamma: 0.5, lr: 0, momentum: 0.9, init: fill(38) });
  const cd0 = h.consensusDistance();
  await h.run(500);
  assert.ok(h.consensusDistance() < 1e-4 * cd0, `consensus distance ${cd0} -> ${h.consensusDistance()}`);
});

test('bad input: gamma outside (0, 1], compressor specs the wire format cannot carry, choco form on a resampled schedule', () => {
  badInputChecks('sc-sparse-push');
});

test('determinism: identical paramsHash and metrics with 1, 2 and 4 workers, faults on (qsgd:4 on exponential:1)', async () => {
  await assertDeterministic(engineConfig('sc-sparse-push', 'exponential:1', 'qsgd:4', 'choco', 0.5), 'sc-sparse-push');
});
