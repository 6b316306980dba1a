// CHOCO-SGD (src/algorithms/choco.ts) over a small arena (test/algorithms.harness.ts) and the engine:
// - compressor none, gamma 1, lr 0: exactly D-PSGD's Metropolis-Hastings mixing, round for round;
// - network sum of x conserved every round (lr = 0 and lr > 0) on regular and irregular (star)
//   graphs for every compressor, and with offline devices;
// - lr = 0: consensus at the initial average with top-k;
// - public copies start at the common initial model x(0) (messages carry progress, not x(0));
// - directed or time-varying graphs, bad gamma, bad compressor specs: ConfigErrors naming the key;
// - identical results for 1, 2 and 4 workers with faults on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../src/algorithms/registry.js';
import { PeriodicTopology, roundGraphFromOutPeers } from '../src/graph/build.js';
import { createTopology } from '../src/graph/registry.js';
import { ConfigError } from '../src/errors.js';
import {
  ALL_SPECS, Harness, assertCopiesStartAtModel0, assertDeterministic, assertSumsConserved, badInputChecks, compareX, engineConfig, fill, randomOffline, harnessConfig,
} from './algorithms.harness.js';

test('compressor none, gamma = 1, lr = 0: choco mixes exactly like D-PSGD (Metropolis-Hastings W) on ring, torus and star', async () => {
  for (const topology of ['ring', 'torus', 'star']) {
    const base = { n: 12, d: 30, topology, lr: 0, init: fill(11) };
    const dpsgd = await Harness.create({ ...base, algorithm: 'dpsgd' });
    const choco = await Harness.create({ ...base, algorithm: 'choco', compressor: 'none', gamma: 1 });
    for (let t = 0; t < 30; t++) {
      await dpsgd.step();
      await choco.step();
      const { diff, scale } = compareX(dpsgd, choco);
      assert.ok(diff <= 1e-5 * (1 + scale), `${topology}, round ${t}: max |x_dpsgd - x_choco| = ${diff}`);
    }
  }
});

test('sum of x conserved every round on ring, torus and star (irregular), lr = 0 and lr > 0, every compressor', async () => {
  for (const topology of ['ring', 'star']) {
    for (const compressor of ALL_SPECS) {
      for (const lr of [0, 0.05]) {
        await assertSumsConserved({
          algorithm: 'choco', n: 12, d: 48, topology, compressor, gamma: 0.3, lr, momentum: 0.9, init: fill(12), targets: fill(13, 4),
        }, 16, `${topology}, ${compressor}, lr ${lr}`);
      }
    }
  }
  await assertSumsConserved({
    algorithm: 'choco', n: 16, d: 48, topology: 'torus', compressor: 'topk:0.05+int8', gamma: 0.3, lr: 0.05, init: fill(12), targets: fill(13, 4),
  }, 30, 'torus');
});

test('offline devices: a device with an offline neighbour sends nothing, so sums stay conserved and consensus is still reached', async () => {
  const offline = randomOffline(22);
  await assertSumsConserved({
    algorithm: 'choco', n: 12, d: 48, topology: 'ring', compressor: 'topk:0.1+int8', gamma: 0.2, lr: 0.05, init: fill(14), targets: fill(15, 4), offline,
  }, 40, 'ring with offline devices');
  const h = await Harness.create({ algorithm: 'choco', n: 12, d: 100, topology: 'torus', compressor: 'topk:0.1', gamma: 0.1, lr: 0, init: fill(16), offline });
  const cd0 = h.consensusDistance();
  await h.run(600);
  assert.ok(h.consensusDistance() < 1e-3 * cd0, `torus with offline devices: consensus distance ${cd0} -> ${h.consensusDistance()}`);
});

test('lr = 0: consensus at the initial average with top-k (ring, torus, star)', async () => {
  for (const [topology, compressor, gamma, rounds] of [
    ['torus', 'topk:0.1', 0.2, 400],
    ['ring', 'topk:0.1', 0.1, 1500],
    ['star', 'topk:0.1+int8', 0.1, 1500],
  ] as const) {
    const d = 100;
    const h = await Harness.create({ algorithm: 'choco', n: 12, d, topology, compressor, gamma, lr: 0, init: fill(17) });
    const avg0 = h.sumX().map((v) => v / 12);
    const cd0 = h.consensusDistance();
    await h.run(rounds);
    const cd = h.consensusDistance();
    assert.ok(cd < 1e-3 * cd0, `${topology} ${compressor}: consensus distance ${cd0} -> ${cd}`);
    const x = h.x(5);
    for (let k = 0; k < d; k++) assert.ok(Math.abs(x[k]! - avg0[k]!) < 1e-2, `${topology}: x_5[${k}] = ${x[k]}, average ${avg0[k]}`);
  }
});

test('public copies start at the common initial model x(0): after a training round each copy is within the compressed progress of x_i (torus, star)', async () => {
  const d = 60;
  const model0 = new Float32Array(d);
  fill(18)(0, model0);
  for (const topology of ['torus', 'star']) {
    const train = { algorithm: 'choco', n: 12, d, topology, compressor: 'topk:0.05+int8', gamma: 0.2, lr: 0.05, targets: fill(19, 4) };
    await assertCopiesStartAtModel0(train, 'dev.xhat', model0, topology);
    // Devices that start elsewhere still conserve the sum of x with copies at x(0).
    await assertSumsConserved({ ...train, init: fill(20), model0 }, 20, `${topology}, copies start at x(0), devices elsewhere`);
  }
});

test('bad input: directed or time-varying topologies name `topology`; gamma, compressor', () => {
  const alg = createAlgorithm('choco');
  const setup = (topology: string) => ({
    config: harnessConfig({ algorithm: 'choco', n: 12, d: 8, topology: 'ring' }), d: 8, n: 12,
    dataFractions: new Float64Array(12).fill(1 / 12), topology: createTopology(topology, 12, { seed: 1 }),
  });
  for (const topology of ['exponential:1', 'directed-ring', 'erdos-renyi:0.3', 'erdos-renyi:0.3:fixed']) {
    assert.throws(() => alg.validate(setup(topology)), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.key, 'topology');
      assert.match(err.message, /undirected/);
      return true;
    }, topology);
  }
  // Symmetric every round but time-varying: the aggregates of neighbours' copies would go stale.
  const phases = [[[1], [0], [3], [2]], [[2], [3], [0], [1]]];
  const varying = new PeriodicTopology('alternating', 4, 2, (p) => roundGraphFromOutPeers('alternating', p, phases[p]!));
  assert.equal(varying.directed, false);
  assert.throws(() => alg.validate({ ...setup('ring'), n: 4, topology: varying }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.key, 'topology');
    assert.match(err.message, /static graph.*period 2/);
    return true;
  });
  for (const topology of ['ring', 'torus', 'star', 'complete', 'random-regular:3']) alg.validate(setup(topology));
  badInputChecks('choco');
});

test('determinism: identical paramsHash and metrics with 1, 2 and 4 workers, faults on (random-regular:3, topk:0.2+int8)', async () => {
  await assertDeterministic(engineConfig('choco', 'random-regular:3', 'topk:0.2+int8', 'choco', 0.3), 'choco');
});
