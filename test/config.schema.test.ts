import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../src/errors.js';
import {
  applySet, configToYaml, DEFAULT_CONFIG, loadConfigFile, readConfigFile, resolveConfig, setKey,
} from '../src/config/index.js';
import { configReferenceBlock, configReferenceRows, extractReferenceBlock } from '../src/config/reference.js';

/** Asserts `fn` throws a ConfigError for `key` whose one-line message starts with the key path. */
function assertConfigError(fn: () => unknown, key: string, includes?: string | RegExp): ConfigError {
  let caught: unknown;
  try { fn(); } catch (err) { caught = err; }
  assert.ok(caught instanceof ConfigError, `expected a ConfigError for ${key}, got ${String(caught)}`);
  assert.equal(caught.key, key);
  assert.ok(caught.message.startsWith(`${key}: `), caught.message);
  assert.ok(!caught.message.includes('\n'), 'one line');
  if (typeof includes === 'string') assert.ok(caught.message.includes(includes), caught.message);
  else if (includes) assert.match(caught.message, includes);
  return caught;
}

const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-config-'));

test('defaults: every key resolves to the documented value', () => {
  assert.deepEqual(resolveConfig({}), DEFAULT_CONFIG);
  assert.deepEqual(resolveConfig(undefined), DEFAULT_CONFIG);
  assert.deepEqual(DEFAULT_CONFIG, {
    name: 'sparse-push', seed: 1, devices: 16, rounds: 300, evalEvery: 10, targetAccuracy: 0, init: null, model: 'lenet',
    data: { train: 'fashion-mnist', test: 'fashion-mnist:test', partition: 'iid', volume: 'equal', limit: 0, smallShards: 'error' },
    topology: 'exponential:1',
    algorithm: { name: 'sparse-push', lr: 0.05, lrSchedule: 'constant', momentum: 0.9, weightDecay: 0, batchSize: 32, localSteps: 1, gamma: 0.2, compensation: 'qgm', memory: 'choco', participation: 1 },
    compressor: 'topk:0.01',
    faults: { linkDrop: 0, offline: 0 },
    clock: { flops: 1e9, flopsSpread: 0.5, bandwidth: 1e7, bandwidthSpread: 0.5, latency: 0.005 },
    energy: { txPerBit: 5e-8, rxPerBit: 5e-8, perFlop: 1e-10 },
    backend: 'auto', workers: 0, checkpoint: { every: 0, dir: null },
  });
});

test('partial sections keep the defaults of their other keys; name defaults to the algorithm', () => {
  const c = resolveConfig({ algorithm: { name: 'sgp', lr: 0.1 }, faults: { linkDrop: 0.2 } });
  assert.equal(c.algorithm.lr, 0.1);
  assert.equal(c.algorithm.momentum, 0.9);
  assert.equal(c.faults.offline, 0);
  assert.equal(c.name, 'sgp');
  assert.equal(resolveConfig({ name: 'mine', algorithm: { name: 'sgp' } }).name, 'mine');
  assert.equal(resolveConfig({ workers: 'auto' }).workers, 0);
  assert.equal(resolveConfig({ data: { test: null } }).data.test, null);
});

