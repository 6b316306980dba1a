import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, isStronglyConnected } from '../src/graph/index.js';
import { GraphError } from '../src/errors.js';

const peersOf = (spec: string, n: number, seed: number, t = 0): readonly (readonly number[])[] => createTopology(spec, n, { seed }).round(t).outPeers;

test('random topologies are deterministic in the seed and differ across seeds', () => {
  for (const spec of ['random-regular:3', 'random-regular:2', 'random-regular:9', 'erdos-renyi:0.3', 'erdos-renyi:0.3:fixed']) {
    assert.deepEqual(peersOf(spec, 12, 5), peersOf(spec, 12, 5), spec);
    assert.notDeepEqual(peersOf(spec, 12, 5), peersOf(spec, 12, 6), spec);
  }
});

test('erdos-renyi:p resamples each round as a pure function of (seed, t)', () => {
  const a = createTopology('erdos-renyi:0.4', 10, { seed: 9 });
  const b = createTopology('erdos-renyi:0.4', 10, { seed: 9 });
  const forward = [0, 1, 2, 3, 4, 5, 6, 7].map((t) => a.round(t).outPeers);
  const backward = [7, 6, 5, 4, 3, 2, 1, 0].map((t) => b.round(t).outPeers).reverse();
  assert.deepEqual(forward, backward);
  assert.notDeepEqual(forward[0], forward[1]);
  assert.equal(a.round(3).round, 3);
  assert.equal(a.period, Infinity);
  assert.ok(isStronglyConnected(a));
  // `:resample` is the explicit spelling of the default.
  assert.deepEqual(createTopology('erdos-renyi:0.4:resample', 10, { seed: 9 }).round(2).outPeers, forward[2]);
  // `:fixed` is round 0's draw, kept.
  const fixed = createTopology('erdos-renyi:0.4:fixed', 10, { seed: 9 });
  assert.deepEqual(fixed.round(0).outPeers, forward[0]);
  assert.deepEqual(fixed.round(5).outPeers, forward[0]);
});

test('erdos-renyi edge density is close to p and p = 1 is complete', () => {
  const n = 200;
  for (const p of [0.02, 0.1, 0.5]) {
    const topo = createTopology(`erdos-renyi:${p}`, n, { seed: 1 });
    let edges = 0;
    for (let t = 0; t < 5; t++) for (const peers of topo.round(t).outPeers) edges += peers.length;
    const density = edges / (5 * n * (n - 1));
    // ~ p +- a few standard deviations of a binomial over 199,000 pairs.
    assert.ok(Math.abs(density - p) < 5 * Math.sqrt((p * (1 - p)) / (5 * n * (n - 1))) + 1e-3, `p=${p}: density ${density}`);
  }
  const full = createTopology('erdos-renyi:1', 6).round(3);
  for (let i = 0; i < 6; i++) assert.equal(full.outPeers[i]!.length, 5);
});

test('random-regular:k is k-regular, undirected and connected', () => {
  for (const [k, n] of [[3, 10], [2, 15], [4, 9], [7, 10], [8, 9], [5, 40], [1, 2]] as const) {
    for (const seed of [1, 2, 3]) {
      const topo = createTopology(`random-regular:${k}`, n, { seed });
      const g = topo.round(0);
      for (let i = 0; i < n; i++) {
        assert.equal(g.outPeers[i]!.length, k, `k=${k} n=${n} node ${i}`);
        assert.deepEqual(g.outPeers[i], g.inPeers[i]);
      }
      assert.equal(topo.directed, false);
      assert.ok(isStronglyConnected(topo));
    }
  }
});

test('random-regular: impossible parameters are GraphErrors naming devices', () => {
  assert.throws(() => createTopology('random-regular:3', 7), (e: unknown) => e instanceof GraphError && /devices \* k even.*devices = 7/.test(e.message));
  assert.throws(() => createTopology('random-regular:5', 5), (e: unknown) => e instanceof GraphError && /devices = 5/.test(e.message));
  assert.throws(() => createTopology('random-regular:1', 6), (e: unknown) => e instanceof GraphError && /perfect matching/.test(e.message));
});
