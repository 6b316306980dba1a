// What a run may write over, and how a resume may be misused: `--out ""` and directories of
// someone else's files are refused (nothing deleted that a run did not write); a resume that
// would change the trajectory or end before its checkpoint is refused before any file is touched;
// `--resume ""` is an error; an output directory that cannot be created is reported as such.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { resolveConfig } from '../src/config/schema.js';
import { ConfigError, OutputError } from '../src/errors.js';
import { runExperiment } from '../src/engine/run.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-rundir-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Path -> sha256 of every file below `root` (directories as 'dir'). */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(root, { recursive: true }).map(String).sort()) {
    const p = join(root, rel);
    out[rel] = statSync(p).isDirectory() ? 'dir' : createHash('sha256').update(readFileSync(p)).digest('hex');
  }
  return out;
}

const SMALL = ['--quiet', '--set', 'model=logistic', '--set', 'devices=4', '--set', 'data.train=synthetic:400,6,3', '--set', 'data.test=null',
  '--set', 'compressor=none', '--set', 'algorithm.name=sgp', '--workers', '1'];

test('--out "" and a directory of someone else\'s files are refused (exit 2) and nothing in it changes', async () => {
  const empty = await runCli(['run', ...SMALL, '--set', 'rounds=2', '--out', '']);
  assert.equal(empty.code, 2);
  assert.equal(empty.err, 'sparsepush run: option --out needs a value, got an empty string (see sparsepush run --help)\n');

  const theirs = join(dir, 'theirs');
  mkdirSync(theirs);
  for (const f of ['report.html', 'metrics.jsonl', 'error.json', 'notes.txt']) writeFileSync(join(theirs, f), `the user's ${f}\n`);
  const before = snapshot(theirs);
  for (const extra of [[], ['--force']]) {
    const r = await runCli(['run', ...SMALL, '--set', 'rounds=2', ...extra, '--out', theirs]);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /theirs is not a run directory and not empty; a run writes only into a new or empty directory or over an earlier run \(give another --out\)\n$/);
    assert.deepEqual(snapshot(theirs), before);
  }
  // The working directory (what `--out ""` used to mean) is no different.
  const cwd = process.cwd();
  process.chdir(theirs);
  try {
    const r = await runCli(['run', ...SMALL, '--set', 'rounds=2', '--out', '.']);
    assert.equal(r.code, 2, r.err);
  } finally {
    process.chdir(cwd);
  }
  assert.deepEqual(snapshot(theirs), before);
  // The library refuses it too.
  await assert.rejects(runExperiment(resolveConfig({ model: 'logistic', devices: 4, rounds: 2, data: { train: 'synthetic:400,6,3', test: null } }), { outDir: theirs, inline: true }),
    (err) => err instanceof OutputError && /holds files no run wrote \(error\.json, metrics\.jsonl, notes\.txt, report\.html\)/.test(err.message));
  assert.deepEqual(snapshot(theirs), before);
  // A configured checkpoint.dir of someone else's files is refused too, before it is written or cleaned.
  const ckptConfig = resolveConfig({ model: 'logistic', devices: 4, rounds: 2, data: { train: 'synthetic:400,6,3', test: null }, checkpoint: { every: 1, dir: theirs } });
  await assert.rejects(runExperiment(ckptConfig, { outDir: join(dir, 'ckpt-elsewhere'), inline: true }),
    (err) => err instanceof OutputError && err.file === theirs && /holds files that are not checkpoints \(error\.json, metrics\.jsonl, notes\.txt, report\.html\); give checkpoint\.dir a new or empty directory/.test(err.message));
  assert.deepEqual(snapshot(theirs), before);
  // The demo's folder too.
  const demo = await runCli(['demo', '--rounds', '1', '--quiet', '--out', theirs]);
  assert.equal(demo.code, 2);
  assert.match(demo.err, /holds files the demo did not write \(error\.json, metrics\.jsonl, notes\.txt, \.\.\.\); give another --out\n$/);
  assert.deepEqual(snapshot(theirs), before);
});

test('an existing empty directory is used; --force over a finished run replaces only the run\'s files', async () => {
  const out = join(dir, 'empty-then-forced');
  mkdirSync(out);
  assert.equal((await runCli(['run', ...SMALL, '--set', 'rounds=2', '--out', out])).code, 0);
  writeFileSync(join(out, 'my-notes.txt'), 'keep me\n');
  const again = await runCli(['run', ...SMALL, '--set', 'rounds=3', '--force', '--out', out]);
  assert.equal(again.code, 0, again.err);
  assert.equal(readFileSync(join(out, 'my-notes.txt'), 'utf8'), 'keep me\n');
  assert.equal((JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { rounds: number }).rounds, 3);
  assert.deepEqual(readdirSync(out).sort(), ['config.resolved.yaml', 'metrics.jsonl', 'model.npz', 'my-notes.txt', 'report.html', 'summary.json']);
});

