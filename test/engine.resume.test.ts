// Resume after a kill: a child process runs with checkpoints, is SIGKILLed once a checkpoint exists,
// is resumed (with a different worker count), and ends with the paramsHash and metrics lines of an
// uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';
import { startRunChild, waitForFile } from './support/child.js';
import { metricsWithoutWall } from './support/metrics.js';

const config: RunConfig = {
  ...DEFAULT_CONFIG, name: 'resume', devices: 12, rounds: 60, evalEvery: 5, model: 'logistic', topology: 'exponential:1',
  compressor: 'none', faults: { linkDrop: 0.05, offline: 0.05 },
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, momentum: 0.9, batchSize: 16, localSteps: 2 },
  checkpoint: { every: 4, dir: null },
};

test('a run killed mid-way and resumed from its checkpoint ends bit-identical to an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-resume-'));
  try {
    const reference = await runExperiment(config, {
      outDir: join(dir, 'reference'), inline: true, data: { train: blobs(800, 10, 4, 1), test: blobs(200, 10, 4, 2) },
    });
    const cfgFile = join(dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(config));
    const out = join(dir, 'killed');

    const first = startRunChild(out, cfgFile, ['--workers', '2', '--delay-ms', '40']);
    const latest = join(out, 'checkpoints', 'LATEST');
    await waitForFile(latest, 45_000);
    assert.ok(existsSync(latest), 'the child wrote no checkpoint in time');
    await first.stop('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL', `child exited by itself: ${first.output()}`);
    assert.equal(existsSync(join(out, 'summary.json')), false, 'killed mid-run: no summary');

    const resumed = startRunChild(out, cfgFile, ['--resume', '--workers', '1']);
    assert.equal(await resumed.exited, 0, resumed.output());
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { paramsHash: string; rounds: number };
    assert.equal(summary.rounds, 60);
    assert.match(resumed.output(), new RegExp(`done ${reference.paramsHash}`));
    assert.equal(summary.paramsHash, reference.paramsHash);
    assert.deepEqual(metricsWithoutWall(out), metricsWithoutWall(join(dir, 'reference')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
