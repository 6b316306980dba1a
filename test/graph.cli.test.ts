import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topologyCommand } from '../src/cli/topology.js';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await topologyCommand(argv, { stdout: (s) => { out += s; }, stderr: (s) => { err += s; } });
  return { code, out, err };
}

test('--json output of exponential:1 --nodes 16 --rounds 8', async () => {
  const { code, out, err } = await run(['exponential:1', '--nodes', '16', '--rounds', '8', '--json']);
  assert.equal(code, 0);
  assert.equal(err, '');
  const parsed = JSON.parse(out) as { rounds: { round: number; edges: [number, number, number][] }[]; spectralGap: number };
  assert.deepEqual(Object.keys(parsed), ['rounds', 'spectralGap']);
  assert.equal(parsed.rounds.length, 8);
  const hops = [1, 2, 4, 8];
  parsed.rounds.forEach((r, t) => {
    assert.deepEqual(Object.keys(r), ['round', 'edges']);
    assert.equal(r.round, t);
    const expected: [number, number, number][] = [];
    for (let i = 0; i < 16; i++) expected.push([i, i, 0.5], [i, (i + hops[t % 4]!) % 16, 0.5]);
    expected.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    assert.deepEqual(r.edges, expected);
  });
  assert.ok(Math.abs(parsed.spectralGap - 0.25) < 1e-12);
});

test('default rounds = period capped at 64; the table names period, direction, connectivity and gap', async () => {
  const json = JSON.parse((await run(['exponential:1', '--nodes', '16', '--json'])).out) as { rounds: unknown[] };
  assert.equal(json.rounds.length, 4);
  const resampled = JSON.parse((await run(['erdos-renyi:0.3', '--nodes', '5', '--json', '--seed', '4'])).out) as { rounds: unknown[] };
  assert.equal(resampled.rounds.length, 64);
  const { code, out } = await run(['star', '--nodes=4']);
  assert.equal(code, 0);
  assert.match(out, /round 0\n\s+node\s+weight\s+out-peers\n\s+0\s+1\/4\s+1 2 3\n\s+1\s+1\/2\s+0\n/);
  assert.match(out, /period\s+1 round\n/);
  assert.match(out, /directed\s+no/);
  assert.match(out, /strongly connected\s+yes/);
  assert.match(out, /spectral gap\s+0\.500000 .*dense QR/);
});

test('--help prints usage with examples', async () => {
  const { code, out } = await run(['--help']);
  assert.equal(code, 0);
  assert.match(out, /^Usage: sparsepush topology SPEC --nodes N/);
  assert.match(out, /Examples:\n\s+sparsepush topology exponential:1 --nodes 16/);
});

test('bad input: exit 2 and one line on stderr naming the flag', async () => {
  const cases: [string[], RegExp][] = [
    [['exponential:1'], /--nodes is required/],
    [['exponential:1', '--nodes'], /--nodes: expected an integer >= 2, got ''/],
    [['exponential:1', '--nodes', '1'], /--nodes: expected an integer >= 2, got '1'/],
    [['exponential:1', '--nodes', 'abc'], /--nodes: expected an integer >= 2/],
    [['exponential:1', '--nodes', '8', '--rounds', '0'], /--rounds: expected an integer/],
    [['exponential:1', '--nodes', '8', '--seed', '-2'], /--seed: expected an integer/],
    [['exponential:1', '--nodes', '8', '--bogus'], /unknown flag '--bogus'/],
    [['--nodes', '8'], /missing SPEC/],
    [['hypercube', '--nodes', '8'], /SPEC 'hypercube' with --nodes 8: bad spec 'hypercube': unknown topology/],
    [['torus', '--nodes', '14'], /SPEC 'torus' with --nodes 14: .*no such factorization/],
    [['ring', 'star', '--nodes', '4'], /unexpected argument 'star'/],
  ];
  for (const [argv, pattern] of cases) {
    const { code, out, err } = await run(argv);
    assert.equal(code, 2, argv.join(' '));
    assert.equal(out, '');
    assert.match(err, pattern, argv.join(' '));
    assert.equal(err.trimEnd().split('\n').length, 1, 'one line');
  }
});

test('a graph that is not strongly connected prints its report and exits 1', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-cli-'));
  const file = join(dir, 'chain.txt');
  writeFileSync(file, '0 1\n1 2\n');
  const { code, out, err } = await run([`edges:${file}`, '--nodes', '3']);
  assert.equal(code, 1);
  assert.match(out, /strongly connected\s+NO: no path from node 1 to node 0/);
  assert.match(err, /not strongly connected/);
});

test('large non-circulant graphs skip the gap unless --gap', async () => {
  const json = JSON.parse((await run(['star', '--nodes', '600', '--rounds', '1', '--json'])).out) as { spectralGap: number | null };
  assert.equal(json.spectralGap, null);
  const { out } = await run(['star', '--nodes', '600', '--rounds', '1']);
  assert.match(out, /spectral gap\s+skipped: .*--gap/);
});
