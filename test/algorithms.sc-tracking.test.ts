// sc-sparse-push with compensation 'tracking' (src/algorithms/compensation/tracking.ts) over a small
// arena (test/algorithms.harness.ts, quadratic losses F_i(z) = 0.5 ||z - b_i||^2) and the engine:
// - exact messages: the iterates of a float64 reference of the update rules (momentum tracking on
//   lazy push-sum), on exponential:1 and on a fixed digraph where w != 1;
// - sums: x changes only by the local steps, sum w = n, sum y = sum v (every compressor; offline);
// - what tracking is for: with heterogeneous b_i every z_i converges to the minimiser of the sum
//   (mean of b), where sparse-push keeps each device off by a bias that grows with lr;
// - bits: the two messages of a round cost at most 1.1x sparse-push's one (LeNet's d, top-1%+int8);
// - bad input, hostile payloads, determinism over 1, 2 and 4 workers, resume after a kill.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlgorithm } from '../src/algorithms/registry.js';
import { GRADIENT_AVERAGE, TRACKER, trackingStreamSpecs } from '../src/algorithms/compensation/tracking.js';
import type { AlgorithmSetup, DeviceContext, InMessage } from '../src/algorithms/types.js';
import { ConfigError, WireError } from '../src/errors.js';
import { createTopology } from '../src/graph/registry.js';
import { runExperiment } from '../src/engine/run.js';
import type { RunConfig } from '../src/config/types.js';
import { frameOf } from '../src/algorithms/compressed-gossip.js';
import {
  ALL_SPECS, Harness, assertDeterministic, assertSumsConserved, engineConfig, fill, harnessConfig, randomOffline, type HarnessOptions,
} from './algorithms.harness.js';
import { blobs } from './fixtures/engine-data.js';
import { startRunChild, waitForFile } from './support/child.js';

const tracking = (opts: Omit<HarnessOptions, 'algorithm'>): HarnessOptions => ({ ...opts, algorithm: 'sc-sparse-push', compensation: 'tracking' });

/** sum over devices of a per-device vector region, in f64. */
function sumOf(h: Harness, region: string): Float64Array {
  const s = new Float64Array(h.d);
  for (let i = 0; i < h.n; i++) {
    const v = h.vec(region, i);
    for (let k = 0; k < h.d; k++) s[k] += v[k]!;
  }
  return s;
}

test('exact messages: the iterates of a float64 reference of momentum tracking on lazy push-sum', async () => {
  for (const { topology, gamma, beta } of [
    { topology: 'exponential:1', gamma: 1, beta: 0.9 },
    { topology: 'exponential:1', gamma: 0.5, beta: 0 },
    { topology: 'erdos-renyi:0.4:fixed', gamma: 0.7, beta: 0.8 },
  ]) {
    const n = 8;
    const d = 12;
    const lr = 0.05;
    const rounds = 14;
    const h = await Harness.create(tracking({ n, d, topology, compressor: 'none', gamma, lr, momentum: beta, init: fill(51), targets: fill(52, 3) }));
    const x: Float64Array[] = Array.from({ length: n }, (_, i) => Float64Array.from(h.x(i)));
    const b = Array.from({ length: n }, (_, i) => { const t = new Float32Array(d); fill(52, 3)(i, t); return Float64Array.from(t); });
    const w = new Float64Array(n).fill(1);
    const v: Float64Array[] = Array.from({ length: n }, () => new Float64Array(d));
    const y: Float64Array[] = Array.from({ length: n }, () => new Float64Array(d));
    let wMoved = false;
    for (let t = 0; t < rounds; t++) {
      const g = h.topology.round(t);
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < d; k++) {
          const u = (1 - beta) * (x[i]![k]! / w[i]! - b[i]![k]! - v[i]![k]!);
          v[i]![k]! += u;
          y[i]![k]! += u;
          x[i]![k]! -= (lr / (1 - beta)) * (y[i]![k]! / w[i]!);
        }
      }
      // Mix with the values just sent: v_i += gamma (sum_j a_j v_j - (1 - a_i) v_i) for x, y and w.
      const a = Array.from({ length: n }, (_, i) => 1 / (g.outPeers[i]!.length + 1));
      const mix = (vals: Float64Array[]): Float64Array[] => vals.map((vi, i) => Float64Array.from(vi, (val, k) => {
        let s = -(1 - a[i]!) * val;
        for (const j of g.inPeers[i]!) s += a[j]! * vals[j]![k]!;
        return val + gamma * s;
      }));
      const nx: Float64Array[] = mix(x);
      const ny: Float64Array[] = mix(y);
      const nw = Float64Array.from(w, (val, i) => {
        let s = -(1 - a[i]!) * val;
        for (const j of g.inPeers[i]!) s += a[j]! * w[j]!;
        return val + gamma * s;
      });
      for (let i = 0; i < n; i++) { x[i] = nx[i]!; y[i] = ny[i]!; w[i] = nw[i]!; }
      await h.step();
      for (let i = 0; i < n; i++) {
        if (Math.abs(w[i]! - 1) > 1e-3) wMoved = true;
        assert.ok(Math.abs(h.w(i) - w[i]!) <= 1e-9, `${topology} round ${t}: w_${i} = ${h.w(i)}, reference ${w[i]}`);
        for (const [name, got, want] of [['x', h.x(i), x[i]!], ['y', h.vec(`dev.${TRACKER}`, i), y[i]!], ['v', h.vec(`dev.${GRADIENT_AVERAGE}`, i), v[i]!]] as const) {
          for (let k = 0; k < d; k++) {
            assert.ok(Math.abs(got[k]! - want[k]!) <= 1e-4 * (1 + Math.abs(want[k]!)), `${topology} round ${t}: ${name}_${i}[${k}] = ${got[k]}, reference ${want[k]}`);
          }
        }
      }
    }
    if (topology.startsWith('erdos')) assert.ok(wMoved, 'the fixed digraph should move w away from 1');
  }
});

