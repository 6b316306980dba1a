import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  assertStronglyConnected, createTopology, isStronglyConnected, mixingMatrix, periodAverageMatrix, type RoundGraph, type Topology,
} from '../src/graph/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sparsepush-graph-'));
const edgesFile = join(dir, 'cycle-plus.txt');
// A directed 6-cycle plus two chords.
writeFileSync(edgesFile, '# directed cycle\n0 1\n1 2\n2 3\n3 4\n4 5\n5 0\n0 3 # chord\n2 5\n');

const CASES: [string, number][] = [
  ['ring', 2], ['ring', 7], ['directed-ring', 2], ['directed-ring', 7], ['torus', 12], ['torus:3x5', 15], ['torus', 16],
  ['complete', 6], ['star', 6], ['random-regular:3', 10], ['random-regular:2', 9], ['random-regular:7', 10],
  ['random-regular:4', 9], ['erdos-renyi:0.3', 8], ['erdos-renyi:0.5:fixed', 8], [`edges:${edgesFile}`, 6],
  ['exponential:1', 16], ['exponential:1', 10], ['exponential:2', 10], ['exponential:3', 7], ['exponential:2', 9],
];

/** The rounds checked: the period (twice, to exercise the cache), or 8 rounds of a resampled schedule. */
function roundsOf(topo: Topology): RoundGraph[] {
  const count = Number.isFinite(topo.period) ? 2 * topo.period : 8;
  return Array.from({ length: count }, (_, t) => topo.round(t));
}

for (const [spec, n] of CASES) {
  test(`${spec} on ${n} nodes: round graphs are well formed and column-stochastic`, () => {
    const topo = createTopology(spec, n, { seed: 11 });
    assert.equal(topo.n, n);
    assert.equal(topo.spec, spec);
    for (const g of roundsOf(topo)) {
      assert.equal(g.outPeers.length, n);
      assert.equal(g.inPeers.length, n);
      assert.equal(g.selfWeight.length, n);
      for (let i = 0; i < n; i++) {
        const out = g.outPeers[i]!;
        const inn = g.inPeers[i]!;
        for (let k = 1; k < out.length; k++) assert.ok(out[k - 1]! < out[k]!, `outPeers[${i}] ascending`);
        for (let k = 1; k < inn.length; k++) assert.ok(inn[k - 1]! < inn[k]!, `inPeers[${i}] ascending`);
        assert.ok(!out.includes(i) && !inn.includes(i), 'no self-loops in peer lists');
        assert.equal(g.selfWeight[i], 1 / (out.length + 1));
        // j in outPeers[i] iff i in inPeers[j]
        for (const j of out) assert.ok(g.inPeers[j]!.includes(i), `round ${g.round}: ${i} -> ${j} missing from inPeers[${j}]`);
        for (const j of inn) assert.ok(g.outPeers[j]!.includes(i), `round ${g.round}: ${j} -> ${i} missing from outPeers[${j}]`);
      }
      const w = mixingMatrix(g);
      for (let j = 0; j < n; j++) {
        let col = 0;
        for (let i = 0; i < n; i++) col += w[i * n + j]!;
        assert.ok(Math.abs(col - 1) < 1e-12, `round ${g.round} column ${j} sums to ${col}`);
      }
      const degrees = new Set<number>();
      for (let i = 0; i < n; i++) degrees.add(g.outPeers[i]!.length).add(g.inPeers[i]!.length);
      if (degrees.size === 1) {
        for (let i = 0; i < n; i++) {
          let row = 0;
          for (let j = 0; j < n; j++) row += w[i * n + j]!;
          assert.ok(Math.abs(row - 1) < 1e-12, `regular round ${g.round}: row ${i} sums to ${row}`);
        }
      }
    }
  });

  test(`${spec} on ${n} nodes: union over the period is strongly connected`, () => {
    const topo = createTopology(spec, n, { seed: 11 });
    assert.ok(isStronglyConnected(topo));
    assertStronglyConnected(topo);
    const avg = periodAverageMatrix(topo);
    for (let j = 0; j < n; j++) {
      let col = 0;
      for (let i = 0; i < n; i++) col += avg[i * n + j]!;
      assert.ok(Math.abs(col - 1) < 1e-12);
    }
  });
}

test('regular topologies are doubly stochastic in every round', () => {
  for (const [spec, n] of [['ring', 9], ['torus', 20], ['complete', 5], ['random-regular:3', 12], ['exponential:2', 11], ['directed-ring', 4]] as const) {
    const topo = createTopology(spec, n, { seed: 3 });
    for (const g of roundsOf(topo)) {
      const w = mixingMatrix(g);
      for (let i = 0; i < n; i++) {
        let row = 0;
        for (let j = 0; j < n; j++) row += w[i * n + j]!;
        assert.ok(Math.abs(row - 1) < 1e-12, `${spec}: row ${i} sums to ${row}`);
      }
    }
  }
});

test('directed flag, periods and shapes', () => {
  const expect: [string, number, boolean, number][] = [
    ['ring', 8, false, 1], ['directed-ring', 8, true, 1], ['directed-ring', 2, false, 1], ['torus', 9, false, 1],
    ['complete', 4, false, 1], ['star', 5, false, 1], ['random-regular:3', 8, false, 1], ['exponential:1', 16, true, 4],
    ['exponential:1', 2, false, 1], ['erdos-renyi:0.5', 6, true, Infinity], ['erdos-renyi:0.5:fixed', 6, true, 1],
  ];
  for (const [spec, n, directed, period] of expect) {
    const topo = createTopology(spec, n, { seed: 2 });
    assert.equal(topo.directed, directed, `${spec} n=${n} directed`);
    assert.equal(topo.period, period, `${spec} n=${n} period`);
  }
  const star = createTopology('star', 5).round(0);
  assert.deepEqual(star.outPeers, [[1, 2, 3, 4], [0], [0], [0], [0]]);
  assert.deepEqual(Array.from(star.selfWeight), [0.2, 0.5, 0.5, 0.5, 0.5]);
  // 3 x 4 torus: node 5 = (row 1, col 1).
  assert.deepEqual(createTopology('torus', 12).round(0).outPeers[5], [1, 4, 6, 9]);
  assert.deepEqual(createTopology('ring', 2).round(0).outPeers, [[1], [0]]);
});

test('periodic schedules return the cached graph of t mod period, labelled with round t', () => {
  const topo = createTopology('exponential:1', 16);
  const a = topo.round(1);
  const b = topo.round(5);
  assert.equal(b.round, 5);
  assert.equal(a.outPeers, b.outPeers);
  assert.equal(a.selfWeight, b.selfWeight);
  assert.throws(() => topo.round(-1), /round must be an integer >= 0/);
  assert.throws(() => topo.round(1.5), /round must be an integer >= 0/);
});

test('mixingMatrix: W[i][j] = a_j for i in O_j or i = j', () => {
  const g = createTopology('star', 4).round(0);
  const w = mixingMatrix(g);
  assert.deepEqual(Array.from(w), [
    0.25, 0.5, 0.5, 0.5,
    0.25, 0.5, 0, 0,
    0.25, 0, 0.5, 0,
    0.25, 0, 0, 0.5,
  ]);
  const avg = periodAverageMatrix(createTopology('exponential:1', 4)); // offsets 1, 2
  assert.deepEqual(Array.from(avg.slice(0, 4)), [0.5, 0, 0.25, 0.25]);
});
