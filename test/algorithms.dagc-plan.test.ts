import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dagcRatios, dagcThresholds, volumeShares } from '../src/algorithms/dagc-plan.js';
import { dagcCommand } from '../src/cli/dagc.js';
import { InputError } from '../src/errors.js';

const close = (a: number, b: number, rel = 1e-12) => assert.ok(Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b)), `${a} != ${b}`);
const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
/** Arithmetic series of n volumes with largest / smallest = sr (the paper's volume skew). */
const arithmetic = (n: number, sr: number, smallest = 100) => Array.from({ length: n }, (_, i) => smallest + (i * (sr - 1) * smallest) / (n - 1));

test('equal volumes (IID) give uniform ratios and thresholds', () => {
  for (const n of [2, 3, 10, 15]) {
    const volumes = new Array(n).fill(600);
    for (const r of dagcRatios(volumes, 0.001)) close(r, 0.001);
    for (const l of dagcThresholds(volumes, 0.05)) close(l, 0.05);
  }
});

test('distinct volumes: ratios follow p^(2/3), smallest worker tied to the second smallest, mean = budget', () => {
  for (const sr of [10, 100, 1000]) {
    const volumes = arithmetic(10, sr);
    const p = volumeShares(volumes);
    const ratios = dagcRatios(volumes, 0.001);
    close(mean(ratios), 0.001);
    // indices 0 (smallest) and 1 (second smallest) are tied; the rest scale as p^(2/3) against index 1
    close(ratios[0]!, ratios[1]!);
    for (let i = 2; i < 10; i++) close(ratios[i]! / ratios[1]!, Math.pow(p[i]! / p[1]!, 2 / 3), 1e-10);
    // larger workers are compressed less
    for (let i = 1; i < 10; i++) assert.ok(ratios[i]! > ratios[i - 1]! || i === 1);
  }
});

test('hand-computed two- and three-worker cases', () => {
  // n = 2: j = n is the only admissible tie (r = n - 1 = the other worker): both get the budget.
  const two = dagcRatios([900, 100], 0.01);
  close(two[0]!, 0.01); close(two[1]!, 0.01);
  // n = 3, p = (4, 2, 1)/7: candidates j = 3 (r = 2) and j = 2, j = 1 (r = 3); phi picks the smallest.
  const p = [4 / 7, 2 / 7, 1 / 7];
  const q = p.map((x) => Math.pow(x, 2 / 3));
  const P = q[0]! + q[1]! + q[2]!;
  const cands = [2, 1, 0].map((j) => {
    const r = j === 2 ? 1 : 2;
    const Q = (P - q[j]!) / q[r]!;
    const phi = p[j]! * (1 + Q) + p[r]! * Q * (1 + Q);
    const d = q.map((qk) => (3 * 0.1) / (Q + 1) * qk / q[r]!);
    d[j] = (3 * 0.1) / (Q + 1);
    return { phi, d };
  }).sort((a, b) => a.phi - b.phi);
  const got = dagcRatios([400, 200, 100], 0.1);
  got.forEach((v, i) => close(v, cands[0]!.d[i]!));
});

test('inputs in any order: the plan is permuted with them', () => {
  const volumes = [5000, 1200, 800, 300, 2500, 40];
  const base = dagcRatios(volumes, 0.01);
  const baseT = dagcThresholds(volumes, 0.05);
  const perm = [3, 0, 5, 2, 4, 1];
  const shuffled = perm.map((i) => volumes[i]!);
  dagcRatios(shuffled, 0.01).forEach((r, k) => close(r, base[perm[k]!]!));
  dagcThresholds(shuffled, 0.05).forEach((l, k) => close(l, baseT[perm[k]!]!));
});

test('ties among volumes are handled (skipped tie candidates) and the mean still equals the budget', () => {
  const volumes = [300, 300, 100, 100, 50];
  const r = dagcRatios(volumes, 0.002);
  close(mean(r), 0.002);
  close(r[0]!, r[1]!); close(r[2]!, r[3]!);
});

test('DAGC-A thresholds: sum of 1/lambda_i = n/lambdaBar, larger workers get lower thresholds', () => {
  const volumes = arithmetic(10, 100);
  const l = dagcThresholds(volumes, 0.05);
  close(l.reduce((s, x) => s + 1 / x, 0), 10 / 0.05, 1e-10);
  for (let i = 1; i < 10; i++) assert.ok(l[i]! < l[i - 1]!);
});

test('bad input: zero, negative, non-numeric volumes and ratios outside (0, 1]', () => {
  for (const v of [[0, 1], [-5, 10], [Number.NaN, 3], [Infinity, 1], ['7' as unknown as number, 2], []]) {
    assert.throws(() => dagcRatios(v, 0.01), InputError);
    assert.throws(() => dagcThresholds(v, 0.01), InputError);
  }
  for (const r of [0, -0.1, 1.5, Number.NaN]) assert.throws(() => dagcRatios([1, 2], r), /meanRatio/);
  assert.throws(() => dagcThresholds([1, 2], 0), /lambdaBar/);
  assert.throws(() => dagcRatios([1e6, 10, 1], 0.9), /too large/);
});

function capture() {
  const out: string[] = []; const err: string[] = [];
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s) }, out, err };
}

test('CLI: --json plan, table, --help, and bad input exits 2 naming the flag', async () => {
  let c = capture();
  assert.equal(await dagcCommand(['--volumes', '5000,1200,800', '--ratio', '0.001', '--json'], c.io), 0);
  const plan = JSON.parse(c.out.join(''));
  assert.equal(plan.method, 'dagc-r');
  plan.ratios.forEach((r: number, i: number) => close(r, dagcRatios([5000, 1200, 800], 0.001)[i]!));
  c = capture();
  assert.equal(await dagcCommand(['--volumes=10,10', '--threshold=0.05'], c.io), 0);
  assert.match(c.out.join(''), /DAGC-A/);
  c = capture();
  assert.equal(await dagcCommand(['--help'], c.io), 0);
  assert.match(c.out.join(''), /Examples/);
  for (const args of [['--volumes', '5,0', '--ratio', '0.1'], ['--volumes', '5,x', '--ratio', '0.1'], ['--volumes', '5,6', '--ratio', '2'],
    ['--volumes', '5,6'], ['--ratio', '0.1'], ['--volumes', '5,6', '--ratio', '0.1', '--threshold', '1'], ['--bogus']]) {
    c = capture();
    assert.equal(await dagcCommand(args, c.io), 2, args.join(' '));
    assert.equal(c.err.join('').trim().split('\n').length, 1);
    assert.match(c.err.join(''), /--|argument/);
  }
});