test('sums: x changes only by the local steps, sum w = n and sum y = sum v, every compressor; offline devices', async () => {
  const check = async (opts: HarnessOptions, rounds: number, what: string): Promise<void> => {
    const h = await assertSumsConserved(opts, rounds, what);
    const sy = sumOf(h, `dev.${TRACKER}`);
    const sv = sumOf(h, `dev.${GRADIENT_AVERAGE}`);
    let scale = 1;
    for (let k = 0; k < h.d; k++) scale = Math.max(scale, Math.abs(sv[k]!));
    for (let k = 0; k < h.d; k++) assert.ok(Math.abs(sy[k]! - sv[k]!) <= 2e-5 * scale * h.n, `${what}: sum y[${k}] = ${sy[k]}, sum v[${k}] = ${sv[k]}`);
    assert.ok(sv.some((s) => s !== 0), `${what}: v never moved`);
  };
  for (const compressor of ALL_SPECS) {
    await check(tracking({ n: 16, d: 40, topology: 'exponential:1', compressor, gamma: 0.3, lr: 0.05, momentum: 0.9, init: fill(53), targets: fill(54, 4) }), 16, compressor);
  }
  // Ends with a round in which every device is online (the check above runs after such rounds only).
  const offline = randomOffline(55);
  await check(tracking({
    n: 16, d: 40, topology: 'exponential:2', compressor: 'topk:0.1+int8', gamma: 0.3, lr: 0.05, momentum: 0.9,
    init: fill(53), targets: fill(54, 4), offline: (t, i) => t < 29 && offline(t, i),
  }), 30, 'offline devices');
});

test('heterogeneous targets: tracking brings every z_i to the minimiser of the sum; sparse-push stays off by an lr-sized bias', async () => {
  const n = 16;
  const d = 24;
  const mean = new Float64Array(d);
  const t = new Float32Array(d);
  for (let i = 0; i < n; i++) { fill(57, 4)(i, t); for (let k = 0; k < d; k++) mean[k] += t[k]! / n; }
  const worst = (h: Harness): number => {
    let m = 0;
    for (let i = 0; i < n; i++) {
      const x = h.x(i);
      for (let k = 0; k < d; k++) m = Math.max(m, Math.abs(x[k]! / h.w(i) - mean[k]!));
    }
    return m;
  };
  for (const { compressor, gamma, rounds } of [{ compressor: 'none', gamma: 1, rounds: 300 }, { compressor: 'topk:0.5', gamma: 0.5, rounds: 1500 }]) {
    const base = { n, d, topology: 'exponential:1', compressor, gamma, lr: 0.05, momentum: 0.5, targets: fill(57, 4) };
    const tr = await Harness.create(tracking(base));
    const sp = await Harness.create({ ...base, algorithm: 'sparse-push' });
    await tr.run(rounds);
    await sp.run(rounds);
    assert.ok(worst(tr) < 1e-3, `${compressor}: tracking max |z_i - mean b| = ${worst(tr)}`);
    assert.ok(worst(sp) > 0.05, `${compressor}: sparse-push max |z_i - mean b| = ${worst(sp)} (expected an lr-sized bias)`);
  }
});