test('an output directory that cannot be created is reported as such, with no pointer to an error.json', async () => {
  writeFileSync(join(dir, 'a-file'), '');
  const out = join(dir, 'a-file', 'run');
  const r = await runCli(['run', ...SMALL, '--set', 'rounds=2', '--out', out]);
  assert.equal(r.code, 1);
  assert.equal(r.err, `sparsepush run: ${out}: cannot create the directory: a parent of it is not a directory (ENOTDIR)\n`);
});

/** A run of 30 rounds with checkpoints every 10, stopped (as a kill would) after round 25: LATEST is ckpt 20. */
async function interruptedRun(out: string): Promise<void> {
  const set = await runCli(['run', ...SMALL, '--set', 'rounds=30', '--set', 'evalEvery=5', '--set', 'checkpoint.every=10', '--out', join(out, '..', 'probe')]);
  assert.equal(set.code, 0, set.err);
  const config = resolveConfig({
    model: 'logistic', devices: 4, rounds: 30, evalEvery: 5, compressor: 'none', workers: 1, checkpoint: { every: 10, dir: null },
    data: { train: 'synthetic:400,6,3', test: null }, algorithm: { name: 'sgp' },
  });
  const stop = new AbortController();
  await assert.rejects(runExperiment(config, { outDir: out, workers: 1, signal: stop.signal, onProgress: (e) => { if (e.round === 25) stop.abort(); } }));
  assert.equal(readFileSync(join(out, 'checkpoints', 'LATEST'), 'utf8').trim(), 'ckpt-00000020');
}

function metricRounds(out: string): number[] {
  return readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { round: number }).round);
}

test('resume misuse: a changed trajectory key or a rounds count before the checkpoint is refused and nothing is rewritten; --resume "" is an error', async () => {
  const out = join(dir, 'interrupted', 'run');
  mkdirSync(join(dir, 'interrupted'));
  await interruptedRun(out);
  const before = snapshot(out);

  const lr = await runCli(['run', '--resume', out, '--set', 'algorithm.lr=0.5', '--quiet']);
  assert.equal(lr.code, 2, lr.err);
  assert.match(lr.err, /^sparsepush run: --resume: algorithm\.lr would change from 0\.05 to 0\.5; a resumed run keeps the config in .*config\.resolved\.yaml, only name, workers, checkpoint, rounds, evalEvery, targetAccuracy may change\n$/);
  assert.deepEqual(snapshot(out), before, 'nothing rewritten');

  const short = await runCli(['run', '--resume', out, '--set', 'rounds=15', '--quiet']);
  assert.equal(short.code, 2, short.err);
  assert.match(short.err, /^sparsepush run: rounds: the checkpoint in .*checkpoints is at round 20, after rounds = 15; a resumed run can only go on \(set rounds >= 20\)\n$/);
  assert.deepEqual(snapshot(out), before, 'nothing rewritten');

  const blank = await runCli(['run', '--resume', '', ...SMALL, '--set', 'rounds=2', '--out', join(dir, 'blank')]);
  assert.equal(blank.code, 2);
  assert.match(blank.err, /option --resume needs a value, got an empty string/);
  assert.equal(existsSync(join(dir, 'blank')), false);

  // The library refuses the short resume the same way, also without writing.
  const config = resolveConfig({
    model: 'logistic', devices: 4, rounds: 15, evalEvery: 5, compressor: 'none', checkpoint: { every: 10, dir: null },
    data: { train: 'synthetic:400,6,3', test: null }, algorithm: { name: 'sgp' },
  });
  await assert.rejects(runExperiment(config, { outDir: out, inline: true, resume: true }), (err) => err instanceof ConfigError && err.key === 'rounds');
  assert.deepEqual(snapshot(out), before, 'nothing rewritten');

  // A plain resume still works after all that, and equals the uninterrupted run.
  const ok = await runCli(['run', '--resume', out, '--quiet']);
  assert.equal(ok.code, 0, ok.err);
  assert.deepEqual(metricRounds(out), [0, 5, 10, 15, 20, 25, 30]);
  const probe = JSON.parse(readFileSync(join(dir, 'interrupted', 'probe', 'summary.json'), 'utf8')) as { paramsHash: string };
  assert.equal((JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { paramsHash: string }).paramsHash, probe.paramsHash);
});

test('resume with rounds equal to the checkpoint\'s round finishes there without recording that round twice', async () => {
  const out = join(dir, 'interrupted-2', 'run');
  mkdirSync(join(dir, 'interrupted-2'));
  await interruptedRun(out);
  const r = await runCli(['run', '--resume', out, '--set', 'rounds=20', '--quiet']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(metricRounds(out), [0, 5, 10, 15, 20]);
  const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { rounds: number; config: { rounds: number }; final: { round: number } };
  assert.deepEqual([summary.rounds, summary.config.rounds, summary.final.round], [20, 20, 20]);
  assert.match(readFileSync(join(out, 'config.resolved.yaml'), 'utf8'), /^rounds: 20$/m, 'the resolved config records the new rounds');
});
