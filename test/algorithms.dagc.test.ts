// DAGC-R / DAGC-A (src/algorithms/dagc-r.ts, dagc-a.ts): the per-worker compressors come from
// dagc-plan.ts in device order, the engine encodes with them, and bad compressors are ConfigErrors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dagcRatios, dagcThresholds } from '../src/algorithms/dagc-plan.js';
import { dagcASpecs } from '../src/algorithms/dagc-a.js';
import { dagcRSpecs } from '../src/algorithms/dagc-r.js';
import { createAlgorithm } from '../src/algorithms/registry.js';
import { parseCompressorSpec } from '../src/compress/spec.js';
import { resolveConfig } from '../src/config/index.js';
import type { RunConfig } from '../src/config/types.js';
import { partition } from '../src/data/index.js';
import type { Dataset } from '../src/data/types.js';
import { OUTBOX_HEADER_BYTES } from '../src/engine/worker/outbox.js';
import { Simulation } from '../src/engine/simulation.js';
import { ConfigError } from '../src/errors.js';
import { blobs, serverConfig, setupOf, sharesOf } from './algorithms.server.support.js';

const close = (a: number, b: number, rel = 1e-12): boolean => Math.abs(a - b) <= rel * Math.abs(b);

function labels(count: number, classes: number): Pick<Dataset, 'y' | 'classes' | 'count' | 'name'> {
  const y = new Uint8Array(count);
  for (let i = 0; i < count; i++) y[i] = (i * 7 + (i >> 3)) % classes;
  return { y, classes, count, name: 'labels' };
}

function withCompressor(config: RunConfig, compressor: string, name?: string): RunConfig {
  return { ...config, compressor, algorithm: { ...config.algorithm, name: name ?? config.algorithm.name } };
}

test('dagc-r: worker i gets dagcRatios(volumes)[i] (volume:SR partitions), the mean ratio is the budget, quantizers are kept', () => {
  const data = labels(60000, 10);
  for (const sr of [10, 100, 1000]) {
    const parts = partition(data, 'dirichlet:0.5', `volume:${sr}`, 10, 1);
    const sizes = parts.shards.map((s) => s.length);
    for (const [compressor, quantizer] of [['topk:0.001', ''], ['topk:0.01+int8', '+int8'], ['topk:0.005+qsgd:4:128', '+qsgd:4:128']] as const) {
      const budget = parseCompressorSpec(compressor).sparsifier.kind === 'topk' ? Number(compressor.split(':')[1]!.split('+')[0]) : NaN;
      const config = serverConfig({ name: 'dagc-r', devices: 10, rounds: 1, compressor });
      const setup = setupOf(config, 7850, sharesOf(parts));
      const alg = createAlgorithm('dagc-r');
      alg.validate(setup);
      const expected = dagcRatios(sizes, budget);
      let mean = 0;
      for (let i = 0; i < 10; i++) {
        const spec = alg.compressorSpec(setup, i);
        assert.ok(spec.endsWith(quantizer) && spec.startsWith('topk:'), `SR=${sr}: ${spec}`);
        const s = parseCompressorSpec(spec).sparsifier;
        assert.equal(s.kind, 'topk');
        const r = s.kind === 'topk' ? s.ratio : NaN;
        assert.ok(close(r, expected[i]!), `SR=${sr}, ${compressor}: worker ${i} ratio ${r}, dagcRatios gives ${expected[i]}`);
        mean += r / 10;
      }
      assert.ok(close(mean, budget, 1e-12), `SR=${sr}: mean ratio ${mean} vs budget ${budget}`);
      // Larger shards keep more (volume:SR deals the largest shard to device 0).
      for (let i = 1; i < 10; i++) assert.ok(sizes[i]! <= sizes[i - 1]! && expected[i]! <= expected[i - 1]! * (1 + 1e-12), `SR=${sr}: worker ${i} keeps more than worker ${i - 1}`);
      assert.ok(expected[0]! / expected[9]! > 2, `SR=${sr}: ratios actually differ`);
      assert.deepEqual(dagcRSpecs(setup), Array.from({ length: 10 }, (_, i) => alg.compressorSpec(setup, i)));
    }
  }
});

test('dagc-r: equal volumes give the uniform top-k', () => {
  const config = serverConfig({ name: 'dagc-r', devices: 4, rounds: 1, compressor: 'topk:0.01' });
  const setup = setupOf(config, 1000, [0.25, 0.25, 0.25, 0.25]);
  assert.deepEqual(dagcRSpecs(setup), ['topk:0.01', 'topk:0.01', 'topk:0.01', 'topk:0.01']);
});

test('dagc-a: worker i gets dagcThresholds(volumes)[i], sum 1/lambda_i = n / lambda_bar', () => {
  const data = labels(60000, 10);
  for (const sr of [10, 100, 1000]) {
    const parts = partition(data, 'dirichlet:0.5', `volume:${sr}`, 10, 2);
    const sizes = parts.shards.map((s) => s.length);
    const config = serverConfig({ name: 'dagc-a', devices: 10, rounds: 1, compressor: 'threshold:0.05+int8' });
    const setup = setupOf(config, 7850, sharesOf(parts));
    const alg = createAlgorithm('dagc-a');
    alg.validate(setup);
    const expected = dagcThresholds(sizes, 0.05);
    let inv = 0;
    for (let i = 0; i < 10; i++) {
      const spec = alg.compressorSpec(setup, i);
      assert.ok(spec.endsWith('+int8'), spec);
      const s = parseCompressorSpec(spec).sparsifier;
      const lambda = s.kind === 'threshold' ? s.lambda : NaN;
      assert.ok(close(lambda, expected[i]!), `SR=${sr}: worker ${i} threshold ${lambda} vs ${expected[i]}`);
      inv += 1 / lambda;
    }
    assert.ok(close(inv, 10 / 0.05, 1e-12), `SR=${sr}: sum 1/lambda = ${inv}`);
    for (let i = 1; i < 10; i++) assert.ok(expected[i]! >= expected[i - 1]!, 'smaller shards get higher thresholds');
    assert.deepEqual(dagcASpecs(setup), Array.from({ length: 10 }, (_, i) => alg.compressorSpec(setup, i)));
  }
});

