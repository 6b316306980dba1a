// Bad input stops a run before any round with a typed error naming the key (and writes error.json,
// never summary.json); NaN/Inf stops it naming the device and the round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configToYaml } from '../src/config/load.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { ConfigError, DataError, RunError } from '../src/errors.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';

const data = { train: blobs(200, 5, 2, 1), test: blobs(50, 5, 2, 2) };
const base: RunConfig = {
  ...DEFAULT_CONFIG, name: 'bad', devices: 4, rounds: 3, evalEvery: 1, model: 'logistic', topology: 'exponential:1', compressor: 'none',
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.1, batchSize: 4 },
};

async function expectFailure(cfg: RunConfig, check: (err: unknown) => void, inline = true): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-err-'));
  try {
    // A stale summary from an earlier run in the same directory must not survive a failed run.
    writeFileSync(join(dir, 'config.resolved.yaml'), configToYaml(cfg));
    writeFileSync(join(dir, 'summary.json'), '{}');
    await assert.rejects(runExperiment(cfg, { outDir: dir, inline, workers: 2, data }), (err) => { check(err); return true; });
    assert.equal(existsSync(join(dir, 'summary.json')), false, 'no summary.json after a failure');
    return JSON.parse(readFileSync(join(dir, 'error.json'), 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('unknown algorithm name -> ConfigError naming algorithm.name', async () => {
  const rec = await expectFailure({ ...base, algorithm: { ...base.algorithm, name: 'gossip-magic' } }, (err) => {
    assert.ok(err instanceof ConfigError, 'err instanceof ConfigError');
    assert.equal(err.key, 'algorithm.name');
    assert.match(err.message, /gossip-magic/);
    assert.match(err.message, /sgp/);
  });
  assert.equal(rec['key'], 'algorithm.name');
  assert.equal(rec['code'], 'E_CONFIG');
});

test('fewer than 2 devices for a decentralized algorithm -> ConfigError naming devices', async () => {
  const rec = await expectFailure({ ...base, devices: 1 }, (err) => {
    assert.ok(err instanceof ConfigError, 'err instanceof ConfigError');
    assert.equal(err.key, 'devices');
  });
  assert.equal(rec['key'], 'devices');
});

test('a topology that is not strongly connected -> ConfigError naming topology', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-edges-'));
  try {
    const file = join(dir, 'two-islands.txt');
    writeFileSync(file, '0 1\n1 0\n2 3\n3 2\n');
    await expectFailure({ ...base, topology: `edges:${file}` }, (err) => {
      assert.ok(err instanceof ConfigError, 'err instanceof ConfigError');
      assert.equal(err.key, 'topology');
      assert.match(err.message, /strongly connected/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('dpsgd on a directed graph -> ConfigError naming topology', async () => {
  await expectFailure({ ...base, algorithm: { ...base.algorithm, name: 'dpsgd' } }, (err) => {
    assert.ok(err instanceof ConfigError, 'err instanceof ConfigError');
    assert.equal(err.key, 'topology');
    assert.match(err.message, /undirected/);
  });
});

const nanMessages: string[] = [];
for (const inline of [true, false]) {
  test(`NaN/Inf in the parameters -> RunError naming the device and the round (${inline ? 'in-process' : 'worker pool'})`, async () => {
    const rec = await expectFailure({ ...base, algorithm: { ...base.algorithm, lr: 1e38, momentum: 0 } }, (err) => {
      assert.ok(err instanceof RunError, 'err instanceof RunError');
      assert.match(err.message, /NaN\/Inf in device \d+'s parameters at round \d+.*; lower algorithm\.lr or check the data$/);
      nanMessages.push(err.message);
    }, inline);
    assert.equal(rec['code'], 'E_RUN');
    // The same device and round whichever way the phases ran.
    if (nanMessages.length === 2) assert.equal(nanMessages[1], nanMessages[0]);
  });
}

test('NaN/Inf under compressed gossip: the error names algorithm.gamma first (its consensus step), plain SGP names lr', async () => {
  await expectFailure({ ...base, compressor: 'topk:0.1', algorithm: { ...base.algorithm, name: 'sparse-push', gamma: 0.5, lr: 1e38, momentum: 0 } }, (err) => {
    assert.ok(err instanceof RunError, 'err instanceof RunError');
    assert.match(err.message, /NaN\/Inf in device \d+'s parameters at round \d+.*lower algorithm\.gamma \(now 0\.5;.*\) or algorithm\.lr/);
  }, true);
});

test('a shard smaller than one batch -> DataError naming the device (unless data.smallShards = wrap)', async () => {
  // 200 samples over 4 devices: 50 each; a batch of 64 does not fit any shard.
  const tooBig: RunConfig = { ...base, algorithm: { ...base.algorithm, batchSize: 64 } };
  await expectFailure(tooBig, (err) => {
    assert.ok(err instanceof DataError, 'err instanceof DataError');
    assert.match(err.message, /device 0 holds 50 training samples, fewer than one batch \(algorithm\.batchSize = 64\)/);
    assert.match(err.message, /data\.smallShards=wrap/);
  });
  const dir = mkdtempSync(join(tmpdir(), 'sp-wrap-'));
  try {
    const summary = await runExperiment({ ...tooBig, data: { ...tooBig.data, smallShards: 'wrap' } }, { outDir: dir, inline: true, data });
    assert.equal(summary.rounds, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
