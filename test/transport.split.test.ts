// A run split over device ranges, in one process and without a bus: arenas that hold a range,
// their state moved in as a checkpoint would move it, evaluated through the z_avg reduction chain,
// give the single-process metrics and z_avg bit for bit, for cuts inside and on reduction blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../src/config/schema.js';
import { Arena, ArenaPlanner } from '../src/arena/arena.js';
import { headDevices, persistentRegions, reduceBlocks, STATS, testChunks } from '../src/engine/layout.js';
import type { DeviceRange } from '../src/engine/protocol.js';
import { averageOfRows, metricsOf, Simulation, splitRange } from '../src/engine/simulation.js';
import { averageOfChain, emptyToken, reduceStep } from '../src/transport/nats/evaluation.js';
import { heldSlice, shareBytes } from '../src/transport/nats/state.js';

const config = resolveConfig({
  name: 'split', seed: 4, devices: 70, rounds: 5, model: 'logistic', topology: 'exponential:1', compressor: 'topk:0.2+int8',
  data: { train: 'synthetic:2100,10,3', test: 'synthetic:1100,10,3' },
  algorithm: { name: 'sparse-push', memory: 'ef', lr: 0.1, momentum: 0.9, batchSize: 8, localSteps: 2 },
});

/** Bytes of `range`'s rows of a persistent region of a process holding every device. */
function rowsOf(full: Simulation, name: string, range: DeviceRange): Uint8Array {
  const region = full.arena.region(name);
  if (name === 'shardIdx') {
    const off = full.arena.u32('shardOff');
    return new Uint8Array(full.arena.buffer, region.offset + 4 * off[range.from]!, 4 * (off[range.to]! - off[range.from]!));
  }
  const row = region.bytes / full.meta.n;
  return new Uint8Array(full.arena.buffer, region.offset + row * range.from, row * (range.to - range.from));
}

for (const cuts of [[0, 20, 45, 70], [0, 32, 64, 70], [0, 5, 9, 70]]) {
  test(`hosts holding devices cut at ${cuts.slice(1, -1).join(', ')} evaluate to the single-process metrics and z_avg`, async () => {
    const full = await Simulation.create(config, { workers: 1 });
    const parts: Simulation[] = [];
    try {
      await full.steps(5);
      const expected = await full.evaluate(0);
      const ranges = cuts.slice(0, -1).map((from, k) => ({ from, to: cuts[k + 1]! }));
      for (const owned of ranges) {
        const part = await Simulation.create(config, { workers: 1, owned, transport: 'nats' });
        parts.push(part);
        for (const name of persistentRegions(part.layout)) {
          const s = heldSlice(part.arena, part.meta, name);
          const rows = rowsOf(full, name, owned);
          assert.equal(s.bytes, rows.length, `${name}: share size`);
          assert.equal(shareBytes(full.layout, full.meta.n, full.arena.u32('shardOff'), name, owned), rows.length);
          new Uint8Array(part.arena.buffer, s.offset, s.bytes).set(rows);
        }
        part.round = full.round;
      }
      let token = emptyToken(full.meta.d, full.meta.stateCount);
      for (const part of parts) {
        await part.evalDevices();
        token = reduceStep(part.arena, part.meta, token);
      }
      const { zavg } = averageOfChain(token, full.meta.n);
      assert.deepEqual(new Uint32Array(zavg.buffer), new Uint32Array(full.zavg().buffer), 'z_avg bits');
      const n = full.meta.n;
      const stats = new Float64Array(n * STATS);
      const w = new Float64Array(n);
      const nTest = testChunks(full.meta.testCount);
      const all = nTest + testChunks(full.meta.objCount);
      const testParts = new Float64Array(2 * nTest);
      const objParts = new Float64Array(2 * testChunks(full.meta.objCount));
      const chunks = splitRange(all, parts.length);
      for (const [k, part] of parts.entries()) {
        const [cf, ct] = chunks[k] ?? [all, all];
        part.arena.f32('zavg').set(zavg);
        await part.evalGlobal([cf, ct]);
        const { from, to } = part.meta.owned;
        stats.set(part.arena.f64('stats').subarray(from * STATS, to * STATS), from * STATS);
        w.set(part.arena.f64('w').subarray(from, to), from);
        for (let c = cf; c < ct; c++) {
          const [target, source, at] = c < nTest ? [testParts, part.arena.f64('testPart'), c] : [objParts, part.arena.f64('objPart'), c - nTest];
          target.set(source.subarray(2 * at, 2 * at + 2), 2 * at);
        }
      }
      const got = metricsOf({
        config, meta: full.meta, round: full.round, simTimeS: full.simTimeS, wallTimeS: 0, zavg, stats, w, testParts, objParts,
        shardTotal: full.arena.u32('shardOff')[n]!,
      });
      assert.deepEqual(got, expected);
    } finally {
      await full.close();
      for (const p of parts) await p.close();
    }
  });
}

test('the learner states\' sum rides the chain in device order: the mean equals one process\'s, bit for bit', () => {
  const n = 70;
  const sc = 5;
  const rows = Float32Array.from({ length: n * sc }, (_, i) => Math.fround(Math.sin(i * 1.7) * 10 ** ((i % 7) - 3)));
  const expected = averageOfRows(rows, n, sc);
  for (const cuts of [[0, 20, 45, 70], [0, 1, 69, 70]]) {
    let token = emptyToken(3, sc);
    for (let k = 0; k + 1 < cuts.length; k++) {
      const owned = { from: cuts[k]!, to: cuts[k + 1]! };
      const planner = new ArenaPlanner();
      planner.add('state', 'f32', (owned.to - owned.from) * sc);
      planner.add('reduce', 'f64', reduceBlocks(n) * 3);
      planner.add('headZ', 'f32', headDevices(owned) * 3);
      const arena = Arena.create(planner.layout());
      arena.f32('state').set(rows.subarray(owned.from * sc, owned.to * sc));
      token = reduceStep(arena, { n, d: 3, stateCount: sc, owned }, token);
    }
    assert.deepEqual(new Uint32Array(averageOfChain(token, n).stateAvg.buffer), new Uint32Array(expected.buffer), `cuts ${cuts.join(', ')}`);
  }
});

test('a device range outside [0, n) is refused before anything is allocated', async () => {
  await assert.rejects(Simulation.create(config, { workers: 1, owned: { from: 60, to: 71 } }), /device range \[60, 71\) is not inside \[0, 70\)/);
  await assert.rejects(Simulation.create(resolveConfig({ ...config, algorithm: { ...config.algorithm, name: 'dagc-r' }, compressor: 'topk:0.1' }), { workers: 1, owned: { from: 0, to: 10 } }), /dagc-r is a server algorithm/);
});
