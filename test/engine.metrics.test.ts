// What the evaluation metrics compute, against independent references: trainLoss is z_avg's
// training objective (mean cross-entropy over the training set, or over the fixed subset when it
// is larger, plus weightDecay/2 ||z_avg||^2), trainAccuracy z_avg's accuracy on those samples,
// batchLoss the devices' mean last mini-batch loss; batch-norm models evaluate z_avg with the
// devices' mean state and each device with its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../src/config/index.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import type { Dataset } from '../src/data/types.js';
import { OBJECTIVE_SUBSET_SEED, subsetRows, TRAIN_OBJECTIVE_MAX } from '../src/engine/layout.js';
import { Simulation } from '../src/engine/simulation.js';
import { logisticEvalRef } from '../src/models/logistic-reference.js';
import { createLearner } from '../src/models/registry.js';

function synthetic(count: number, dims: number, classes: number, split: 'train' | 'test'): Dataset {
  return generateSynthetic({ count, dims, classes, generator: 'blobs', noise: 2 }, split, 7);
}

/** The objective the engine should report, in f64: mean cross-entropy over `rows` + wd/2 ||z||^2. */
function objectiveRef(z: Float32Array, train: Dataset, rows: Uint32Array, weightDecay: number): { loss: number; accuracy: number } {
  const f = train.features;
  const x = new Float32Array(rows.length * f);
  const y = new Uint8Array(rows.length);
  rows.forEach((r, k) => { x.set(train.x.subarray(r * f, (r + 1) * f), k * f); y[k] = train.y[r]!; });
  const { lossSum, correct } = logisticEvalRef(z, { dIn: f, classes: train.classes }, x, y, rows.length);
  let normSq = 0;
  for (const v of z) normSq += v * v;
  return { loss: lossSum / rows.length + (weightDecay / 2) * normSq, accuracy: correct / rows.length };
}

function logisticConfig(weightDecay: number) {
  return resolveConfig({
    seed: 5, devices: 6, rounds: 12, evalEvery: 4, model: 'logistic', topology: 'exponential:1', compressor: 'none',
    data: { train: 'synthetic:1,1,2', test: null },
    algorithm: { name: 'sgp', lr: 0.1, momentum: 0.5, weightDecay, batchSize: 16, localSteps: 1 },
  });
}

function allRows(count: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => i);
}

test('trainLoss is z_avg\'s training objective over the whole training set, with the weight-decay term', async () => {
  const train = synthetic(900, 10, 4, 'train');
  const testSet = synthetic(300, 10, 4, 'test');
  const wd = 0.01;
  const sim = await Simulation.create(logisticConfig(wd), { inline: true, data: { train, test: testSet } });
  try {
    const m0 = await sim.evaluate(0);
    // x(0) = 0: every class equally likely.
    assert.ok(Math.abs(m0.trainLoss - Math.log(4)) < 1e-6, `round 0 objective ${m0.trainLoss}`);
    assert.ok(Number.isNaN(m0.batchLoss), 'no mini-batch before round 1');
    await sim.steps(12);
    const m = await sim.evaluate(0);
    const want = objectiveRef(sim.zavg(), train, allRows(train.count), wd);
    assert.ok(Math.abs(m.trainLoss - want.loss) < 1e-5 * want.loss, `trainLoss ${m.trainLoss}, reference ${want.loss}`);
    assert.equal(m.trainAccuracy, want.accuracy);
    const wantTest = objectiveRef(sim.zavg(), testSet, allRows(testSet.count), 0);
    assert.ok(Math.abs(m.loss - wantTest.loss) < 1e-5 * wantTest.loss, 'loss: the test cross-entropy, no weight-decay term');
    assert.equal(m.accuracy, wantTest.accuracy);
    // The mini-batch mean is a different, noisier quantity, still a loss of the same scale.
    assert.ok(Number.isFinite(m.batchLoss) && m.batchLoss > 0, `batchLoss ${m.batchLoss}`);
    assert.notEqual(m.batchLoss, m.trainLoss);
  } finally {
    await sim.close();
  }
});

