import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, parseTopologySpec, torusShape } from '../src/graph/index.js';
import { ConfigError, GraphError, SpecError } from '../src/errors.js';

test('parseTopologySpec accepts every documented form', () => {
  assert.deepEqual(parseTopologySpec('ring'), { kind: 'ring' });
  assert.deepEqual(parseTopologySpec('directed-ring'), { kind: 'directed-ring' });
  assert.deepEqual(parseTopologySpec('complete'), { kind: 'complete' });
  assert.deepEqual(parseTopologySpec('star'), { kind: 'star' });
  assert.deepEqual(parseTopologySpec('torus'), { kind: 'torus' });
  assert.deepEqual(parseTopologySpec('torus:4x8'), { kind: 'torus', rows: 4, cols: 8 });
  assert.deepEqual(parseTopologySpec('random-regular:4'), { kind: 'random-regular', k: 4 });
  assert.deepEqual(parseTopologySpec('erdos-renyi:0.25'), { kind: 'erdos-renyi', p: 0.25, fixed: false });
  assert.deepEqual(parseTopologySpec('erdos-renyi:.5:resample'), { kind: 'erdos-renyi', p: 0.5, fixed: false });
  assert.deepEqual(parseTopologySpec('erdos-renyi:1:fixed'), { kind: 'erdos-renyi', p: 1, fixed: true });
  assert.deepEqual(parseTopologySpec('edges:graphs/a:b.txt'), { kind: 'edges', file: 'graphs/a:b.txt' });
  assert.deepEqual(parseTopologySpec('exponential:2'), { kind: 'exponential', p: 2 });
});

test('parseTopologySpec rejects unknown names and bad parameters with a SpecError naming the spec', () => {
  const bad = ['', 'hypercube', 'ring:3', 'star:1', 'torus:4', 'torus:2x8', 'torus:4x', 'random-regular', 'random-regular:0',
    'random-regular:2.5', 'erdos-renyi', 'erdos-renyi:0', 'erdos-renyi:1.5', 'erdos-renyi:abc', 'erdos-renyi:0.1:sometimes',
    'edges', 'edges:', 'exponential', 'exponential:0', 'exponential:-1', 'exponential:1:2', 'Ring'];
  for (const spec of bad) {
    assert.throws(() => parseTopologySpec(spec), (e: unknown) => {
      assert.ok(e instanceof SpecError, `${spec}: ${String(e)}`);
      assert.equal((e as SpecError).spec, spec);
      assert.ok((e as SpecError).message.includes(`'${spec}'`));
      return true;
    }, spec);
  }
  assert.throws(() => parseTopologySpec('hypercube'), /unknown topology 'hypercube'; expected one of ring, directed-ring/);
});

test('every topology validates devices (< 2 or non-integer -> ConfigError naming devices)', () => {
  for (const spec of ['ring', 'directed-ring', 'torus', 'complete', 'star', 'random-regular:1', 'erdos-renyi:0.5', 'exponential:1', 'edges:x']) {
    for (const n of [1, 0, -3, 2.5, NaN]) {
      assert.throws(() => createTopology(spec, n, { readText: () => '' }), (e: unknown) => e instanceof ConfigError && e.key === 'devices' && e.message.includes(spec), `${spec} n=${n}`);
    }
  }
  assert.throws(() => createTopology('erdos-renyi:0.5', 4, { seed: -1 }), (e: unknown) => e instanceof ConfigError && e.key === 'seed');
});

test('torus shapes: closest to square with sides >= 3, or a clear error', () => {
  assert.deepEqual(torusShape(36), { rows: 6, cols: 6 });
  assert.deepEqual(torusShape(24), { rows: 4, cols: 6 });
  assert.deepEqual(torusShape(27), { rows: 3, cols: 9 });
  assert.deepEqual(torusShape(9), { rows: 3, cols: 3 });
  for (const n of [2, 4, 6, 8, 10, 14, 13]) assert.equal(torusShape(n), undefined, `n=${n}`);
  assert.throws(() => createTopology('torus', 14), (e: unknown) => e instanceof GraphError && /devices = 14 has no such factorization/.test(e.message));
  assert.throws(() => createTopology('torus:4x4', 15), (e: unknown) => e instanceof GraphError && /4 x 4 = 16 nodes but devices = 15/.test(e.message));
  assert.deepEqual(createTopology('torus:3x4', 12).round(0).outPeers[0], [1, 3, 4, 8]);
});