test('bits: the model and tracker messages of a round cost at most 1.1x sparse-push\'s message (d = 61,706, top-1% + int8)', async () => {
  const d = 61706;
  const base = { n: 4, d, topology: 'exponential:1', compressor: 'topk:0.01+int8', gamma: 0.2, lr: 0.05, momentum: 0.9, init: fill(58), targets: fill(59, 4) };
  const tr = await Harness.create(tracking(base));
  const sp = await Harness.create({ ...base, algorithm: 'sparse-push' });
  await tr.run(8);
  await sp.run(8);
  const ratio = tr.bits / sp.bits;
  assert.ok(ratio > 1 && ratio <= 1.1, `tracking / sparse-push bits = ${ratio}`);
  assert.deepEqual(trackingStreamSpecs('topk:0.01+int8'), ['topk:0.0075+int8', 'topk:0.0025+int8']);
  assert.deepEqual(trackingStreamSpecs('randk:0.1:scaled+qsgd:4'), ['randk:0.075:scaled+qsgd:4', 'randk:0.025:scaled+qsgd:4']);
  assert.deepEqual(trackingStreamSpecs('int8'), ['int8', 'int8']);
});

function setup(patch: { memory?: 'choco' | 'ef'; compressor?: string }): AlgorithmSetup {
  const config = harnessConfig(tracking({ n: 12, d: 10, topology: 'exponential:1', memory: patch.memory }));
  if (patch.compressor) config.compressor = patch.compressor;
  return { config, d: 10, n: 12, dataFractions: new Float64Array(12).fill(1 / 12), topology: createTopology('exponential:1', 12, { seed: 1 }) };
}

test('bad input: memory ef, an unknown compensation, a payload whose first message lies about its length', () => {
  const alg = createAlgorithm('sc-sparse-push');
  for (const compressor of ALL_SPECS) alg.validate(setup({ compressor }));
  assert.throws(() => alg.validate(setup({ memory: 'ef' })), (err: unknown) => err instanceof ConfigError && err.key === 'algorithm.memory' && /tracking.*choco/.test(err.message));
  const odd = setup({});
  (odd.config.algorithm as { compensation: string }).compensation = 'magic';
  assert.throws(() => alg.validate(odd), (err: unknown) => err instanceof ConfigError && err.key === 'algorithm.compensation' && /magic.*qgm, tracking|magic.*tracking, qgm/.test(err.message));
  // frameOf reads only a checked header: a length past the payload, a bad magic or checksum are WireErrors naming the sender.
  const dev = { device: 3, round: 7 } as DeviceContext;
  const header = (length: number): Uint8Array => {
    const b = new Uint8Array(40);
    b[0] = 0x53; b[1] = 2;
    new DataView(b.buffer).setUint32(20, length, true);
    return b;
  };
  const msg = (bytes: Uint8Array): InMessage => ({ from: 5, bytes, selfWeight: 0.5, weight: 0, outDegree: 1 });
  for (const [bytes, pattern] of [
    [header(24), /checksum/],
    [new Uint8Array(10), /truncated/],
    [Object.assign(header(24), { 0: 0x11 }), /magic/],
  ] as const) {
    assert.throws(() => frameOf(msg(bytes), dev), (err: unknown) => err instanceof WireError && /device 3, round 7: payload from device 5/.test(err.message) && pattern.test(err.message));
  }
});

test('determinism: identical paramsHash and metrics with 1, 2 and 4 workers, faults on (top-10%+int8, qsgd:4 on exponential:1)', async () => {
  const withTracking = (c: RunConfig): RunConfig => ({ ...c, algorithm: { ...c.algorithm, compensation: 'tracking' } });
  await assertDeterministic(withTracking(engineConfig('sc-sparse-push', 'exponential:1', 'topk:0.1+int8', 'choco', 0.3)), 'tracking, topk:0.1+int8');
  await assertDeterministic(withTracking(engineConfig('sc-sparse-push', 'exponential:1', 'qsgd:4', 'choco', 0.3)), 'tracking, qsgd:4');
});

test('resume: a tracking run killed after a checkpoint and resumed ends bit-identical to an uninterrupted run', async () => {
  const config: RunConfig = {
    ...engineConfig('sc-sparse-push', 'exponential:1', 'topk:0.1+int8', 'choco', 0.3),
    rounds: 40, evalEvery: 5, checkpoint: { every: 4, dir: null },
  };
  config.algorithm.compensation = 'tracking';
  const dir = mkdtempSync(join(tmpdir(), 'sp-track-resume-'));
  try {
    const reference = await runExperiment(config, { outDir: join(dir, 'reference'), inline: true, data: { train: blobs(800, 10, 4, 1), test: blobs(200, 10, 4, 2) } });
    const cfgFile = join(dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(config));
    const out = join(dir, 'killed');
    const first = startRunChild(out, cfgFile, ['--workers', '2', '--delay-ms', '40']);
    const latest = join(out, 'checkpoints', 'LATEST');
    await waitForFile(latest, 60_000);
    assert.ok(existsSync(latest), 'the child wrote no checkpoint in time');
    await first.stop('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');
    const resumed = startRunChild(out, cfgFile, ['--resume', '--workers', '1']);
    assert.equal(await resumed.exited, 0, resumed.output());
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { paramsHash: string };
    assert.equal(summary.paramsHash, reference.paramsHash);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
