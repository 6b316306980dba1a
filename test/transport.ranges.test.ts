// Device ranges of a multi-host run: contiguous, covering every device, near-equal, and each cut at
// the place of its window that the fewest schedule edges cross (checked against a brute-force count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../src/errors.js';
import { createTopology } from '../src/graph/registry.js';
import type { Topology } from '../src/graph/types.js';
import { hostRanges } from '../src/transport/nats/ranges.js';

/** Edges (over the first `rounds` rounds) between devices < c and devices >= c, counted one by one. */
function crossing(t: Topology, c: number, rounds: number): number {
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    const out = t.round(r).outPeers;
    for (let j = 0; j < t.n; j++) for (const p of out[j]!) if ((j < c) !== (p < c)) k++;
  }
  return k;
}

function checkCover(ranges: { from: number; to: number }[], n: number, hosts: number): void {
  assert.equal(ranges.length, hosts);
  assert.equal(ranges[0]!.from, 0);
  assert.equal(ranges.at(-1)!.to, n);
  for (let k = 0; k < hosts; k++) {
    assert.ok(ranges[k]!.to > ranges[k]!.from, `host ${k} holds no device`);
    if (k > 0) assert.equal(ranges[k]!.from, ranges[k - 1]!.to);
  }
}

test('ranges cover the devices contiguously; a cut leaves the equal split only for far fewer crossing edges', () => {
  for (const [spec, n, hosts] of [['random-regular:4', 200, 3], ['exponential:1', 1000, 4], ['exponential:1', 32, 3], ['exponential:1', 2000, 2], ['ring', 128, 2]] as const) {
    const topology = createTopology(spec, n, { seed: 5 });
    const ranges = hostRanges(n, hosts, topology);
    checkCover(ranges, n, hosts);
    const rounds = Math.min(topology.period, 64);
    const window = Math.floor(n / (8 * hosts));
    const nudge = Math.floor(n / (100 * hosts));
    for (let k = 1; k < hosts; k++) {
      const ideal = Math.round((n * k) / hosts);
      const cut = ranges[k]!.from;
      const best = Math.min(...Array.from({ length: 2 * window + 1 }, (_, i) => ideal - window + i).filter((c) => c > ranges[k - 1]!.from && c < n).map((c) => crossing(topology, c, rounds)));
      const atIdeal = crossing(topology, ideal, rounds);
      if (best <= 0.75 * atIdeal) {
        assert.equal(crossing(topology, cut, rounds), best, `${spec} n=${n}: cut ${cut} is not the least crossed of its window`);
      } else {
        // No cut worth unequal hosts: the equal split, or a block boundary at most 1% of a range away crossed no more.
        assert.ok(cut === ideal || (cut % 32 === 0 && Math.abs(cut - ideal) <= nudge && crossing(topology, cut, rounds) <= atIdeal), `${spec} n=${n}: cut ${cut}, equal split ${ideal}`);
      }
    }
  }
});

test('a cut moves to where two clusters meet, and among equal cuts a whole reduction block wins', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-ranges-'));
  try {
    // Two cliques [0, 47) and [47, 100) joined by one edge: the equal split (50) would cut many edges.
    const lines: string[] = [];
    const clique = (a: number, b: number): void => { for (let i = a; i < b; i++) for (let j = a; j < b; j++) if (i !== j && (j - i + (b - a)) % (b - a) <= 3) lines.push(`${i} ${j}`); };
    clique(0, 47);
    clique(47, 100);
    lines.push('46 47', '47 46');
    const file = join(dir, 'clusters.txt');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const topology = createTopology(`edges:${file}`, 100);
    assert.deepEqual(hostRanges(100, 2, topology), [{ from: 0, to: 47 }, { from: 47, to: 100 }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // A ring: every cut is crossed alike, so the nearest block boundary within 1% of a range wins over the equal split.
  assert.deepEqual(hostRanges(6400, 3, createTopology('ring', 6400)), [{ from: 0, to: 2144 }, { from: 2144, to: 4256 }, { from: 4256, to: 6400 }]);
  // Exponential graphs: most edges cross any cut; a few percent fewer messages are not worth unequal hosts.
  assert.deepEqual(hostRanges(32, 3, createTopology('exponential:1', 32)), [{ from: 0, to: 11 }, { from: 11, to: 21 }, { from: 21, to: 32 }]);
  // No graph (no preference): the equal split.
  assert.deepEqual(hostRanges(10, 3, null), [{ from: 0, to: 3 }, { from: 3, to: 7 }, { from: 7, to: 10 }]);
});

test('more hosts than devices is a config error naming hosts', () => {
  assert.throws(() => hostRanges(4, 5, null), (err: unknown) => err instanceof ConfigError && err.key === 'hosts' && /5 hosts for 4 devices/.test(err.message));
  assert.throws(() => hostRanges(4, 0, null), (err: unknown) => err instanceof ConfigError && err.key === 'hosts');
});
