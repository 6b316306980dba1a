// Concurrent runs: a run locks its output directory and its checkpoint directory (a lock file with
// its pid); a second run on either is refused naming the lock file and the pid, and leaves the
// first run's files alone; a lock whose process is gone is stale and taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/cli.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { OutputError } from '../src/errors.js';
import { runExperiment } from '../src/engine/run.js';
import { acquireLock, LOCK_FILE } from '../src/output/run-lock.js';
import { blobs } from './fixtures/engine-data.js';
import { deadPid, startRunChild, waitForFile } from './support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-lock-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('acquireLock: re-entrant in a process, refuses a live holder naming file and pid, takes over a stale lock', () => {
  const d = join(dir, 'unit');
  const first = acquireLock(d, 'output directory');
  const again = acquireLock(d, 'output directory');
  const file = join(d, LOCK_FILE);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  again.release();
  assert.ok(existsSync(file), 'still held by the first holder');
  first.release();
  assert.equal(existsSync(file), false);

  // Held by another live process on this host (our parent, the test runner).
  writeFileSync(file, JSON.stringify({ pid: process.ppid, host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
  assert.throws(() => acquireLock(d, 'output directory'), (err) => err instanceof OutputError && err.file === file
    && err.message === `${file}: the output directory is in use by another run (pid ${process.ppid}, since 2026-01-01T00:00:00.000Z); wait for it to finish or use another directory`);
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.ppid, 'the holder\'s lock is left alone');

  // A lock of a process that has exited is stale.
  writeFileSync(file, JSON.stringify({ pid: deadPid(), host: hostname(), started: '2026-01-01T00:00:00.000Z' }));
  const taken = acquireLock(d, 'output directory');
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { pid: number }).pid, process.pid);
  taken.release();

  // Another host's lock cannot be checked: refused, saying so.
  writeFileSync(file, JSON.stringify({ pid: 1, host: 'elsewhere.example', started: 'x' }));
  assert.throws(() => acquireLock(d, 'checkpoint directory'), /the checkpoint directory is locked by pid 1 on host elsewhere\.example/);
  rmSync(file);
});

const config: RunConfig = {
  ...DEFAULT_CONFIG, name: 'locked', devices: 8, rounds: 400, evalEvery: 50, model: 'logistic', topology: 'exponential:1', compressor: 'none',
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, batchSize: 16 },
  checkpoint: { every: 2, dir: join(dir, 'shared-checkpoints') },
};

test('a second run on a busy output or checkpoint directory is refused with the lock file and the pid; a killed run\'s lock is taken over', async () => {
  const cfgFile = join(dir, 'config.json');
  writeFileSync(cfgFile, JSON.stringify(config));
  const out = join(dir, 'first');
  // The first run (another process) goes slowly until it is killed.
  const child = startRunChild(out, cfgFile, ['--workers', '1', '--delay-ms', '50']);
  try {
    const latest = join(config.checkpoint.dir!, 'LATEST');
    await waitForFile(latest, 45_000);
    assert.ok(existsSync(latest), 'the first run wrote no checkpoint in time');
    const metricsBefore = readFileSync(join(out, 'metrics.jsonl'), 'utf8');

    // Same output directory, through the CLI.
    const sameOut = await runCli(['run', '--config', cfgFile, '--quiet', '--force', '--out', out]);
    assert.equal(sameOut.code, 1);
    assert.equal(sameOut.err, `sparsepush run: ${join(out, LOCK_FILE)}: the output directory is in use by another run (pid ${child.pid}, since ${lockStarted(out)}); wait for it to finish or use another directory\n`);

    // Another output directory, the same checkpoint.dir, through the library.
    const other = join(dir, 'second');
    await assert.rejects(runExperiment(config, { outDir: other, inline: true, data: { train: blobs(800, 10, 4, 1), test: blobs(200, 10, 4, 2) } }),
      (err) => err instanceof OutputError && err.file === join(config.checkpoint.dir!, LOCK_FILE) && err.message.includes(`the checkpoint directory is in use by another run (pid ${child.pid}`));
    assert.equal(existsSync(join(other, 'error.json')), false, 'a refused run writes no error.json');
    assert.ok(readFileSync(join(out, 'metrics.jsonl'), 'utf8').startsWith(metricsBefore), 'the first run\'s metrics are untouched');
    assert.ok(existsSync(latest), 'and its checkpoint too');
  } finally {
    await child.stop('SIGKILL');
  }
  // Killed: its locks are stale, and a resume takes them over and finishes.
  assert.ok(existsSync(join(out, LOCK_FILE)), 'a killed run leaves its lock');
  const resumed = startRunChild(out, cfgFile, ['--resume', '--workers', '1']);
  assert.equal(await resumed.exited, 0, resumed.output());
  assert.equal(existsSync(join(out, LOCK_FILE)), false);
  assert.equal(existsSync(join(config.checkpoint.dir!, LOCK_FILE)), false);
});

function lockStarted(runDir: string): string {
  return (JSON.parse(readFileSync(join(runDir, LOCK_FILE), 'utf8')) as { started: string }).started;
}