test('above TRAIN_OBJECTIVE_MAX samples, trainLoss is taken over the fixed seeded subset (same for 1 and 2 workers)', async () => {
  const train = synthetic(TRAIN_OBJECTIVE_MAX + 1500, 6, 3, 'train');
  const testSet = synthetic(200, 6, 3, 'test');
  const config = logisticConfig(0);
  const results = [];
  for (const workers of [1, 2]) {
    const sim = await Simulation.create(config, { workers, data: { train, test: testSet } });
    try {
      await sim.steps(4);
      results.push({ m: await sim.evaluate(0), z: sim.zavg() });
    } finally {
      await sim.close();
    }
  }
  const [a, b] = results;
  assert.equal(a!.m.trainLoss, b!.m.trainLoss, 'independent of the worker count');
  assert.deepEqual(a!.z, b!.z);
  const rows = subsetRows(train.count, TRAIN_OBJECTIVE_MAX, OBJECTIVE_SUBSET_SEED);
  assert.equal(rows.length, TRAIN_OBJECTIVE_MAX);
  const want = objectiveRef(a!.z, train, rows, 0);
  assert.ok(Math.abs(a!.m.trainLoss - want.loss) < 1e-5 * want.loss, `trainLoss ${a!.m.trainLoss}, reference over the subset ${want.loss}`);
  assert.equal(a!.m.trainAccuracy, want.accuracy);
  const whole = objectiveRef(a!.z, train, allRows(train.count), 0);
  assert.notEqual(whole.loss, want.loss, 'the subset is a proper subset');
});

test('batch-norm models: z_avg is evaluated with the devices\' mean state, each device with its own', async () => {
  const image = (count: number, split: 'train' | 'test'): Dataset => {
    const flat = synthetic(count, 8 * 8 * 3, 3, split);
    return { ...flat, shape: [8, 8, 3] };
  };
  const train = image(96, 'train');
  const testSet = image(48, 'test');
  const config = resolveConfig({
    seed: 2, devices: 2, rounds: 2, evalEvery: 1, model: 'resnet20', backend: 'cpu', topology: 'ring', compressor: 'none',
    data: { train: 'synthetic:1,1,2', test: null },
    algorithm: { name: 'sgp', lr: 0.05, momentum: 0.9, weightDecay: 0, batchSize: 8, localSteps: 1 },
  });
  const sim = await Simulation.create(config, { inline: true, data: { train, test: testSet } });
  const learner = await createLearner('resnet20', { inputShape: [8, 8, 3], classes: 3, backend: 'cpu' });
  try {
    await sim.steps(2);
    const m = await sim.evaluate(0);
    const sc = learner.stateCount;
    const states = sim.arena.f32('state');
    const mean = new Float32Array(sc);
    for (let k = 0; k < sc; k++) mean[k] = (states[k]! + states[sc + k]!) / 2;
    assert.deepEqual(sim.stateAvg(), mean, 'stateAvg is the devices\' mean state');
    assert.notDeepEqual(states.subarray(0, sc), states.subarray(sc, 2 * sc), 'the devices\' states differ');
    const r = await learner.evaluate(sim.zavg(), mean, testSet, 0, testSet.count);
    assert.equal(m.accuracy, r.correct / testSet.count);
    assert.ok(Math.abs(m.loss - r.loss) < 1e-5 * r.loss, `loss ${m.loss} vs ${r.loss}`);
    // Each device: its own model (w_i = 1 on a ring: z_i = x_i) with its own state, on the whole test set.
    assert.equal(sim.meta.evalCount, testSet.count);
    const d = sim.meta.d;
    const x = sim.arena.f32('x');
    let correct = 0;
    for (let i = 0; i < 2; i++) {
      assert.equal(sim.arena.f64('w')[i], 1);
      const own = await learner.evaluate(x.slice(i * d, (i + 1) * d), states.slice(i * sc, (i + 1) * sc), testSet, 0, testSet.count);
      correct += own.correct;
    }
    assert.equal(m.meanDeviceAccuracy, correct / (2 * testSet.count));
  } finally {
    learner.dispose();
    await sim.close();
  }
});
