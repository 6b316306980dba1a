import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertStronglyConnected, createTopology, parseEdgeList } from '../src/graph/index.js';
import { GraphError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sparsepush-edges-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function graphError(pattern: RegExp): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof GraphError, `expected GraphError, got ${String(e)}`);
    assert.match((e as GraphError).message, pattern);
    return true;
  };
}

test('edges file: comments, blank lines, directed edges', () => {
  const path = file('ok.txt', '# a directed triangle\n\n0 1\n1\t2   # tab separated\r\n2 0\n   \n');
  const topo = createTopology(`edges:${path}`, 3);
  assert.equal(topo.directed, true);
  assert.equal(topo.period, 1);
  assert.deepEqual(topo.round(0).outPeers, [[1], [2], [0]]);
  assert.deepEqual(topo.round(0).inPeers, [[2], [0], [1]]);
  assertStronglyConnected(topo);
});

test('edges file errors name the file and line', () => {
  const cases: [string, RegExp][] = [
    ['0 1\n1 2 3\n', /bad\.txt:2: expected 'from to'.*'1 2 3'/],
    ['0 1\n\n# c\nx y\n', /bad\.txt:4: expected 'from to'/],
    ['0 -1\n', /bad\.txt:1: expected 'from to'/],
    ['0 1\n1 2.5\n', /bad\.txt:2: expected 'from to'/],
    ['0 1\n1 7\n', /bad\.txt:2: node 7 is out of range for devices = 4/],
    ['0 1\n2 2\n', /bad\.txt:2: self-loop 2 -> 2/],
    ['0 1\n1 0\n0 1\n', /bad\.txt:3: repeated edge 0 -> 1 \(first on line 1\)/],
  ];
  for (const [text, pattern] of cases) {
    const path = file('bad.txt', text);
    assert.throws(() => createTopology(`edges:${path}`, 4), graphError(pattern), text);
  }
  assert.throws(() => parseEdgeList('3 1\n', 'inline.txt', 3), graphError(/inline\.txt:1: node 3 is out of range/));
});

test('a deliberately disconnected edges file raises GraphError naming spec, n and a pair', () => {
  // 0 <-> 1 <-> 2 and 3 <-> 4: no path between the two parts.
  const path = file('split.txt', '0 1\n1 0\n1 2\n2 1\n3 4\n4 3\n');
  const topo = createTopology(`edges:${path}`, 5);
  assert.throws(() => assertStronglyConnected(topo),
    graphError(new RegExp(`'edges:${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}' with devices = 5 is not strongly connected over its period of 1 round: no path from node 0 to node 3`)));
  // Weakly connected but not strongly: 0 -> 1 -> 2, nothing back.
  const chain = createTopology(`edges:${file('chain.txt', '0 1\n1 2\n')}`, 3);
  assert.throws(() => assertStronglyConnected(chain), graphError(/no path from node 1 to node 0/));
  // An isolated node (no edges at all) is caught too.
  const isolated = createTopology(`edges:${file('iso.txt', '0 1\n1 0\n')}`, 3);
  assert.throws(() => assertStronglyConnected(isolated), graphError(/no path from node 0 to node 2/));
});

test('missing edges file, relative paths and injected readers', () => {
  assert.throws(() => createTopology(`edges:${join(dir, 'nope.txt')}`, 3), graphError(/nope\.txt': cannot read it/));
  file('rel.txt', '0 1\n1 0\n');
  const rel = createTopology('edges:rel.txt', 2, { baseDir: dir });
  assert.deepEqual(rel.round(0).outPeers, [[1], [0]]);
  assert.equal(rel.directed, false);
  const injected = createTopology('edges:virtual.txt', 2, { readText: (p) => { assert.equal(p, 'virtual.txt'); return '1 0\n0 1\n'; } });
  assert.deepEqual(injected.round(0).inPeers, [[1], [0]]);
});
