// The committed-results machinery of bench/repro: which evaluations a committed run keeps,
// the {{fact}} language of the results text, and how a recorded invocation is read back.
// Synthetic runs only; `npm run results:check` checks the real ones.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MetricsRecord, RunSummaryFile } from '../src/metrics/records.js';
import { invocationArgs } from '../bench/repro/build-results.js';
import { firstReaching } from '../bench/repro/common.js';
import { Facts, lintNumbers } from '../bench/repro/facts.js';
import { canonicalJson, keepMetrics, MAX_EVALS, type RunRecord } from '../bench/repro/results-data.js';

/** A deterministic noisy learning curve of n evaluations. */
function curve(n: number, seed: number): MetricsRecord[] {
  let x = seed;
  const out: MetricsRecord[] = [];
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const noise = (x / 2147483648 - 0.5) * 0.08;
    out.push({ round: 10 * i, accuracy: Math.min(0.95, 0.1 + 0.8 * (1 - Math.exp(-i / 40)) + noise), bitsSent: 1000 * i });
  }
  return out;
}

test('keepMetrics: short runs keep everything; long ones keep the exact first-reaching evaluation of every target and the last two', () => {
  const short = curve(MAX_EVALS, 3);
  assert.deepEqual(keepMetrics(short), { metrics: short, kept: 'all' });
  for (const seed of [1, 2, 3, 4, 5]) {
    const full = curve(5 * MAX_EVALS + 7, seed);
    const { metrics, kept } = keepMetrics(full);
    assert.equal(kept, 'milestones');
    assert.ok(metrics.length < full.length);
    for (let t = 0.05; t <= 0.95; t += 0.005) {
      assert.deepEqual(firstReaching(metrics, t), firstReaching(full, t), `target ${t.toFixed(3)}, seed ${seed}`);
    }
    assert.deepEqual(metrics.slice(-2), full.slice(-2));
    // Kept in the original order, each one of the originals.
    for (let i = 1; i < metrics.length; i++) assert.ok(metrics[i]!.round > metrics[i - 1]!.round);
  }
});

test('canonicalJson: the same object in any key order gives the same text', () => {
  assert.equal(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } }), canonicalJson({ a: { c: null, d: [1, { e: 3, f: 2 }] }, b: 1 }));
  assert.notEqual(canonicalJson({ a: 1 }), canonicalJson({ a: 2 }));
});

function run(id: string, over: { algorithm?: string; compressor?: string; seed: number; acc: number; gamma?: number; bits?: number; metrics?: MetricsRecord[] }): RunRecord {
  const algorithm = over.algorithm ?? 'sparse-push';
  const config = {
    name: id, seed: over.seed, devices: 16, rounds: 100, evalEvery: 10, model: 'logistic',
    data: { train: 'fashion-mnist', test: 'fashion-mnist:test', partition: 'skew:1', volume: 'equal' },
    algorithm: { name: algorithm, lr: 0.05, lrSchedule: 'constant', momentum: 0.9, gamma: over.gamma ?? (algorithm === 'sgp' ? 1 : 0.2), memory: 'choco' },
    compressor: over.compressor ?? (algorithm === 'sgp' ? 'none' : 'topk:0.01'),
  };
  const summary = {
    name: id, version: '0.2.0', config, paramsHash: id, backend: 'wasm', wallTimeS: 1, rounds: 100,
    final: { round: 100, accuracy: over.acc, bitsSent: over.bits ?? 1000, compressionRatio: 2, consensusDistance: 0.5 },
  } as unknown as RunSummaryFile;
  return { id, summary, metrics: over.metrics ?? [], kept: over.metrics ? 'all' : 'none' };
}

function facts(): Facts {
  const f = new Facts();
  f.addCollection('s/full', [
    run('sgp-1', { algorithm: 'sgp', seed: 1, acc: 0.80, bits: 64000 }),
    run('sgp-2', { algorithm: 'sgp', seed: 2, acc: 0.82, bits: 64000 }),
    run('sp-1', { seed: 1, acc: 0.70, metrics: [{ round: 0, accuracy: 0.1 }, { round: 10, accuracy: 0.75 }, { round: 20, accuracy: 0.7 }] }),
    run('sp-2', { seed: 2, acc: 0.72, metrics: [{ round: 0, accuracy: 0.1 }, { round: 10, accuracy: 0.6 }, { round: 20, accuracy: 0.76 }] }),
    run('sc-1', { algorithm: 'sc-sparse-push', seed: 1, acc: 0.75 }),
    run('sc-2', { algorithm: 'sc-sparse-push', seed: 2, acc: 0.78 }),
    run('sp-g-1', { seed: 1, acc: 0.5, gamma: 0.05 }),
  ]);
  return f;
}

