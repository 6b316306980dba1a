// Push-sum invariants of SGP (and the doubly stochastic mixing of D-PSGD): the mixing phase
// conserves the network sums of x and w every round, with lr = 0 and lr > 0, and with lr = 0 every
// de-biased model z_i = x_i / w_i converges to the average of the (non-identical) initial models.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { Simulation } from '../src/engine/simulation.js';
import { Purpose, RandomStream } from '../src/kernels/rng.js';
import { blobs } from './fixtures/engine-data.js';

const data = { train: blobs(480, 6, 3, 1), test: blobs(60, 6, 3, 2) };
const n = 12;

function config(name: string, topology: string, lr: number): RunConfig {
  return {
    ...DEFAULT_CONFIG, name, devices: n, rounds: 1000, evalEvery: 1000, model: 'logistic', topology, compressor: 'none',
    algorithm: { ...DEFAULT_CONFIG.algorithm, name, lr, momentum: 0.5, batchSize: 8, localSteps: 1 },
  };
}

/** Gives every device its own seeded initial x (the learner starts all at zero). */
function randomizeX(sim: Simulation): Float64Array {
  const x = sim.arena.f32('x');
  const d = sim.meta.d;
  const avg = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const rng = RandomStream.of(99, i, 0, Purpose.init);
    for (let k = 0; k < d; k++) { x[i * d + k] = rng.nextUniform() * 4 - 2; avg[k] += x[i * d + k]! / n; }
  }
  return avg;
}

function sums(sim: Simulation): { x: Float64Array; w: number } {
  const d = sim.meta.d;
  const x = sim.arena.f32('x');
  const w = sim.arena.f64('w');
  const sx = new Float64Array(d);
  let sw = 0;
  for (let i = 0; i < n; i++) { sw += w[i]!; for (let k = 0; k < d; k++) sx[k] += x[i * d + k]!; }
  return { x: sx, w: sw };
}

async function round(sim: Simulation, t: number): Promise<{ before: ReturnType<typeof sums>; after: ReturnType<typeof sums> }> {
  await sim.runPhase('train', t, [[0, n]]);
  const before = sums(sim);
  await sim.runPhase('mix', t, [[0, n]]);
  const after = sums(sim);
  sim.round = t + 1;
  return { before, after };
}

function assertConserved(a: ReturnType<typeof sums>, b: ReturnType<typeof sums>, t: number): void {
  assert.ok(Math.abs(a.w - b.w) < 1e-12, `round ${t}: sum w ${a.w} -> ${b.w}`);
  for (let k = 0; k < a.x.length; k++) {
    assert.ok(Math.abs(a.x[k]! - b.x[k]!) < 1e-5 * Math.max(1, Math.abs(a.x[k]!)), `round ${t}: sum x[${k}] ${a.x[k]} -> ${b.x[k]}`);
  }
}

for (const topology of ['erdos-renyi:0.3', 'exponential:2']) {
  test(`sgp on ${topology}, lr = 0: mass conserved every round, z_i -> the initial average`, async () => {
    const sim = await Simulation.create(config('sgp', topology, 0), { inline: true, data });
    try {
      const avg0 = randomizeX(sim);
      const start = sums(sim);
      let weightsMoved = false;
      for (let t = 0; t < 150; t++) {
        const { before, after } = await round(sim, t);
        assertConserved(before, after, t);
        assertConserved(start, after, t);
        if (sim.arena.f64('w').some((w) => w !== 1)) weightsMoved = true;
      }
      if (topology.startsWith('erdos')) assert.ok(weightsMoved, 'irregular graph: push-sum weights should move off 1');
      const x = sim.arena.f32('x');
      const w = sim.arena.f64('w');
      const d = sim.meta.d;
      let worst = 0;
      for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) worst = Math.max(worst, Math.abs(x[i * d + k]! / w[i]! - avg0[k]!));
      assert.ok(worst < 1e-4, `max |z_i - initial average| = ${worst}`);
    } finally {
      await sim.close();
    }
  });
}

test('sgp, lr > 0: the mixing phase conserves the sums of x and w every round', async () => {
  const sim = await Simulation.create(config('sgp', 'erdos-renyi:0.3', 0.1), { inline: true, data });
  try {
    randomizeX(sim);
    for (let t = 0; t < 40; t++) {
      const { before, after } = await round(sim, t);
      assertConserved(before, after, t);
    }
  } finally {
    await sim.close();
  }
});

test('dpsgd on a ring, lr = 0: mixing conserves the sum of x and every x_i -> the initial average', async () => {
  const sim = await Simulation.create(config('dpsgd', 'ring', 0), { inline: true, data });
  try {
    const avg0 = randomizeX(sim);
    for (let t = 0; t < 300; t++) {
      const { before, after } = await round(sim, t);
      assertConserved(before, after, t);
    }
    const x = sim.arena.f32('x');
    const d = sim.meta.d;
    let worst = 0;
    for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) worst = Math.max(worst, Math.abs(x[i * d + k]! - avg0[k]!));
    assert.ok(worst < 1e-4, `max |x_i - initial average| = ${worst}`);
    assert.ok(sim.arena.f64('w').every((w) => w === 1));
  } finally {
    await sim.close();
  }
});
