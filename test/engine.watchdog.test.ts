// The round watchdog: a round task in which no worker makes progress for the limit fails with a
// RunError naming the worker that stopped answering (its devices and round) and what the others
// wait for; a slow but live task never trips it, because the limit grows with the longest unit of
// work the workers report. The unit tests drive the real status words with given clocks; the last
// test hangs a real pool worker mid-round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { RunError } from '../src/errors.js';
import { nodeHost } from '../src/engine/node-host.js';
import { PiscinaExecutor } from '../src/engine/pool.js';
import { Simulation } from '../src/engine/simulation.js';
import { Watchdog } from '../src/engine/watchdog.js';
import { markDispatched, State, STATUS_WORDS, WorkerStatus } from '../src/engine/worker/status.js';
import { blobs } from './fixtures/engine-data.js';
import { HANG_DEVICE, HANG_ROUND } from './fixtures/hanging-phase.js';

/** Two workers' status words with hand-driven clocks. */
function pool(slots = 2) {
  const region = new Int32Array(new SharedArrayBuffer(4 * STATUS_WORDS * slots));
  const clocks = Array.from({ length: slots }, () => ({ t: 0 }));
  const workers = clocks.map((c, s) => new WorkerStatus(region, s, () => c.t));
  return { region, clocks, workers };
}

test('a worker that stops answering is named with its devices and round; the waiting one says what it waits for', () => {
  const { region, clocks, workers: [w0, w1] } = pool();
  markDispatched(region, 2);
  const dog = new Watchdog(region, 2, { minMs: 1000, factor: 10 }, 3, 0);
  for (const [w, c] of [[w0!, clocks[0]!], [w1!, clocks[1]!]] as const) { c.t = 5; w.begin(3); }
  w0!.claimed(0, 8);
  w1!.claimed(8, 16);
  clocks[0]!.t = 20; w0!.beat();
  w0!.round(4);
  w1!.round(4);
  w0!.waiting(State.barrier);
  assert.equal(dog.check(100), null, 'progress was seen');
  assert.equal(dog.check(1100), null, 'silent for 1000 ms: at the limit, not over it');
  const err = dog.check(1101);
  assert.ok(err instanceof RunError);
  assert.equal(err.message, 'round task from round 3: worker 1 stopped answering (working on devices 8-15 of round 4); no progress for 1.0 s (watchdog limit 1.0 s); worker 0 waits at the barrier after round 4');
});

test('a slow but live task never trips: the limit is factor x the longest unit of work seen', () => {
  const { region, clocks, workers: [w0, w1] } = pool();
  markDispatched(region, 2);
  const dog = new Watchdog(region, 2, { minMs: 1000, factor: 10 }, 0, 0);
  w0!.begin(0);
  w1!.begin(0);
  w1!.waiting(State.inputs, 2);
  // Worker 0 takes 900 ms, then 5 s per unit: each beat is progress, whatever the total time.
  let t = 0;
  for (const unit of [900, 5000, 5000, 5000]) {
    t += unit;
    clocks[0]!.t = t;
    w0!.beat();
    assert.equal(dog.check(t), null, `live at ${t} ms`);
  }
  assert.equal(dog.limitMs(), 50_000, 'limit = 10 x the longest unit (5 s)');
  // Silent for 40 s after that: still inside 10 x 5 s.
  assert.equal(dog.check(t + 40_000), null);
  const err = dog.check(t + 50_001);
  assert.match(err?.message ?? '', /^round task from round 0: worker 0 stopped answering \(working in round 0, no devices claimed yet\); no progress for 50\.0 s \(watchdog limit 50\.0 s\); worker 1 waits for device 2 to train in round 0$/);
  // The time a worker waits does not count as a unit of work.
  const { region: r2, clocks: c2, workers: [v0] } = pool(1);
  v0!.begin(0);
  v0!.waiting(State.barrier);
  c2[0]!.t = 1e6;
  v0!.working();
  assert.equal(new Watchdog(r2, 1, { minMs: 10, factor: 10 }, 0, 0).limitMs(), 10);
});

test('workers waiting for a worker that has left the task: named as such', () => {
  const { region, workers: [w0, w1] } = pool();
  markDispatched(region, 2);
  const dog = new Watchdog(region, 2, { minMs: 100, factor: 10 }, 7, 0);
  w0!.begin(7);
  w1!.begin(7);
  w1!.end();
  w0!.waiting(State.barrier);
  assert.equal(dog.check(50), null, 'progress since the dispatch');
  assert.equal(dog.check(150), null, 'silent for 100 ms: at the limit');
  assert.equal(dog.check(350)?.message, 'round task from round 7: the workers wait for each other; no progress for 0.3 s (watchdog limit 0.1 s); worker 0 waits at the barrier after round 7, worker 1 has left the task (after round 7)');
});

test('a finished task is never stuck, and a task not yet picked up by a worker is named as such', () => {
  const { region, workers: [w0, w1] } = pool();
  markDispatched(region, 2);
  const dog = new Watchdog(region, 2, { minMs: 100, factor: 10 }, 2, 0);
  w0!.begin(2);
  w0!.claimed(0, 4);
  w0!.end();
  assert.equal(dog.check(10), null, 'progress since the dispatch');
  assert.match(dog.check(1000)?.message ?? '', /^round task from round 2: worker 1 stopped answering \(never started the task\); .*; worker 0 has left the task \(after round 2\)$/);
  w1!.begin(2);
  w1!.end();
  assert.equal(dog.check(5000), null);
});

function config(): RunConfig {
  return {
    ...DEFAULT_CONFIG, name: 'sgp', devices: 16, rounds: 10, evalEvery: 10, model: 'logistic', topology: 'exponential:1', compressor: 'none',
    algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, batchSize: 4 },
  };
}

test('a pool worker that hangs mid-round: the round fails naming it, its devices and the round; close() still stops the pool', async () => {
  const data = { train: blobs(320, 6, 3, 1), test: blobs(60, 6, 3, 2) };
  const fixture = join(import.meta.dirname, 'fixtures', 'hanging-phase.ts');
  const sim = await Simulation.create(config(), {
    workers: 2, data, watchdog: { minMs: 500 },
    host: { ...nodeHost, executor: (init, size) => new PiscinaExecutor(init, size, fixture) },
  });
  try {
    await sim.steps(HANG_ROUND);
    let message = '';
    await assert.rejects(sim.steps(4), (err: unknown) => { message = err instanceof RunError ? err.message : String(err); return err instanceof RunError; });
    const m = /^round task from round 3: worker (\d) stopped answering \(working on devices (\d+)-(\d+) of round 3\); no progress for [\d.]+ s \(watchdog limit 0\.5 s\); worker (\d) waits (.*)$/.exec(message);
    assert.ok(m, message);
    const [hung, from, to, other] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
    assert.deepEqual([hung + other, from <= HANG_DEVICE && HANG_DEVICE <= to], [1, true], message);
    await assert.rejects(sim.steps(1), (err: unknown) => err instanceof RunError && err.message === message, 'the simulation stays failed');
  } finally {
    await sim.close();
  }
});
