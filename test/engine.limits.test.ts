// Limits before work: a run (or a topology) too large for this process is refused up front with a
// ConfigError naming the estimate, the limit and the largest device count that fits, instead of an
// out-of-memory abort minutes later; the arena overflow is a config problem (exit 2).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configError } from './support/assert-error.js';
import { runCli } from './support/cli.js';
import { DEFAULT_CONFIG, resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import {
  ARENA_LIMIT_BYTES, estimateRun, largestFitting, registerScaleOutSuggestion, runMemoryProblem, type MemoryLimits,
} from '../src/engine/limits.js';
import { runExperiment } from '../src/engine/run.js';
import { GRAPH_BYTES_PER_EDGE, GRAPH_BYTES_PER_NODE, graphFootprint } from '../src/graph/footprint.js';
import { createTopology, parseTopologySpec } from '../src/graph/registry.js';
import { hostMemory, parseByteSize } from '../src/host-memory.js';
import { blobs } from './fixtures/engine-data.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-limits-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const GIB = 2 ** 30;

test('graphFootprint counts the edges a round graph has, and the rounds a schedule keeps', () => {
  for (const spec of ['ring', 'directed-ring', 'complete', 'star', 'torus', 'random-regular:3', 'exponential:1', 'exponential:2']) {
    for (const n of [12, 16, 24]) {
      const t = createTopology(spec, n);
      const fp = graphFootprint(parseTopologySpec(spec), n);
      const edges = t.round(0).outPeers.reduce((s, p) => s + p.length, 0);
      assert.equal(fp.edgesPerRound, edges, `${spec} on ${n}`);
      assert.equal(fp.cachedRounds, t.period, `${spec} on ${n}`);
      assert.equal(fp.bytesPerRound, edges * GRAPH_BYTES_PER_EDGE + n * GRAPH_BYTES_PER_NODE);
    }
  }
  // erdos-renyi: the expected edge count (p n (n-1)), within 4 standard deviations of a sample.
  const n = 200;
  const fp = graphFootprint(parseTopologySpec('erdos-renyi:0.1:fixed'), n);
  const edges = createTopology('erdos-renyi:0.1:fixed', n).round(0).outPeers.reduce((s, p) => s + p.length, 0);
  assert.equal(fp.edgesPerRound, 0.1 * n * (n - 1));
  assert.ok(Math.abs(edges - fp.edgesPerRound) < 4 * Math.sqrt(fp.edgesPerRound * 0.9), `${edges} edges`);
});

test('createTopology refuses a round graph larger than the heap before building it, naming the largest n that fits', () => {
  const heapBytes = GIB;
  // Reference: the largest n with n(n-1) edges and n nodes within 1 GiB.
  let fit = 2;
  while ((fit + 1) * fit * GRAPH_BYTES_PER_EDGE + (fit + 1) * GRAPH_BYTES_PER_NODE <= heapBytes) fit++;
  assert.throws(() => createTopology('complete', 1e5, { heapBytes }), configError('devices',
    new RegExp(`^devices: topology 'complete' on 100000 devices: one round graph needs at least 149\\.0 GiB of JavaScript heap \\(1\\.000e\\+10 edges\\), above the 1\\.00 GiB heap limit \\(node --max-old-space-size\\); at most ${fit} devices fit$`)));
  assert.ok(createTopology('complete', fit, { heapBytes }), 'n that fits builds');
  // With the process's own heap limit (a few GiB at most): 2^31 nodes of exponential:1 and 10^5 of complete never fit.
  assert.throws(() => createTopology('exponential:1', 2 ** 31), configError('devices', /on 2147483648 devices: one round graph needs at least 112\.0 GiB of JavaScript heap .*; at most \d+ devices fit$/));
  assert.throws(() => createTopology('complete', 1e5), configError('devices', /at least 149\.0 GiB of JavaScript heap/));
});

test('largestFitting: the largest count below n that fits a monotone test', () => {
  assert.equal(largestFitting(2, 1000, (m) => m * m <= 5000), 70);
  assert.equal(largestFitting(2, 1000, () => false), 0);
  assert.equal(largestFitting(2, 1000, () => true), 999);
});

const limits: MemoryLimits = { arenaBytes: ARENA_LIMIT_BYTES, heapBytes: 4 * GIB, hostBytes: 16 * GIB };

test('devices = 1e9 is refused naming the estimates, the limits and the largest device count that fits', () => {
  const config = resolveConfig({ model: 'logistic', data: { train: 'synthetic:2000,20,3', test: null } });
  const big = { ...config, devices: 1e9 };
  const problem = runMemoryProblem(big, limits)!;
  assert.equal(problem.key, 'devices');
  const m = /^devices: 1000000000 devices need an estimated (\S+) GiB of arena \(limit 4\.00 GiB, the wasm32 maximum\) and (\S+) TiB of JavaScript heap, the communication graph's 1\.00e\+9 edges per round \(limit 4\.00 GiB, node --max-old-space-size\) and \S+ TiB of memory in all \(limit 16\.0 GiB, this machine's\); at most (\d+) devices fit$/.exec(problem.message);
  assert.ok(m, problem.message);
  const fit = Number(m[3]);
  const within = (n: number): boolean => {
    const e = estimateRun(big, n, { trainCount: 2000, testCount: 2000, features: 20, classes: 3 });
    return e.arenaBytes <= limits.arenaBytes && e.heapBytes <= limits.heapBytes && e.hostBytes <= limits.hostBytes;
  };
  assert.ok(within(fit) && !within(fit + 1), `${fit} is the largest count within the limits`);
  assert.equal(runMemoryProblem({ ...config, devices: fit }, limits), null);
  // Through resolveConfig (what the CLI and config files go through), with this process's limits.
  assert.throws(() => resolveConfig({ devices: 1e9 }), configError('devices', /^devices: 1000000000 devices need an estimated .*; at most \d+ devices fit; use a smaller model$/));
});

