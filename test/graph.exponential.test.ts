import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTopology, exponentialOffsets } from '../src/graph/index.js';
import { GraphError } from '../src/errors.js';

/**
 * Reference: SGP's NPeerDynamicDirectedExponentialGraph + GraphManager.get_peers, transcribed
 * loop for loop (phone book per rank; group indices 0..p-1 advanced by p mod L after each
 * round; in-peers = ranks whose phone book entry at a group index is me). The exponent bound uses
 * exact integer arithmetic (see exponential.ts for SGP's float-log difference).
 */
function sgpReference(n: number, p: number, rounds: number): { out: number[][]; in: number[][] }[] {
  let top = 0;
  while ((p + 1) ** (top + 1) <= n - 1) top++;
  const phoneBook: number[][] = [];
  for (let rank = 0; rank < n; rank++) {
    const group: number[] = [];
    for (let i = 0; i <= top; i++) {
      for (let j = 1; j <= p; j++) {
        const peer = (rank + j * (p + 1) ** i) % n;
        if (!group.includes(peer)) group.push(peer);
      }
    }
    phoneBook.push(group);
  }
  let groupIndices = Array.from({ length: p }, (_, g) => g);
  const result: { out: number[][]; in: number[][] }[] = [];
  for (let t = 0; t < rounds; t++) {
    const out: number[][] = [];
    const inn: number[][] = [];
    for (let rank = 0; rank < n; rank++) {
      const o: number[] = [];
      const ip: number[] = [];
      for (const gi of groupIndices) {
        o.push(phoneBook[rank]![gi]!);
        for (let other = 0; other < n; other++) {
          if (other !== rank && phoneBook[other]![gi] === rank) ip.push(other);
        }
      }
      out.push(o.sort((a, b) => a - b));
      inn.push(ip.sort((a, b) => a - b));
    }
    result.push({ out, in: inn });
    groupIndices = groupIndices.map((gi) => (gi + p) % phoneBook[0]!.length);
  }
  return result;
}

test('exponential:1 on 16 nodes: phone book +1, +2, +4, +8 and one peer per round', () => {
  assert.deepEqual(exponentialOffsets(16, 1), [1, 2, 4, 8]);
  const topo = createTopology('exponential:1', 16);
  assert.equal(topo.period, 4);
  assert.equal(topo.directed, true);
  const hops = [1, 2, 4, 8];
  for (let t = 0; t < 12; t++) {
    const g = topo.round(t);
    assert.equal(g.round, t);
    for (let r = 0; r < 16; r++) {
      const hop = hops[t % 4]!;
      assert.deepEqual(g.outPeers[r], [(r + hop) % 16], `round ${t} node ${r}`);
      assert.deepEqual(g.inPeers[r], [(r - hop + 16) % 16], `round ${t} node ${r}`);
      assert.equal(g.selfWeight[r], 0.5);
    }
  }
});

test('exponential:1 on 16 nodes matches the SGP graph manager round by round', () => {
  const topo = createTopology('exponential:1', 16);
  const ref = sgpReference(16, 1, 8);
  for (let t = 0; t < 8; t++) {
    assert.deepEqual(topo.round(t).outPeers, ref[t]!.out);
    assert.deepEqual(topo.round(t).inPeers, ref[t]!.in);
  }
});

test('exponential:2 on n not a power of 3 drops duplicate offsets', () => {
  // n = 5: offsets 1, 2, 3, 6 = 1 (dup) -> L = 3.
  assert.deepEqual(exponentialOffsets(5, 2), [1, 2, 3]);
  // n = 10: 1, 2, 3, 6, 9, 18 = 8.
  assert.deepEqual(exponentialOffsets(10, 2), [1, 2, 3, 6, 9, 8]);
  // n = 20: 1, 2, 3, 6, 9, 18, 27 = 7, 54 = 14.
  assert.deepEqual(exponentialOffsets(20, 2), [1, 2, 3, 6, 9, 18]);
  const topo = createTopology('exponential:2', 5);
  assert.equal(topo.period, 3);
  // Round t uses phone-book indices (0 + 2t) mod 3 and (1 + 2t) mod 3.
  const expected = [[1, 2], [3, 1], [2, 3]];
  for (let t = 0; t < 6; t++) {
    const g = topo.round(t);
    for (let r = 0; r < 5; r++) {
      const peers = expected[t % 3]!.map((o) => (r + o) % 5).sort((a, b) => a - b);
      assert.deepEqual(g.outPeers[r], peers, `round ${t} node ${r}`);
      assert.equal(g.selfWeight[r], 1 / 3);
    }
  }
});

test('exponential:p agrees with the SGP reference wherever SGP has no self-peer', () => {
  for (const [n, p] of [[5, 2], [10, 2], [13, 3], [9, 1], [17, 1], [30, 2], [7, 6], [26, 4]] as const) {
    const topo = createTopology(`exponential:${p}`, n);
    const L = exponentialOffsets(n, p).length;
    const ref = sgpReference(n, p, 2 * L);
    for (let t = 0; t < 2 * L; t++) {
      assert.deepEqual(topo.round(t).outPeers, ref[t]!.out, `n=${n} p=${p} round ${t}`);
      assert.deepEqual(topo.round(t).inPeers, ref[t]!.in, `n=${n} p=${p} round ${t}`);
    }
  }
});

test('exponential: offsets that are multiples of n (self) are dropped; exact exponent bound', () => {
  // n = 6, p = 2: SGP would list +6 = self; here it is dropped.
  assert.deepEqual(exponentialOffsets(6, 2), [1, 2, 3]);
  // n = 244, p = 2: n-1 = 3^5, so offsets reach 243 (SGP's float log stops at 3^4).
  const offsets = exponentialOffsets(244, 2);
  assert.ok(offsets.includes(243));
  assert.equal(offsets.length, 12);
});

test('exponential: period is L / gcd(L, p) and every phone-book entry is used within it', () => {
  for (const [n, p] of [[9, 2], [16, 1], [10, 2], [64, 3]] as const) {
    const offsets = exponentialOffsets(n, p);
    const topo = createTopology(`exponential:${p}`, n);
    const used = new Set<number>();
    for (let t = 0; t < topo.period; t++) for (const peer of topo.round(t).outPeers[0]!) used.add(peer);
    assert.deepEqual([...used].sort((a, b) => a - b), [...offsets].sort((a, b) => a - b), `n=${n} p=${p}`);
    assert.deepEqual(topo.round(topo.period).outPeers, topo.round(0).outPeers);
  }
  assert.equal(createTopology('exponential:2', 9).period, 2); // offsets 1, 2, 3, 6: L = 4, gcd 2
});

test('exponential: p > n - 1 is a GraphError naming devices', () => {
  assert.throws(() => createTopology('exponential:4', 4), (e: unknown) => e instanceof GraphError && /devices = 4/.test(e.message));
});