test('engine: dagc-r uploads k_i = max(1, round(delta_i d)) per worker; dagc-a keeps exactly |v| >= lambda_i', async () => {
  const train = blobs(3000, 20, 5, 41);
  const test = blobs(100, 20, 5, 42, 'blobs-test');
  const parts = partition(train, 'dirichlet:0.5', 'volume:100', 8, 1);
  const d = 5 * 21;
  const fractions = sharesOf(parts);

  const configR = serverConfig({ name: 'dagc-r', devices: 8, rounds: 1, compressor: 'topk:0.05', lr: 0.05 });
  const ratios = dagcRatios(parts.shards.map((s) => s.length), 0.05);
  const simR = await Simulation.create(configR, { inline: true, data: { train, test }, partition: parts });
  try {
    await simR.step();
    const ob = simR.arena.u8('outbox');
    const stride = simR.meta.outboxStride;
    for (let i = 0; i < 8; i++) {
      const at = i * stride + OUTBOX_HEADER_BYTES;
      const k = new DataView(ob.buffer, ob.byteOffset + at + 12, 4).getUint32(0, true);
      assert.equal(k, Math.max(1, Math.round(ratios[i]! * d)), `worker ${i}: k`);
    }
  } finally {
    await simR.close();
  }

  const configA = serverConfig({ name: 'dagc-a', devices: 8, rounds: 1, compressor: 'threshold:0.05', lr: 0.05 });
  const lambdas = dagcThresholds(fractions, 0.05);
  const simA = await Simulation.create(configA, { inline: true, data: { train, test }, partition: parts });
  try {
    await simA.step();
    // After one round e_i = v_i off the kept set and 0 on it: every residual is below lambda_i.
    const e = simA.arena.f32('dev.ef');
    let kept = 0;
    for (let i = 0; i < 8; i++) {
      const ei = e.subarray(i * d, (i + 1) * d);
      for (let k = 0; k < d; k++) assert.ok(Math.abs(ei[k]!) < lambdas[i]!, `worker ${i}, coordinate ${k}: |e| = ${Math.abs(ei[k]!)} >= lambda ${lambdas[i]}`);
      kept += ei.filter((v) => v === 0).length;
    }
    assert.ok(kept > 0 && kept < 8 * d, `some but not all coordinates sent (${kept})`);
  } finally {
    await simA.close();
  }
});

test('bad compressors for dagc-r / dagc-a are ConfigErrors naming compressor', async () => {
  const base = serverConfig({ name: 'dagc-r', devices: 3, rounds: 1, compressor: 'topk:0.1' });
  const skewed = [0.7, 0.2, 0.1];
  const isCompressorError = (re: RegExp) => (err: unknown): boolean => err instanceof ConfigError && err.key === 'compressor' && re.test(err.message);
  const check = (name: string, compressor: string, re: RegExp, shares = skewed): void => {
    const setup = setupOf(withCompressor(base, compressor, name), 100, shares);
    assert.throws(() => createAlgorithm(name).validate(setup), isCompressorError(re), `${name} with ${compressor}`);
    assert.throws(() => createAlgorithm(name).compressorSpec(setup, 0), isCompressorError(re), `${name} with ${compressor}: compressorSpec`);
  };
  check('dagc-r', 'threshold:0.1', /topk:δ̄/);
  check('dagc-r', 'randk:0.1', /topk:δ̄/);
  check('dagc-r', 'int8', /topk:δ̄/);
  check('dagc-r', 'none', /topk:δ̄/);
  check('dagc-a', 'topk:0.1', /threshold:λ̄/);
  check('dagc-a', 'sign', /threshold:λ̄/);
  // Ratios outside (0, 1] never reach the planner: the spec parser refuses them.
  check('dagc-r', 'topk:0', /ratio 0 must be in \(0, 1\]/);
  check('dagc-r', 'topk:1.5', /ratio 1.5 must be in \(0, 1\]/);
  check('ef-sgd', 'topk:-0.1', /must be in \(0, 1\]/);
  // A budget the largest worker cannot take (delta_1 > 1).
  check('dagc-r', 'topk:0.9', /too large/);
  check('dagc-a', 'threshold:0', /positive finite threshold/);
  // The config schema says the same before any run starts.
  assert.throws(() => resolveConfig({ algorithm: { name: 'dagc-r' }, compressor: 'threshold:0.1' }), (err: unknown) => err instanceof ConfigError && err.key === 'compressor');
  assert.throws(() => resolveConfig({ algorithm: { name: 'dagc-a' }, compressor: 'topk:0.1' }), (err: unknown) => err instanceof ConfigError && err.key === 'compressor');
  // And the engine refuses it at setup (library use that bypasses the schema).
  const train = blobs(60, 4, 2, 1);
  const parts = partition(train, 'iid', 'volume:3', 3, 1);
  await assert.rejects(
    Simulation.create(withCompressor(base, 'threshold:0.1'), { inline: true, data: { train, test: train }, partition: parts }),
    isCompressorError(/topk:δ̄/),
  );
});
