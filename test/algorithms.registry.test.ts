import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ALGORITHM_NAMES, algorithmsOfKind, createAlgorithm, isAlgorithmName } from '../src/algorithms/registry.js';
import { resolveConfig } from '../src/config/index.js';
import { configReferenceRows } from '../src/config/reference.js';
import { ConfigError } from '../src/errors.js';

test('every registry name builds the algorithm of that name; the two kinds split the names', () => {
  for (const name of ALGORITHM_NAMES) {
    assert.ok(isAlgorithmName(name));
    assert.equal(createAlgorithm(name).name, name);
  }
  assert.equal(new Set(ALGORITHM_NAMES).size, ALGORITHM_NAMES.length, 'no name twice');
  const decentralized = algorithmsOfKind('decentralized');
  const server = algorithmsOfKind('server');
  assert.deepEqual([...decentralized, ...server].sort(), [...ALGORITHM_NAMES].sort());
  assert.deepEqual(server, ['ef-sgd', 'dagc-r', 'dagc-a']);
  for (const name of server) assert.equal(createAlgorithm(name).kind, 'server');
});

test('an unknown name is refused naming algorithm.name and listing the registry', () => {
  assert.equal(isAlgorithmName('toString'), false, 'inherited properties are not names');
  assert.throws(() => createAlgorithm('gossip-magic'), (err: unknown) => err instanceof ConfigError && err.key === 'algorithm.name'
    && err.message === `algorithm.name: unknown algorithm 'gossip-magic'; available: ${ALGORITHM_NAMES.join(', ')}`);
  assert.throws(() => createAlgorithm('toString'), (err: unknown) => err instanceof ConfigError && err.key === 'algorithm.name');
});

test('the config accepts exactly the registry names and its reference lists them by kind', () => {
  for (const name of ALGORITHM_NAMES) {
    const devices = createAlgorithm(name).kind === 'server' ? 1 : 4;
    const compressor = name === 'dagc-a' ? 'threshold:0.01' : 'topk:0.1';
    assert.equal(resolveConfig({ devices, compressor, model: 'logistic', data: { train: 'synthetic:64,4,2', test: null }, algorithm: { name } }).algorithm.name, name);
  }
  assert.throws(() => resolveConfig({ algorithm: { name: 'gossip-magic' } }), (err: unknown) => err instanceof ConfigError && err.key === 'algorithm.name');
  const row = configReferenceRows().find((r) => r.key === 'algorithm.name');
  assert.ok(row, 'algorithm.name has a reference row');
  assert.equal(row.type, ALGORITHM_NAMES.join(' \\| '));
  assert.match(row.description, /decentralized \(sgp, sparse-push, sc-sparse-push, dpsgd, choco\) or server-based \(ef-sgd, dagc-r, dagc-a\)/);
});
