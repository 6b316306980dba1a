// Server algorithms (ef-sgd, dagc-r, dagc-a): the shared parameter-server round of
// src/algorithms/server-common.ts against references, on single hooks and on the real engine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAlgorithm } from '../src/algorithms/registry.js';
import {
  aggregationWeights, participantCount, participationFlags,
} from '../src/algorithms/server-common.js';
import type { InMessage } from '../src/algorithms/types.js';
import { partition } from '../src/data/index.js';
import { Purpose } from '../src/kernels/rng.js';
import { logisticGradRef } from '../src/models/logistic-reference.js';
import {
  blobs, contiguousShards, HookBench, inMessage, runServer, serverConfig, setupOf,
} from './algorithms.server.support.js';
import { assertSameF32, TestRandom } from './support/kernel-memory.js';

function f32Sum(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

function randomVector(rnd: TestRandom, d: number, scale = 1): Float32Array {
  return Float32Array.from({ length: d }, () => rnd.normal() * scale);
}

test('ef-sgd with compressor none is synchronous SGD weighted by the data shares (H = 1 and H = 2)', async () => {
  // Shards of 4, 8 and 16 rows with batch 16: every batch is its shard repeated 16/|shard| times,
  // so each gradient is the full-shard gradient and the reference needs no batch sampling.
  const features = 5;
  const classes = 3;
  const train = blobs(28, features, classes, 11);
  const test = blobs(20, features, classes, 12, 'blobs-test');
  const sizes = [4, 8, 16];
  const parts = contiguousShards(sizes);
  const p = sizes.map((s) => s / 28);
  const d = classes * (features + 1);
  const lr = 0.2;
  const rounds = 12;
  for (const H of [1, 2]) {
    const config = serverConfig({ name: 'ef-sgd', devices: 3, rounds, compressor: 'none', lr, batchSize: 16, localSteps: H });
    const run = await runServer(config, { train, test }, parts, 'inline');

    const shape = { dIn: features, classes };
    const x = new Float32Array(d);
    const g = new Float32Array(d);
    let start = 0;
    const shardData = sizes.map((s) => {
      const rows = { x: train.x.subarray(start * features, (start + s) * features), y: train.y.subarray(start, start + s), count: s };
      start += s;
      return rows;
    });
    for (let t = 0; t < rounds; t++) {
      const agg = new Float64Array(d);
      shardData.forEach((sh, i) => {
        // H plain SGD steps from x; the pseudo-gradient (x - z_H) / lr is the sum of the H gradients.
        const z = x.slice();
        const sum = new Float64Array(d);
        for (let h = 0; h < H; h++) {
          logisticGradRef(z, shape, sh.x, sh.y, sh.count, g);
          for (let k = 0; k < d; k++) { sum[k] += g[k]!; z[k] = z[k]! - lr * g[k]!; }
        }
        for (let k = 0; k < d; k++) agg[k] += p[i]! * sum[k]!;
      });
      for (let k = 0; k < d; k++) x[k] = x[k]! - lr * agg[k]!;
    }
    let maxDiff = 0;
    let maxAbs = 0;
    for (let k = 0; k < d; k++) {
      maxDiff = Math.max(maxDiff, Math.abs(run.server[k]! - x[k]!));
      maxAbs = Math.max(maxAbs, Math.abs(x[k]!));
    }
    assert.ok(maxAbs > 0.1, `the reference moved (max |x| = ${maxAbs})`);
    assert.ok(maxDiff < 1e-5 * Math.max(1, maxAbs) * rounds, `H=${H}: server model differs from weighted SGD by ${maxDiff}`);
    // Every worker holds the broadcast model.
    for (let i = 0; i < 3; i++) assertSameF32(run.x.subarray(i * d, (i + 1) * d), run.server, `H=${H}: device ${i} x vs server x`);
    // Uplink: one dense none message per worker and round; downlink: one broadcast per worker and round.
    const noneBits = 8 * (24 + 4 * d);
    assert.deepEqual(run.bits, [rounds * noneBits, rounds * noneBits, rounds * noneBits]);
    assert.equal(run.bitsDown, 3 * rounds * noneBits);
  }
});

test('error feedback: e_after + Delta == e_before + g, and the upload is C(e_before + g)', async () => {
  const d = 257;
  const bench = await HookBench.create(d);
  const rnd = new TestRandom(5);
  for (const spec of ['topk:0.05', 'threshold:0.8', 'randk:0.1', 'topk:0.1+int8', 'int4']) {
    // lr 1: v = e + g is one f32 add, so the identity can be checked bit for bit.
    const config = serverConfig({ name: 'ef-sgd', devices: 2, rounds: 1, compressor: spec, seed: 3, lr: 1 });
    const setup = setupOf(config, d, [0.25, 0.75]);
    const alg = createAlgorithm('ef-sgd');
    alg.validate(setup);
    assert.equal(alg.compressorSpec(setup, 1), bench.compressor(spec).spec);
    const c = bench.compressor(spec);
    const exact = !spec.includes('+') && spec !== 'int4';
    for (let round = 0; round < 6; round++) {
      const g = randomVector(rnd, d);
      const posted: number[] = [];
      const dev = bench.device(setup, spec, 1, round, () => g, posted);
      const e = dev.vector('ef');
      const before = e.view.slice();
      await alg.local(dev);
      alg.send(dev);
      assert.equal(posted.length, 1, `${spec}: one upload`);
      const bytes = dev.outbox().slice(0, posted[0]!);
      const delta = new Float32Array(d);
      c.decode(c.parse(bytes, d), delta);
      const v = f32Sum(before, g);
      // The upload is what the compressor makes of v (same stream key for stochastic ones).
      const again = new Uint8Array(c.maxEncodedBytes(d));
      const len = c.compressInto(v, again, c.stochastic ? { rngKey: dev.rngKey(Purpose.randk) } : {});
      assert.deepEqual(bytes, again.subarray(0, len), `${spec}, round ${round}: upload != C(e + g)`);
      const back = f32Sum(e.view, delta);
      if (exact) {
        assertSameF32(back, v, `${spec}, round ${round}: e_after + Delta`);
      } else {
        for (let k = 0; k < d; k++) assert.ok(Math.abs(back[k]! - v[k]!) <= 1e-6 * Math.max(1, Math.abs(v[k]!)), `${spec}: coordinate ${k}`);
      }
    }
  }
});

test('local steps H > 1 upload the model delta x - z_H; H = 1 uploads lr * g', async () => {
  const d = 40;
  const bench = await HookBench.create(d);
  const rnd = new TestRandom(9);
  const lr = 0.5;
  const config = serverConfig({ name: 'ef-sgd', devices: 1, rounds: 1, compressor: 'none', lr, localSteps: 3, weightDecay: 0.1 });
  const setup = setupOf(config, d, [1]);
  const alg = createAlgorithm('ef-sgd');
  const x0 = randomVector(rnd, d);
  bench.vec('x0').view.set(x0);
  const grads = [randomVector(rnd, d), randomVector(rnd, d), randomVector(rnd, d)];
  const seen: Float32Array[] = [];
  const posted: number[] = [];
  const dev = bench.device(setup, 'none', 0, 0, (params, h) => { seen.push(params); return grads[h]!; }, posted);
  await alg.local(dev);
  alg.send(dev);
  // Reference in f64: z_{h+1} = z_h - lr (g_h + wd z_h).
  let z = Array.from(x0);
  for (let h = 0; h < 3; h++) {
    for (let k = 0; k < d; k++) assert.ok(Math.abs(seen[h]![k]! - z[k]!) < 1e-5, `step ${h} evaluated at z_${h}`);
    z = z.map((zk, k) => zk - lr * (grads[h]![k]! + 0.1 * zk));
  }
  const c = bench.compressor('none');
  const delta = new Float32Array(d);
  c.decode(c.parse(dev.outbox().slice(0, posted[0]!), d), delta);
  for (let k = 0; k < d; k++) assert.ok(Math.abs(delta[k]! - (x0[k]! - z[k]!)) < 1e-5, `model delta coordinate ${k}`);
  assertSameF32(bench.vec('x0').view, x0, 'local steps do not move the worker model');

  // H = 1: the upload is lr * (g + wd x) (compressor none, e = 0 before).
  const config1 = serverConfig({ name: 'ef-sgd', devices: 2, rounds: 1, compressor: 'none', lr, weightDecay: 0.1 });
  const setup1 = setupOf(config1, d, [0.5, 0.5]);
  const posted1: number[] = [];
  bench.vec('x1').view.set(x0);
  const dev1 = bench.device(setup1, 'none', 1, 0, () => grads[0]!, posted1);
  await alg.local(dev1);
  alg.send(dev1);
  c.decode(c.parse(dev1.outbox().slice(0, posted1[0]!), d), delta);
  for (let k = 0; k < d; k++) assert.ok(Math.abs(delta[k]! - lr * (grads[0]![k]! + 0.1 * x0[k]!)) < 1e-5, `H=1 upload coordinate ${k}`);
});

test('server step: x -= sum_i w_i Delta_i (step 1, lr is applied by the workers) with p renormalised over the posters; server momentum; none broadcast', async () => {
  const d = 64;
  const bench = await HookBench.create(d);
  const rnd = new TestRandom(21);
  const p = [0.1, 0.2, 0.3, 0.4];
  const specs = ['topk:0.1', 'topk:0.2+int8', 'threshold:0.5', 'none'];
  const lr = 0.05;
  const momentum = 0.5;
  const config = serverConfig({ name: 'ef-sgd', devices: 4, rounds: 1, compressor: 'none', lr, momentum });
  const setup = setupOf(config, d, p);
  const alg = createAlgorithm('ef-sgd');
  const x = randomVector(rnd, d);
  bench.vec('srv.x').view.set(x);
  const ref = Float64Array.from(x);
  const u = new Float64Array(d);
  for (const [round, from] of [[0, [0, 1, 2, 3]], [1, [1, 3]]] as const) {
    const messages: InMessage[] = [];
    const decoded: Float32Array[] = [];
    for (const i of from) {
      const c = bench.compressor(specs[i]!);
      const buf = bench.bytes(`msg${i}`, c.maxEncodedBytes(d));
      const len = c.compressInto(randomVector(rnd, d), buf);
      messages.push(inMessage(i, buf.subarray(0, len)));
      const dense = new Float32Array(d);
      c.decode(c.parse(buf.subarray(0, len), d), dense);
      decoded.push(dense);
    }
    const w = aggregationWeights(setup.dataFractions, from);
    if (from.length === 4) assert.deepEqual(w, p);
    else assert.deepEqual(w, [0.2 / (0.2 + 0.4), 0.4 / (0.2 + 0.4)]);
    const posted: number[] = [];
    alg.server!(bench.server(setup, round, messages, (i) => specs[i]!, posted));
    for (let k = 0; k < d; k++) {
      let a = 0;
      decoded.forEach((v, j) => { a += w[j]! * v[k]!; });
      u[k] = a + momentum * u[k]!;
      ref[k] = ref[k]! - u[k]!;
    }
    const srvX = bench.vec('srv.x').view;
    for (let k = 0; k < d; k++) assert.ok(Math.abs(srvX[k]! - ref[k]!) < 1e-5, `round ${round}, coordinate ${k}: ${srvX[k]} vs ${ref[k]}`);
    // The broadcast is the server model in the none codec (the server context's compressor), which
    // a worker decodes bit for bit (DeviceContext.receiveBroadcast: the engine's decodeInto).
    assert.equal(posted.length, 1);
    assert.equal(posted[0], 24 + 4 * d);
    const none = bench.compressor('none');
    const bytes = bench.bytes('srv.outbox', posted[0]!).subarray(0, posted[0]!);
    const inPlace = bench.vec('x0').view;
    none.decodeInto(bytes, d, inPlace);
    assertSameF32(inPlace, srvX, 'broadcast read in place');
    const copy = new Float32Array(d);
    none.decodeInto(bytes.slice(), d, copy);
    assertSameF32(copy, srvX, 'broadcast read from a detached buffer');
    const bad = bytes.slice();
    bad[3] = 1; // value format int8: not a none message
    assert.throws(() => none.decodeInto(bad, d, copy), { name: 'WireError' });
  }
});

test('participation: m = max(1, round(c n)) workers per round from the server stream, independent of the pool', async () => {
  assert.equal(participantCount(10, 0.3), 3);
  assert.equal(participantCount(10, 0.01), 1);
  assert.equal(participantCount(10, 1), 10);
  assert.equal(participationFlags(1, 10, 0, 1), null);
  const seen = new Set<string>();
  for (let round = 0; round < 20; round++) {
    const f = participationFlags(7, 10, round, 0.3)!;
    assert.equal(f.reduce((s, v) => s + v, 0), 3);
    assert.deepEqual(participationFlags(7, 10, round, 0.3), f, 'pure function of (seed, n, round, c)');
    seen.add(f.join(''));
  }
  assert.ok(seen.size > 10, 'the sample changes between rounds');
  assert.notDeepEqual(participationFlags(8, 10, 0, 0.3), participationFlags(7, 10, 0, 0.3));

  // On the engine: exactly m workers compute a gradient and upload per round; non-participants keep e.
  const train = blobs(400, 6, 3, 4);
  const test = blobs(50, 6, 3, 5, 'blobs-test');
  const parts = partition(train, 'iid', 'volume:5', 10, 1);
  const rounds = 5;
  // int8 messages have one size (top-k index sections vary with the indices), so bits count uploads.
  const config = serverConfig({ name: 'ef-sgd', devices: 10, rounds, compressor: 'int8', participation: 0.3, seed: 7, batchSize: 4 });
  const run = await runServer(config, { train, test }, parts, 'inline');
  const expected = Array.from({ length: 10 }, () => 0);
  for (let t = 0; t < rounds; t++) participationFlags(7, 10, t, 0.3)!.forEach((f, i) => { expected[i] += f; });
  const msgBits = run.bits.map((b, i) => (expected[i] === 0 ? 0 : b / expected[i]!));
  run.bits.forEach((b, i) => assert.equal(b > 0, expected[i]! > 0, `device ${i} uploads iff it took part`));
  assert.ok(msgBits.every((b) => b === 0 || b === msgBits.find((v) => v > 0)), 'fixed-size int8 uploads');
  assert.equal(Math.round(run.samples * 400), rounds * 3 * 4, 'samples = rounds * m * batch');
});

test('ef-sgd, dagc-r and dagc-a give bit-identical runs with 1 and 2 pool workers', async () => {
  const train = blobs(600, 8, 4, 31);
  const test = blobs(64, 8, 4, 32, 'blobs-test');
  const parts = partition(train, 'dirichlet:0.5', 'volume:10', 6, 3);
  const cases = [
    { name: 'ef-sgd', compressor: 'topk:0.1+int8', participation: 0.5 },
    { name: 'dagc-r', compressor: 'topk:0.1', participation: 1 },
    { name: 'dagc-a', compressor: 'threshold:0.05', participation: 1 },
  ];
  for (const c of cases) {
    const config = serverConfig({ name: c.name, devices: 6, rounds: 5, compressor: c.compressor, participation: c.participation, momentum: 0.5, seed: 3 });
    const one = await runServer(config, { train, test }, parts, 1);
    const two = await runServer(config, { train, test }, parts, 2);
    assertSameF32(two.server, one.server, `${c.name}: server model, 1 vs 2 workers`);
    assertSameF32(two.x, one.x, `${c.name}: device models, 1 vs 2 workers`);
    assert.deepEqual(two.bits, one.bits, `${c.name}: bits per device`);
    assert.ok(one.server.some((v) => v !== 0), `${c.name}: the model moved`);
    const inline = await runServer(config, { train, test }, parts, 'inline');
    assertSameF32(inline.server, one.server, `${c.name}: in-process vs pool`);
  }
});