test('unknown keys are errors naming the key, at top level and nested', () => {
  assertConfigError(() => resolveConfig({ rounds: 5, roundz: 3 }), 'roundz', 'unknown key');
  assertConfigError(() => resolveConfig({ algorithm: { gama: 0.5 } }), 'algorithm.gama', /unknown key \(expected one of: .*gamma/);
  assertConfigError(() => resolveConfig({ clock: { flops: 1e9, flop: 2 } }), 'clock.flop');
  // An unknown key is reported before other problems it may explain.
  assertConfigError(() => resolveConfig({ algorithm: { gamma: 7, lrate: 1 } }), 'algorithm.lrate');
});

test('wrong types name the key, say what was expected and what was given', () => {
  assertConfigError(() => resolveConfig({ seed: 'one' }), 'seed', 'got "one"');
  assertConfigError(() => resolveConfig({ devices: 2.5 }), 'devices', 'expected an integer ≥ 1, got 2.5');
  assertConfigError(() => resolveConfig({ rounds: 0 }), 'rounds', 'expected an integer ≥ 1, got 0');
  assertConfigError(() => resolveConfig({ algorithm: 'sgp' }), 'algorithm', 'expected a mapping');
  assertConfigError(() => resolveConfig({ algorithm: { name: 'sgd' } }), 'algorithm.name', 'expected one of sgp, sparse-push');
  assertConfigError(() => resolveConfig({ backend: 'gpu' }), 'backend', 'got "gpu"');
  assertConfigError(() => resolveConfig({ algorithm: { batchSize: '32' } }), 'algorithm.batchSize', 'got "32"');
  assertConfigError(() => resolveConfig({ workers: -1 }), 'workers', 'expected an integer ≥ 0 or auto, got -1');
  assertConfigError(() => resolveConfig({ name: 'has space' }), 'name', 'got "has space"');
  assertConfigError(() => resolveConfig({ checkpoint: { dir: 3 } }), 'checkpoint.dir');
  assertConfigError(() => resolveConfig({ init: 3 }), 'init');
  assertConfigError(() => resolveConfig({ init: '' }), 'init');
  assertConfigError(() => resolveConfig([1, 2]), '(config)', 'expected a mapping');
});

test('gamma defaults per algorithm (null = the algorithm\'s measured default); an explicit value wins', () => {
  assert.equal(resolveConfig({}).algorithm.gamma, 0.2);
  assert.equal(resolveConfig({ algorithm: { name: 'sgp' } }).algorithm.gamma, 1);
  assert.equal(resolveConfig({ algorithm: { name: 'choco' } }).algorithm.gamma, 0.05);
  assert.equal(resolveConfig({ algorithm: { name: 'sc-sparse-push' } }).algorithm.gamma, 0.2);
  assert.equal(resolveConfig({ algorithm: { name: 'dagc-r' } }).algorithm.gamma, 1);
  assert.equal(resolveConfig({ algorithm: { name: 'sparse-push', gamma: null } }).algorithm.gamma, 0.2);
  // memory ef (no public copies) has its own, much smaller default; an explicit value still wins.
  assert.equal(resolveConfig({ algorithm: { name: 'sparse-push', memory: 'ef' } }).algorithm.gamma, 0.01);
  assert.equal(resolveConfig({ algorithm: { name: 'sparse-push', memory: 'ef', gamma: 0.3 } }).algorithm.gamma, 0.3);
  assert.equal(resolveConfig({ algorithm: { name: 'sc-sparse-push', memory: 'ef' } }).algorithm.gamma, 0.2);
  // choco form: tuned at top-1%; 4x smaller per 10x sparser below (CHOCO: gamma shrinks with the kept fraction).
  const at = (name: string, compressor: string): number => resolveConfig({ compressor, algorithm: { name } }).algorithm.gamma;
  assert.equal(at('sparse-push', 'topk:0.1'), 0.2);
  assert.equal(at('sparse-push', 'topk:0.01+int8'), 0.2);
  assert.equal(at('sparse-push', 'topk:0.001'), 0.05);
  assert.equal(at('sc-sparse-push', 'topk:0.001+int8'), 0.05);
  assert.equal(at('sparse-push', 'topk:0.003+int8'), 0.097);
  assert.equal(at('sparse-push', 'randk:0.0001'), 0.013);
  assert.equal(at('sparse-push', 'int8'), 0.2);
  assert.equal(at('sparse-push', 'threshold:0.01'), 0.2);
  assert.equal(at('choco', 'topk:0.001'), 0.05);
  assert.equal(resolveConfig({ compressor: 'topk:0.001', algorithm: { name: 'sparse-push', gamma: 0.2 } }).algorithm.gamma, 0.2);
  assert.equal(resolveConfig({ algorithm: { name: 'sparse-push', gamma: 0.5 } }).algorithm.gamma, 0.5);
});

test('ranges: ratios in (0, 1], probabilities in [0, 1), gamma in (0, 1]', () => {
  assert.equal(
    assertConfigError(() => resolveConfig({ algorithm: { gamma: 1.5 } }), 'algorithm.gamma').message,
    'algorithm.gamma: expected a number in (0, 1] or null, got 1.5',
  );
  assertConfigError(() => resolveConfig({ algorithm: { gamma: 0 } }), 'algorithm.gamma', 'got 0');
  assert.equal(resolveConfig({ algorithm: { gamma: 1 } }).algorithm.gamma, 1);
  assertConfigError(() => resolveConfig({ algorithm: { participation: 0 } }), 'algorithm.participation', '(0, 1]');
  assertConfigError(() => resolveConfig({ algorithm: { momentum: 1 } }), 'algorithm.momentum', '[0, 1)');
  assertConfigError(() => resolveConfig({ faults: { linkDrop: 1 } }), 'faults.linkDrop', 'expected a number in [0, 1), got 1');
  assertConfigError(() => resolveConfig({ faults: { offline: -0.1 } }), 'faults.offline', 'got -0.1');
  assert.equal(resolveConfig({ faults: { offline: 0 } }).faults.offline, 0);
  assertConfigError(() => resolveConfig({ targetAccuracy: 1.2 }), 'targetAccuracy', '[0, 1]');
  assertConfigError(() => resolveConfig({ algorithm: { lr: 0 } }), 'algorithm.lr', '> 0');
  assertConfigError(() => resolveConfig({ clock: { bandwidth: -5 } }), 'clock.bandwidth');
  assertConfigError(() => resolveConfig({ energy: { perFlop: -1e-9 } }), 'energy.perFlop');
});

test('malformed spec strings are errors naming the key', () => {
  assertConfigError(() => resolveConfig({ compressor: 'topk:1.5' }), 'compressor', "bad spec 'topk:1.5'");
  assertConfigError(() => resolveConfig({ compressor: 'topk' }), 'compressor');
  assertConfigError(() => resolveConfig({ compressor: 'zip:3' }), 'compressor', 'unknown compressor');
  assertConfigError(() => resolveConfig({ compressor: 'int8+topk:0.1' }), 'compressor');
  assertConfigError(() => resolveConfig({ topology: 'hypercube' }), 'topology', "bad spec 'hypercube'");
  assertConfigError(() => resolveConfig({ topology: 'exponential:x' }), 'topology');
  assertConfigError(() => resolveConfig({ model: 'mlp:128,x' }), 'model', "bad spec 'mlp:128,x'");
  assertConfigError(() => resolveConfig({ model: 'resnet50' }), 'model', 'unknown model');
  assertConfigError(() => resolveConfig({ data: { partition: 'dirichlet:-1' } }), 'data.partition');
  assertConfigError(() => resolveConfig({ data: { partition: 'skew:1.5' } }), 'data.partition');
  assertConfigError(() => resolveConfig({ data: { volume: 'volume:0.5' } }), 'data.volume');
  assertConfigError(() => resolveConfig({ data: { train: 'imagenet' } }), 'data.train', 'unknown dataset');
  assertConfigError(() => resolveConfig({ data: { train: 'synthetic:100,8' } }), 'data.train', "bad spec 'synthetic:100,8'");
  assertConfigError(() => resolveConfig({ data: { train: 'mnist:test', test: null } }), 'data.train', 'test split');
  assert.equal(resolveConfig({ data: { train: 'synthetic:1000,8,3,linear', test: null, volume: 'natural' } }).data.volume, 'natural');
  assertConfigError(() => resolveConfig({ data: { test: 'mnist:validation' } }), 'data.test');
  assertConfigError(() => resolveConfig({ algorithm: { lrSchedule: 'linear' } }), 'algorithm.lrSchedule', "bad spec 'linear'");
  assertConfigError(() => resolveConfig({ algorithm: { lrSchedule: 'step:0.7,0.5' } }), 'algorithm.lrSchedule', 'must increase');
  assertConfigError(() => resolveConfig({ algorithm: { lrSchedule: 'step:1' } }), 'algorithm.lrSchedule', 'in (0, 1)');
  for (const lrSchedule of ['constant', 'cosine', 'step:0.5', 'step:0.5,0.75']) assert.equal(resolveConfig({ algorithm: { lrSchedule } }).algorithm.lrSchedule, lrSchedule);
  // Valid forms pass.
  for (const compressor of ['topk:0.01+int8', 'randk:0.1:scaled', 'threshold:0.05', 'qsgd:16', 'sign', 'none', 'int4']) {
    assert.equal(resolveConfig({ compressor }).compressor, compressor);
  }
  for (const model of ['logistic', 'mlp:128,64', 'lenet', 'resnet20', 'vgg11']) assert.equal(resolveConfig({ model }).model, model);
  for (const partition of ['iid', 'dirichlet:0.5', 'skew:0.8', 'shards:2']) assert.equal(resolveConfig({ data: { partition } }).data.partition, partition);
});

test('the model grammar agrees with the model registry\'s parseModelSpec', async () => {
  const { parseModelSpec } = await import('../src/models/registry.js');
  const { checkModelSpec } = await import('../src/config/specs.js');
  const specs = ['logistic', 'logistic:1', 'mlp', 'mlp:', 'mlp:128', 'mlp:128,64', 'mlp:0', 'mlp:12x', 'mlp:65536', 'mlp:65537',
    'lenet', 'lenet:5', 'resnet20', 'resnet18', 'vgg11', 'vgg11:32', 'vgg11:0', 'vgg11:a', 'cnn', '', ' lenet '];
  for (const spec of specs) {
    let owner = true;
    try { parseModelSpec(spec); } catch { owner = false; }
    assert.equal(checkModelSpec(spec) === null, owner, `'${spec}': config ${checkModelSpec(spec) === null ? 'accepts' : 'rejects'}, registry ${owner ? 'accepts' : 'rejects'}`);
  }
});

test('specs that depend on other keys: topology vs devices, DAGC vs compressor', () => {
  assertConfigError(() => resolveConfig({ devices: 10, topology: 'torus' }), 'topology', 'devices = 10');
  assertConfigError(() => resolveConfig({ devices: 4, topology: 'exponential:4' }), 'topology');
  assertConfigError(() => resolveConfig({ devices: 5, topology: 'random-regular:3' }), 'topology', 'even');
  assert.equal(resolveConfig({ devices: 9, topology: 'torus' }).topology, 'torus');
  assertConfigError(() => resolveConfig({ algorithm: { name: 'dagc-r' }, compressor: 'threshold:0.1' }), 'compressor', 'topk');
  assertConfigError(() => resolveConfig({ algorithm: { name: 'dagc-a' } }), 'compressor', 'threshold');
  assertConfigError(() => resolveConfig({ devices: 1 }), 'devices', 'at least 2');
  // Server algorithms do not use the peer graph.
  assert.equal(resolveConfig({ devices: 1, algorithm: { name: 'ef-sgd' } }).devices, 1);
});

test('missing data files for csv:, npy:, cifar10: and edges: are errors naming the key', () => {
  assertConfigError(() => resolveConfig({ data: { train: 'csv:/no/such/train.csv' } }), 'data.train', 'not found: /no/such/train.csv');
  assertConfigError(() => resolveConfig({ data: { test: 'csv:/no/such/test.csv' } }), 'data.test', 'not found');
  assertConfigError(() => resolveConfig({ data: { train: 'npy:/no/x.npy,/no/y.npy' } }), 'data.train', 'not found');
  assertConfigError(() => resolveConfig({ data: { train: 'cifar10:/no/cifar' } }), 'data.train', 'directory not found');
  assertConfigError(() => resolveConfig({ data: { train: `csv:${tmp}` } }), 'data.train', 'is a directory');
  assertConfigError(() => resolveConfig({ topology: 'edges:/no/edges.txt' }), 'topology');
  const csv = join(tmp, 'train.csv');
  writeFileSync(csv, 'a,b,label\n0.1,0.2,1\n');
  assert.equal(resolveConfig({ data: { train: `csv:${csv}`, test: null } }).data.train, `csv:${csv}`);
});

test('--set parsing: numbers, booleans, strings, null, nested keys, unknown keys', () => {
  assert.equal(applySet({}, 'algorithm.lr=0.1').algorithm.lr, 0.1);
  assert.equal(applySet({}, 'rounds=50').rounds, 50);
  assert.equal(applySet({}, 'clock.flops=2e9').clock.flops, 2e9);
  assert.equal(applySet({}, 'compressor=topk:0.05+int8').compressor, 'topk:0.05+int8');
  assert.equal(applySet({}, 'topology=exponential:2').topology, 'exponential:2');
  assert.equal(applySet({}, 'model=mlp:128,64').model, 'mlp:128,64');
  assert.equal(applySet({}, 'data.test=null').data.test, null);
  assert.equal(applySet({}, 'name=abc').name, 'abc');
  assert.deepEqual(applySet({}, 'faults={linkDrop: 0.1, offline: 0.2}').faults, { linkDrop: 0.1, offline: 0.2 });
  // Applied on a resolved config too.
  assert.equal(applySet(DEFAULT_CONFIG, 'algorithm.gamma=0.25').algorithm.gamma, 0.25);
  // The raw form only checks the key path; the value is validated on resolve.
  assert.deepEqual(setKey({ rounds: 3 }, 'algorithm.momentum=0'), { rounds: 3, algorithm: { momentum: 0 } });
  assertConfigError(() => applySet({}, 'algorithm.gama=1'), 'algorithm.gama', 'unknown key');
  assertConfigError(() => applySet({}, 'colour=red'), 'colour', 'unknown key');
  assertConfigError(() => applySet({}, 'rounds.max=3'), 'rounds.max', 'rounds is a value');
  assertConfigError(() => applySet({}, 'rounds'), 'rounds', 'expected key=value');
  assertConfigError(() => applySet({}, 'algorithm.gamma=2'), 'algorithm.gamma', 'got 2');
  assertConfigError(() => applySet({}, 'devices=true'), 'devices', 'got true');
  assertConfigError(() => applySet({}, 'seed=abc'), 'seed', 'got "abc"');
});

test('YAML and JSON files; errors name the file', () => {
  const yamlFile = join(tmp, 'run.yaml');
  writeFileSync(yamlFile, 'rounds: 20\nalgorithm:\n  name: sgp\n  lr: 0.1\ncompressor: none\n');
  const y = loadConfigFile(yamlFile);
  assert.equal(y.rounds, 20);
  assert.equal(y.algorithm.lr, 0.1);
  assert.equal(y.name, 'sgp');

  const jsonFile = join(tmp, 'run.json');
  writeFileSync(jsonFile, JSON.stringify({ devices: 8, faults: { linkDrop: 0.1 } }));
  const j = loadConfigFile(jsonFile);
  assert.equal(j.devices, 8);
  assert.equal(j.faults.linkDrop, 0.1);

  const empty = join(tmp, 'empty.yml');
  writeFileSync(empty, '# nothing but a comment\n');
  assert.deepEqual(loadConfigFile(empty), DEFAULT_CONFIG);

  const bad = join(tmp, 'bad.yaml');
  writeFileSync(bad, 'algorithm:\n  gamma: 1.5\n');
  const e = assertConfigError(() => loadConfigFile(bad), 'algorithm.gamma', 'got 1.5');
  assert.ok(e.message.endsWith(`(in ${bad})`), e.message);

  const broken = join(tmp, 'broken.yaml');
  writeFileSync(broken, 'rounds: 3\n  devices: [1, 2\n');
  assertConfigError(() => readConfigFile(broken), broken, /invalid YAML at line \d+/);
  const brokenJson = join(tmp, 'broken.json');
  writeFileSync(brokenJson, '{"rounds": 3,,}');
  assertConfigError(() => readConfigFile(brokenJson), brokenJson, 'invalid JSON');
  const list = join(tmp, 'list.yaml');
  writeFileSync(list, '- 1\n- 2\n');
  assertConfigError(() => readConfigFile(list), list, 'mapping');
  assertConfigError(() => readConfigFile(join(tmp, 'nope.yaml')), join(tmp, 'nope.yaml'), 'not found');
  assertConfigError(() => readConfigFile(join(tmp, 'run.toml')), join(tmp, 'run.toml'), '.json, .yaml or .yml');
});

test('configToYaml round-trips through resolveConfig', () => {
  const c = resolveConfig({ name: 'rt', devices: 12, data: { test: null, partition: 'dirichlet:0.3' }, compressor: 'topk:0.02+int8', clock: { latency: 0.03 } });
  const yaml = configToYaml(c);
  assert.deepEqual(resolveConfig(parseYaml(yaml)), c);
  assert.ok(yaml.startsWith('#'));
});

test('every example config is valid', () => {
  const files = readdirSync('examples').filter((f) => /\.(ya?ml|json)$/.test(f));
  for (const expected of ['demo.yaml', 'iid-vs-noniid.yaml', 'dagc-vs-uniform.yaml', 'scale-10000-logistic.yaml', 'faults.yaml']) {
    assert.ok(files.includes(expected), `examples/${expected} exists`);
  }
  for (const f of files) assert.doesNotThrow(() => loadConfigFile(join('examples', f)), `examples/${f}`);
});

test('the reference covers every key of the resolved config, with its default', () => {
  const rows = configReferenceRows();
  const leaves: string[] = [];
  const walk = (o: Record<string, unknown>, prefix: string): void => {
    for (const [k, v] of Object.entries(o)) {
      const key = prefix + k;
      if (v !== null && typeof v === 'object') walk(v as Record<string, unknown>, `${key}.`);
      else leaves.push(key);
    }
  };
  walk(DEFAULT_CONFIG as unknown as Record<string, unknown>, '');
  assert.deepEqual(rows.filter((r) => !r.section).map((r) => r.key).sort(), leaves.sort());
  const byKey = new Map(rows.map((r) => [r.key, r]));
  assert.match(byKey.get('algorithm.gamma')!.default, /the algorithm's/);
  assert.equal(byKey.get('clock.flops')!.default, '1e9');
  assert.equal(byKey.get('energy.perFlop')!.default, '1e-10');
  assert.equal(byKey.get('compressor')!.default, 'topk:0.01');
  assert.equal(byKey.get('checkpoint.dir')!.default, 'null');
  for (const r of rows) assert.ok(r.description.length > 10, `${r.key} has a description`);
});

test('README config reference equals the generated text', () => {
  const readme = existsSync('README.md') ? readFileSync('README.md', 'utf8') : '';
  const block = extractReferenceBlock(readme);
  assert.notEqual(block, null, 'README.md lost its config reference markers (regenerate with: node --import tsx scripts/gen-config-reference.mjs --write)');
  assert.equal(block, configReferenceBlock(), 'README config reference is stale: run node --import tsx scripts/gen-config-reference.mjs --write');
});
