// The one-dispatch round (Simulation.step -> runRound: workers claim device chunks; decentralized
// algorithms mix each device as soon as it and its in-peers have trained, server algorithms meet at
// in-task barriers) gives the same bits as running the train, server and mix phases one by one, for
// any pool size, and reports the error a sequential run meets first (the lowest failing device).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import type { Dataset, Partition } from '../src/data/types.js';
import { RunError } from '../src/errors.js';
import { splitRange, Simulation } from '../src/engine/simulation.js';
import { blobs } from './fixtures/engine-data.js';

const n = 40;
const per = 6;
const train = blobs(n * per, 6, 3, 1);
const test_ = blobs(60, 6, 3, 2);
const shards: Partition = { shards: Array.from({ length: n }, (_, i) => Uint32Array.from({ length: per }, (_, k) => i * per + k)) };

function config(name: string, compressor: string, topology = 'exponential:2'): RunConfig {
  return {
    ...DEFAULT_CONFIG, name, devices: n, rounds: 100, evalEvery: 100, model: 'logistic', topology, compressor,
    faults: { linkDrop: 0.1, offline: 0.1 },
    algorithm: { ...DEFAULT_CONFIG.algorithm, name, lr: 0.05, momentum: 0.9, batchSize: 4, localSteps: 1 },
  };
}

function state(sim: Simulation): Uint8Array {
  const parts = ['x', 'w', 'm', 'stats', ...Object.keys(sim.layout.regions).filter((r) => r.startsWith('dev.') || r === 'srv.x')];
  const out: number[] = [];
  for (const name of parts) {
    const r = sim.layout.regions[name]!;
    out.push(...new Uint8Array(sim.arena.buffer, r.offset, r.bytes));
  }
  return Uint8Array.from(out);
}

for (const [name, compressor, topology] of [
  ['sgp', 'none', 'exponential:2'], ['sparse-push', 'topk:0.2', 'exponential:1'], ['choco', 'topk:0.2', 'ring'], ['dpsgd', 'none', 'ring'], ['ef-sgd', 'topk:0.2', 'star'],
] as const) {
  test(`${name}: step() (one dispatch per round) = train, server, mix phase by phase, for 1, 2 and 3 workers`, async () => {
    const reference = await Simulation.create(config(name, compressor, topology), { inline: true, data: { train, test: test_ }, partition: shards });
    try {
      for (let t = 0; t < 4; t++) {
        const ranges = splitRange(n, 3);
        await reference.runPhase('train', t, ranges);
        if (reference.algorithm.kind === 'server') await reference.runPhase('server', t, [[0, 0]]);
        await reference.runPhase('mix', t, ranges);
        reference.round = t + 1;
      }
      const want = state(reference);
      for (const workers of [1, 2, 3]) {
        const sim = await Simulation.create(config(name, compressor, topology), { workers, inline: workers === 1, data: { train, test: test_ }, partition: shards });
        try {
          for (let t = 0; t < 4; t++) await sim.step();
          assert.deepEqual(state(sim), want, `${workers} workers`);
        } finally {
          await sim.close();
        }
      }
    } finally {
      await reference.close();
    }
  });

  test(`${name}: steps(k) (up to 16 rounds per dispatch, a barrier between rounds) = k x step(), virtual clock included, for 1, 2 and 3 workers`, async () => {
    const rounds = 21; // crosses a task boundary (16 rounds per task)
    const reference = await Simulation.create(config(name, compressor, topology), { inline: true, data: { train, test: test_ }, partition: shards });
    try {
      for (let t = 0; t < rounds; t++) await reference.step();
      const want = state(reference);
      for (const workers of [1, 2, 3]) {
        const sim = await Simulation.create(config(name, compressor, topology), { workers, inline: workers === 1, data: { train, test: test_ }, partition: shards });
        try {
          await sim.steps(3);
          await sim.steps(rounds - 3);
          assert.equal(sim.round, rounds);
          assert.deepEqual(state(sim), want, `${workers} workers`);
          assert.equal(sim.simTimeS, reference.simTimeS, `${workers} workers: virtual clock`);
        } finally {
          await sim.close();
        }
      }
    } finally {
      await reference.close();
    }
  });
}

test('a failing round reports the lowest failing device, whatever the pool size', async () => {
  // Devices 13 and 29 train on samples with huge features: their first local step overflows (lr 10).
  const x = new Float32Array(new SharedArrayBuffer(train.x.byteLength));
  x.set(train.x);
  for (const device of [29, 13]) for (let k = device * per * 6; k < (device + 1) * per * 6; k++) x[k] = 3e38;
  const poisoned: Dataset = { ...train, x };
  for (const workers of [1, 2, 3]) {
    const cfg = config('sgp', 'none');
    const failing: RunConfig = { ...cfg, faults: { linkDrop: 0, offline: 0 }, algorithm: { ...cfg.algorithm, lr: 10 } };
    const sim = await Simulation.create(failing, { workers, inline: workers === 1, data: { train: poisoned, test: test_ }, partition: shards });
    try {
      await assert.rejects(sim.step(), (err: unknown) => {
        assert.ok(err instanceof RunError, String(err));
        assert.match(err.message, /NaN\/Inf in device 13's parameters at round 0/);
        return true;
      }, `${workers} workers`);
    } finally {
      await sim.close();
    }
    // The same from a multi-round dispatch: every worker stops after the failing round.
    const multi = await Simulation.create(failing, { workers, inline: workers === 1, data: { train: poisoned, test: test_ }, partition: shards });
    try {
      await assert.rejects(multi.steps(12), (err: unknown) => {
        assert.ok(err instanceof RunError, String(err));
        assert.match(err.message, /NaN\/Inf in device 13's parameters at round 0/);
        return true;
      }, `${workers} workers, steps(12)`);
    } finally {
      await sim.close();
    }
  }
});
