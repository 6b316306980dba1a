// The reproduction studies' shared helpers (bench/repro/common.ts): argument parsing, CLI choice,
// safe reuse of finished runs, target detection and table formatting. No runs are started.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  chooseCli, configMismatches, firstReaching, markdownTable, parseStudyArgs, pctMeanStd, reuseProblems, shellQuote, tailAccuracy,
} from '../bench/repro/common.js';

const spec = { seeds: { quick: 1, full: 3 }, help: 'x', flags: { lenet: 'also LeNet' } };

test('parseStudyArgs: defaults, modes, seeds, flags and errors', () => {
  const full = parseStudyArgs('demo', spec, []);
  assert.equal(full.quick, false);
  assert.equal(full.seeds, 3);
  assert.equal(full.workers, 1);
  assert.match(full.out, /runs\/repro\/demo$/);
  assert.match(full.modeDir, /runs\/repro\/demo\/full$/);
  const quick = parseStudyArgs('demo', spec, ['--quick', '--seeds', '2', '--workers', '2', '--out', '/tmp/x', '--lenet']);
  assert.equal(quick.seeds, 2);
  assert.equal(quick.workers, 2);
  assert.equal(quick.modeDir, '/tmp/x/quick');
  assert.ok(quick.flags.has('lenet'));
  assert.throws(() => parseStudyArgs('demo', spec, ['--seeds', '0']), /--seeds: '0' is not >= 1/);
  assert.throws(() => parseStudyArgs('demo', spec, ['--seeds', '1.5']), /--seeds: '1.5' is not an integer/);
  assert.throws(() => parseStudyArgs('demo', spec, ['--seeds']), /--seeds <value>' argument missing/);
  assert.throws(() => parseStudyArgs('demo', spec, ['--bogus']), /Unknown option '--bogus'/);
  assert.throws(() => parseStudyArgs('demo', spec, ['--quick', 'stray']), /stray/);
});

test('chooseCli: dist only when it is at least as new as every source file', () => {
  const root = mkdtempSync(join(tmpdir(), 'repro-cli-'));
  try {
    mkdirSync(join(root, 'src', 'cli'), { recursive: true });
    mkdirSync(join(root, 'workers'), { recursive: true });
    writeFileSync(join(root, 'src', 'cli', 'main.ts'), '');
    writeFileSync(join(root, 'workers', 'phase.ts'), '');
    assert.equal(chooseCli(root).via, 'tsx');
    mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true });
    mkdirSync(join(root, 'dist', 'workers'), { recursive: true });
    writeFileSync(join(root, 'dist', 'src', 'cli', 'main.js'), '');
    writeFileSync(join(root, 'dist', 'workers', 'phase.js'), '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(root, 'src', 'cli', 'main.ts'), old, old);
    utimesSync(join(root, 'workers', 'phase.ts'), old, old);
    assert.equal(chooseCli(root).via, 'dist');
    writeFileSync(join(root, 'src', 'cli', 'edited.ts'), ''); // a source newer than the build
    const later = new Date(Date.now() + 60_000);
    utimesSync(join(root, 'src', 'cli', 'edited.ts'), later, later);
    assert.equal(chooseCli(root).via, 'tsx');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('configMismatches: a finished run is reused only when its config agrees', () => {
  const config = { rounds: 250, compressor: 'topk:0.001', algorithm: { lr: 0.05, name: 'sparse-push' }, data: { partition: 'skew:1' } };
  assert.deepEqual(configMismatches(config, { rounds: 250, 'algorithm.lr': 0.05, compressor: 'topk:0.001', 'data.partition': 'skew:1' }), []);
  const bad = configMismatches(config, { rounds: 300, 'algorithm.name': 'sgp', 'algorithm.missing': 1 });
  assert.equal(bad.length, 3);
  assert.match(bad[0]!, /rounds: run has 250, study wants 300/);
});

test('reuseProblems: a run made by another sparsepush version is not reused (its bits may differ)', () => {
  const config = { rounds: 250, compressor: 'topk:0.01+int8' };
  const sets = { rounds: 250, compressor: 'topk:0.01+int8' };
  assert.deepEqual(reuseProblems({ version: '0.2.0', config } as never, sets, '0.2.0'), []);
  assert.deepEqual(reuseProblems({ version: '0.1.0', config } as never, sets, '0.2.0'), ['made by sparsepush 0.1.0, this is 0.2.0']);
  const both = reuseProblems({ version: '0.1.0', config } as never, { ...sets, rounds: 300 }, '0.2.0');
  assert.equal(both.length, 2);
  assert.match(both[1]!, /rounds: run has 250, study wants 300/);
});

test('firstReaching and tailAccuracy', () => {
  const m = [{ round: 0, accuracy: 0.1 }, { round: 10, accuracy: 0.7 }, { round: 20, accuracy: 0.69 }, { round: 30, accuracy: 0.8 }];
  assert.equal(firstReaching(m, 0.7)?.round, 10);
  assert.equal(firstReaching(m, 0.8)?.round, 30);
  assert.equal(firstReaching(m, 0.81), null);
  assert.ok(Math.abs(tailAccuracy(m, 2) - 0.745) < 1e-12);
});

test('formatting: shell quoting, mean ± std, Markdown tables', () => {
  assert.equal(shellQuote('--set'), '--set');
  assert.equal(shellQuote('compressor=topk:0.001+int8'), 'compressor=topk:0.001+int8');
  assert.equal(shellQuote('a b'), "'a b'");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
  assert.equal(pctMeanStd([0.8]), '80.00');
  assert.equal(pctMeanStd([0.8, 0.82]), '81.00 ± 1.41');
  const t = markdownTable(['Name', 'Acc. %'], [['a|b', '81.00 ± 1.41'], ['c', '–']]);
  assert.equal(t, '| Name | Acc. % |\n| --- | ---: |\n| a\\|b | 81.00 ± 1.41 |\n| c | – |');
});