test('facts: statistics over the selected runs', () => {
  const f = facts();
  const ev = (e: string): string => f.evaluate(e, 's/full');
  assert.equal(ev('acc sgp'), '81.00');
  assert.equal(ev('accsd sgp'), '81.00 ± 1.41');
  assert.equal(ev('accs sparse-push g0.2'), '70.00 / 72.00');
  assert.equal(ev('acc:1 sparse-push g0.2 s2'), '72.0');
  // Paired by seed, signed: (70 − 80, 72 − 82).
  assert.equal(ev('gaps sparse-push g0.2 ; sgp'), '−10.00 / −10.00');
  assert.equal(ev('gap sparse-push g0.2 ; sgp'), '−10.00');
  assert.equal(ev('gapm:1 sc-sparse-push ; sparse-push g0.2'), '+5.5');
  // (SC − SP) / (SGP − SP) on the means: (76.5 − 71) / (81 − 71) = 55%; per seed 50 / 60.
  assert.equal(ev('rec sc-sparse-push ; sparse-push g0.2 ; sgp'), '55');
  assert.equal(ev('recs sc-sparse-push ; sparse-push g0.2 ; sgp'), '50 / 60');
  assert.equal(ev('reach:0.75 sparse-push g0.2'), '15');
  assert.equal(ev('ratio:bits sgp ; sparse-push topk:0.01 g0.2'), '64.0x');
  assert.equal(ev('n sparse-push'), '3');
  assert.equal(ev('range:acc:0 sparse-push'), '50–72');
  assert.equal(ev('countbelow:-9 sparse-push g0.2 ; sgp'), '2 of 2');
  assert.equal(ev('= −16.65%'), '−16.65%');
});

test('facts: a selector must pick runs of one config, and bad input names the problem', () => {
  const f = facts();
  const ev = (e: string): string => f.evaluate(e, 's/full');
  assert.throws(() => ev('acc sparse-push'), /differ in algorithm\.gamma \(0\.2, 0\.05\)/);
  assert.throws(() => ev('acc dpsgd'), /no run of s\/full matches/);
  assert.throws(() => ev('acc bogus'), /unknown selector word 'bogus'/);
  assert.throws(() => ev('frobnicate sgp'), /unknown statistic 'frobnicate'/);
  assert.throws(() => ev('acc @elsewhere sgp'), /no committed collection 'elsewhere'/);
  // The SC runs kept no evaluations: first-reaching rounds are not recomputable.
  assert.throws(() => ev('reach:0.7 sc-sparse-push'), /kept 'none' evaluations/);
  assert.throws(() => ev('reach:0.99 sparse-push g0.2'), /never reaches 0\.99/);
});

test('facts: render replaces {{...}} outside code spans and names the line of an error', () => {
  const f = facts();
  assert.equal(f.render('SGP {{acc sgp}}%, `{{acc sgp}}` stays', 'x.md', 's'), 'SGP 81.00%, `{{acc sgp}}` stays');
  assert.throws(() => f.render('ok\n{{acc bogus}}', 'x.md', 's'), /x\.md:2: \{\{acc bogus\}\}: unknown selector word/);
  const errors: string[] = [];
  assert.equal(f.render('{{acc bogus}} and {{acc sgp}}', 'x.md', 's', errors), '⟦?⟧ and 81.00');
  assert.equal(errors.length, 1);
});

test('lintNumbers: measured-looking numbers written by hand, outside facts, code and links', () => {
  assert.deepEqual(lintNumbers('ends at 84.85% with 410x fewer bits'), ["'84.85' written by hand", "'410x' written by hand"]);
  assert.deepEqual(lintNumbers('{{acc sgp}}% at `topk:0.01`, γ 0.05, 10x sparser, 100x fewer bits, 1.5 points, [x](a/84.85.md)'), []);
});

test('invocationArgs: the study options a recorded invocation ran with', () => {
  assert.deepEqual(invocationArgs('node --import tsx bench/repro/dagc.ts --quick', 'bench/repro/dagc.ts'), ['--quick']);
  assert.deepEqual(invocationArgs("node --import tsx bench/repro/x.ts --out 'a b' --lenet", 'bench/repro/x.ts'), ['--out', 'a b', '--lenet']);
  assert.deepEqual(invocationArgs('node --import tsx bench/repro/x.ts', 'bench/repro/x.ts'), []);
  assert.throws(() => invocationArgs('node other.ts', 'bench/repro/x.ts'), /does not run bench\/repro\/x\.ts/);
});
