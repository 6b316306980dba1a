// On a strongly convex problem (L2-regularised softmax regression on synthetic blobs, IID equal
// shards) SGP and D-PSGD with full-shard batches reach the centralized optimum: the network-average
// model matches a centralized gradient-descent run of the same model and objective (objective gap
// < 5e-5, parameters within 1%) with a constant step.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import type { Partition } from '../src/data/types.js';
import { Simulation } from '../src/engine/simulation.js';
import { logisticGradRef } from '../src/models/logistic-reference.js';
import { blobs } from './fixtures/engine-data.js';

const FEATURES = 8;
const CLASSES = 3;
const N = 8;
const PER = 60;
const WD = 0.02;
const train = blobs(N * PER, FEATURES, CLASSES, 3, 1.5);
const test_ = blobs(300, FEATURES, CLASSES, 4, 1.5);
const shape = { dIn: FEATURES, classes: CLASSES };
const D = CLASSES * (FEATURES + 1);

/** Objective F(theta) = mean cross-entropy + WD/2 ||theta||^2 and its gradient. */
function objective(theta: Float32Array, grad?: Float64Array): number {
  const g = new Float32Array(D);
  const loss = logisticGradRef(theta, shape, train.x, train.y, train.count, g);
  let reg = 0;
  for (let k = 0; k < D; k++) { reg += theta[k]! * theta[k]!; if (grad) grad[k] = g[k]! + WD * theta[k]!; }
  return loss + (WD / 2) * reg;
}

/** Centralized full-batch gradient descent (f64 iterate) to high precision. */
function centralizedOptimum(): { theta: Float32Array; value: number } {
  const theta = new Float64Array(D);
  const g = new Float64Array(D);
  for (let it = 0; it < 4000; it++) {
    objective(Float32Array.from(theta), g);
    for (let k = 0; k < D; k++) theta[k] -= 0.5 * g[k]!;
  }
  objective(Float32Array.from(theta), g);
  const gnorm = Math.hypot(...g);
  assert.ok(gnorm < 1e-5, `centralized GD did not converge: |grad| = ${gnorm}`);
  const t32 = Float32Array.from(theta);
  return { theta: t32, value: objective(t32) };
}

// IID equal shards: device i holds every N-th sample starting at i (so the mean of the device
// objectives is the global objective).
const partition: Partition = { shards: Array.from({ length: N }, (_, i) => Uint32Array.from({ length: PER }, (_, k) => k * N + i)) };

function config(name: string, topology: string, lr: number): RunConfig {
  return {
    ...DEFAULT_CONFIG, name, devices: N, rounds: 100000, evalEvery: 100000, model: 'logistic', topology, compressor: 'none',
    algorithm: { ...DEFAULT_CONFIG.algorithm, name, lr, momentum: 0, weightDecay: WD, batchSize: PER, localSteps: 1 },
  };
}

const optimum = centralizedOptimum();

for (const [name, topology, lr, rounds] of [
  ['sgp', 'exponential:1', 0.05, 6000],
  ['dpsgd', 'ring', 0.05, 6000],
] as const) {
  test(`${name} on ${topology} reaches the centralized optimum`, async () => {
    const sim = await Simulation.create(config(name, topology, lr), { inline: true, data: { train, test: test_ }, partition });
    try {
      for (let t = 0; t < rounds; t++) await sim.step();
      const m = await sim.evaluate(0);
      const zavg = sim.zavg();
      const gap = objective(zavg) - optimum.value;
      let dist = 0;
      let norm = 0;
      for (let k = 0; k < D; k++) { dist += (zavg[k]! - optimum.theta[k]!) ** 2; norm += optimum.theta[k]! ** 2; }
      const rel = Math.sqrt(dist / norm);
      assert.ok(gap >= -1e-6 && gap < 5e-5, `objective gap ${gap} (F = ${objective(zavg)}, F* = ${optimum.value})`);
      assert.ok(rel < 1e-2, `relative distance to the optimum ${rel}`);
      // A constant step leaves the devices O(lr) apart around the optimum (no decay, no tracking).
      assert.ok(m.consensusDistance < 1e-2, `consensus distance ${m.consensusDistance}`);
    } finally {
      await sim.close();
    }
  });
}