test('a ways-out suggestion can be added to every refusal (e.g. spreading the run over hosts)', () => {
  const remove = registerScaleOutSuggestion((c) => `split it over ${Math.ceil(c.devices / Math.max(1, c.fittingDevices))} hosts (example)`);
  try {
    const problem = runMemoryProblem({ ...DEFAULT_CONFIG, model: 'logistic', topology: 'complete', devices: 100000 }, limits)!;
    assert.match(problem.message, /; use a sparser topology than 'complete' \(e\.g\. exponential:1\), or split it over \d+ hosts \(example\)$/);
  } finally {
    remove();
  }
  assert.doesNotMatch(runMemoryProblem({ ...DEFAULT_CONFIG, model: 'logistic', topology: 'complete', devices: 100000 }, limits)!.message, /hosts/);
});

test('the CLI refuses devices=1e9, complete on 1e5 devices and synthetic:2000,2000000,3 with exit 2 before creating anything', async () => {
  const cases: Array<[string[], RegExp]> = [
    [['--set', 'devices=1000000000'], /^sparsepush run: devices: 1000000000 devices need an estimated .* GiB of arena \(limit 4\.00 GiB, the wasm32 maximum\).*; at most \d+ devices fit; use a smaller model\n$/],
    [['--set', 'topology=complete', '--set', 'devices=100000', '--set', 'model=logistic'], /^sparsepush run: devices: 100000 devices need an estimated 149\.0 GiB of JavaScript heap, the communication graph's 1\.00e\+10 edges per round .*; at most \d+ devices fit; use a sparser topology than 'complete' \(e\.g\. exponential:1\)\n$/],
    [['--set', 'data.train=synthetic:2000,2000000,3', '--set', 'data.test=null', '--set', 'model=logistic'], /^sparsepush run: data\.train: 16 devices need an estimated 30\.6 GiB of arena \(limit 4\.00 GiB, the wasm32 maximum\).*, and even 2 devices would not fit; use fewer samples \(data\.limit\) or fewer features\n$/],
  ];
  for (const [args, re] of cases) {
    const out = join(dir, `cli-${args.length}`);
    const r = await runCli(['run', ...args, '--quiet', '--out', out]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, re);
    assert.equal(existsSync(out), false, 'nothing created');
  }
});

test('the library refuses devices=1e9 before allocating, with error.json naming devices', async () => {
  const config: RunConfig = { ...DEFAULT_CONFIG, model: 'logistic', devices: 1e9, rounds: 1, compressor: 'none', algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp' } };
  const out = join(dir, 'lib');
  await assert.rejects(runExperiment(config, { outDir: out, inline: true, data: { train: blobs(200, 5, 2, 1), test: blobs(50, 5, 2, 2) } }),
    configError('devices', /^devices: 1000000000 devices need an estimated .*; at most \d+ devices fit/));
  const record = JSON.parse(readFileSync(join(out, 'error.json'), 'utf8')) as { code: string; key: string };
  assert.deepEqual([record.code, record.key], ['E_CONFIG', 'devices']);
});

test('an arena that overflows once the model is known is a ConfigError naming devices and the count that fits (exit 2)', async () => {
  // An MLP of ~17M parameters: x and m of 64 devices alone take 8.6 GB.
  const args = ['--set', 'model=mlp:4096,4096', '--set', 'devices=64', '--set', 'data.train=synthetic:2000,16,3', '--set', 'data.test=null',
    '--set', 'algorithm.batchSize=8', '--set', 'backend=cpu', '--workers', '1', '--quiet'];
  const out = join(dir, 'mlp');
  const r = await runCli(['run', ...args, '--out', out]);
  assert.equal(r.code, 2, r.err);
  const m = /^sparsepush run: devices: the arena of 64 devices needs (\S+) GiB, above its 4\.00 GiB limit \(the wasm32 maximum\); at most (\d+) devices fit; use a smaller model, or spread the devices over at least (\d+) host processes on one or more machines \(sparsepush host, then sparsepush run --nats URL --hosts \3; see the README\) \(details: .*error\.json\)\n$/.exec(r.err);
  assert.ok(m, r.err);
  assert.ok(Number(m[1]) > 8 && Number(m[2]) >= 2 && Number(m[2]) < 64, r.err);
  assert.equal(Number(m[3]), Math.ceil(64 / Number(m[2])), r.err);
  assert.equal((JSON.parse(readFileSync(join(out, 'error.json'), 'utf8')) as { key: string }).key, 'devices');
});

test('the host limit: the machine\'s memory, lowered by $SPARSEPUSH_MEMORY_LIMIT', () => {
  assert.equal(parseByteSize('512M'), 512 * 2 ** 20);
  assert.equal(parseByteSize('1.5G'), 1.5 * GIB);
  assert.equal(parseByteSize('2GiB'), 2 * GIB);
  assert.equal(parseByteSize('100'), 100);
  assert.equal(parseByteSize('lots'), null);
  const before = process.env['SPARSEPUSH_MEMORY_LIMIT'];
  process.env['SPARSEPUSH_MEMORY_LIMIT'] = '1G';
  try {
    assert.equal(hostMemory().hostBytes, GIB);
    // 20000 x 5000 features: 400 MB per set as loaded, 800 MB in the arena: within the arena, not within 1 GiB in all.
    assert.throws(() => resolveConfig({ model: 'logistic', data: { train: 'synthetic:20000,5000,3', test: null } }),
      configError('data.train', /of memory in all \(limit 1\.00 GiB, this machine's\), and even 2 devices would not fit; use fewer samples \(data\.limit\) or fewer features$/));
  } finally {
    if (before === undefined) delete process.env['SPARSEPUSH_MEMORY_LIMIT']; else process.env['SPARSEPUSH_MEMORY_LIMIT'] = before;
  }
});
