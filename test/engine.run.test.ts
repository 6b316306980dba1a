// runExperiment's outputs: metrics.jsonl lines and summary.json fields, the virtual clock and energy
// against their closed forms, bits and compression ratio from real encoded sizes, progress events,
// early stop at targetAccuracy, and abort.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCompressor } from '../src/compress/registry.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { RunError } from '../src/errors.js';
import { runExperiment, type ProgressEvent } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';

const FEATURES = 10;
const CLASSES = 4;
const data = { train: blobs(640, FEATURES, CLASSES, 1), test: blobs(300, FEATURES, CLASSES, 2) };
const D = CLASSES * (FEATURES + 1);
const N = 8;

const base: RunConfig = {
  ...DEFAULT_CONFIG, name: 'outputs', devices: N, rounds: 10, evalEvery: 4, model: 'logistic', topology: 'exponential:1', compressor: 'none',
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, batchSize: 8, localSteps: 2 },
  clock: { flops: 2e8, flopsSpread: 0, bandwidth: 1e6, bandwidthSpread: 0, latency: 0.01 },
  energy: { txPerBit: 1e-8, rxPerBit: 2e-8, perFlop: 3e-11 },
};

function withDir<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'sp-run-'));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const lines = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

test('metrics.jsonl and summary.json carry every field; clock, energy and bits match their closed forms', () => withDir(async (dir) => {
  const events: ProgressEvent[] = [];
  const s = await runExperiment(base, { outDir: dir, inline: true, data, onProgress: (e) => events.push(e) });
  const ms = lines(dir);
  assert.deepEqual(ms.map((m) => m.round), [0, 4, 8, 10]);
  for (const key of ['round', 'epoch', 'accuracy', 'loss', 'meanDeviceAccuracy', 'consensusDistance', 'bitsSent', 'bitsReceived', 'compressionRatio', 'massX', 'massW', 'simTimeS', 'energyJ', 'wallTimeS']) {
    assert.equal(typeof ms[3]![key], 'number', key);
  }
  const none = await createCompressor('none');
  const msgBits = 8 * none.maxEncodedBytes(D) + 64; // the x message plus the push-sum weight
  const last = ms[3]!;
  // exponential:1: one out-peer per device per round; no faults: everything sent arrives.
  assert.equal(last.bitsSent, 10 * N * msgBits);
  assert.equal(last.bitsReceived, last.bitsSent);
  assert.equal(last.compressionRatio, 1);
  assert.equal(last.epoch, (10 * 2 * 8) / (640 / N));
  const flopsPerSample = 4 * CLASSES * FEATURES + 6 * CLASSES;
  const roundFlops = 2 * 8 * flopsPerSample;
  const roundTime = roundFlops / 2e8 + msgBits / 1e6 + 0.01;
  assert.ok(Math.abs(last.simTimeS - 10 * roundTime) < 1e-12 * 10 * roundTime, `simTimeS ${last.simTimeS} vs ${10 * roundTime}`);
  const energy = N * 10 * (msgBits * 1e-8 + msgBits * 2e-8 + roundFlops * 3e-11);
  assert.ok(Math.abs(last.energyJ - energy) < 1e-9 * energy, `energyJ ${last.energyJ} vs ${energy}`);
  assert.ok(Math.abs(last.massW - N) < 1e-12, `massW ${last.massW}`);
  assert.ok(last.accuracy > 0.5 && last.meanDeviceAccuracy > 0.5, `accuracy ${last.accuracy}, mean device accuracy ${last.meanDeviceAccuracy} (chance 0.25)`);

  const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(summary, JSON.parse(JSON.stringify(s)));
  for (const key of ['name', 'version', 'config', 'final', 'paramsHash', 'backend', 'simd', 'workers', 'wallTimeS', 'rounds', 'bitsPerDevice', 'toTarget', 'spectralGap']) {
    assert.ok(key in summary, key);
  }
  assert.equal(s.backend, 'native');
  assert.equal(s.rounds, 10);
  assert.equal(s.toTarget, null);
  assert.deepEqual(s.final, ms[3]);
  assert.equal(s.bitsPerDevice.length, N);
  assert.ok(s.bitsPerDevice.every((b) => b === 10 * msgBits), 's.bitsPerDevice.every((b) => b === 10 * msgBits)');
  assert.ok(typeof s.spectralGap === 'number' && s.spectralGap > 0 && s.spectralGap <= 1, `spectral gap ${s.spectralGap}`);
  assert.equal(existsSync(join(dir, 'error.json')), false);
  assert.deepEqual(events.map((e) => e.round), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.ok(events.every((e) => e.rounds === 10), 'events.every((e) => e.rounds === 10)');
  assert.deepEqual(events.filter((e) => e.metrics).map((e) => e.round), [4, 8, 10]);
}));

test('a compressed algorithm reports the compression ratio against the none codec', () => withDir(async (dir) => {
  const s = await runExperiment({ ...base, algorithm: { ...base.algorithm, name: 'sparse-push' }, compressor: 'topk:0.1' }, { outDir: dir, inline: true, data });
  const none = await createCompressor('none');
  const topk = await createCompressor('topk:0.1');
  const dense = 8 * none.maxEncodedBytes(D) + 64;
  assert.ok(s.final.bitsSent > 0, 's.final.bitsSent > 0');
  assert.ok(s.final.bitsSent <= 10 * N * (8 * topk.maxEncodedBytes(D) + 64), 's.final.bitsSent <= 10 * N * (8 * topk.maxEncodedBytes(D) + 64)');
  assert.ok(Math.abs(s.final.compressionRatio - (10 * N * dense) / s.final.bitsSent) < 1e-12, 'Math.abs(s.final.compressionRatio - (10 * N * dense) / s.final.bitsSent) < 1e-12');
  assert.ok(s.final.compressionRatio > 2, 's.final.compressionRatio > 2');
}));

test('targetAccuracy stops the run at the first evaluation reaching it and records rounds, bits, time, energy', () => withDir(async (dir) => {
  const s = await runExperiment({ ...base, rounds: 200, evalEvery: 2, targetAccuracy: 0.7 }, { outDir: dir, inline: true, data });
  assert.ok(s.toTarget !== null, 's.toTarget !== null');
  assert.ok(s.rounds < 200 && s.rounds === s.toTarget!.round, 's.rounds < 200 && s.rounds === s.toTarget!.round');
  assert.ok(s.final.accuracy >= 0.7, 's.final.accuracy >= 0.7');
  assert.equal(s.toTarget!.bitsSent, s.final.bitsSent);
  assert.equal(s.toTarget!.simTimeS, s.final.simTimeS);
  assert.equal(s.toTarget!.energyJ, s.final.energyJ);
  assert.equal(lines(dir).at(-1)!.round, s.rounds);
}));

test('aborting stops between rounds with a RunError, error.json and no summary.json', () => withDir(async (dir) => {
  const ac = new AbortController();
  // Fast rounds run in batches of up to 16 (about 0.1 s each): the abort takes effect at the end of the batch.
  let stoppedAt = -1;
  await assert.rejects(runExperiment({ ...base, rounds: 500, evalEvery: 500 }, {
    outDir: dir, inline: true, data, signal: ac.signal, onProgress: (e) => { if (e.round === 3) ac.abort(); },
  }), (err) => {
    const m = err instanceof RunError ? /aborted after round (\d+)/.exec(err.message) : null;
    if (!m) return false;
    stoppedAt = Number(m[1]);
    return true;
  });
  assert.ok(stoppedAt >= 3 && stoppedAt <= 3 + 16, `stopped after round ${stoppedAt}`);
  assert.equal(existsSync(join(dir, 'summary.json')), false);
  assert.equal(JSON.parse(readFileSync(join(dir, 'error.json'), 'utf8')).round, stoppedAt);
}));

test('identical device models are evaluated once and score exactly like the network-average model (server algorithm)', () => withDir(async (dir) => {
  // EF-SGD workers all hold the broadcast model after each round; 300 test samples <= the per-device
  // evaluation budget, so every device is scored on the whole test set, as z_avg is.
  const cfg: RunConfig = { ...base, name: 'ef-sgd', topology: 'star', compressor: 'topk:0.2', algorithm: { ...base.algorithm, name: 'ef-sgd' } };
  await runExperiment(cfg, { outDir: dir, inline: true, data });
  const evaluated = lines(dir).filter((m) => m['round']! > 0);
  assert.ok(evaluated.length >= 2);
  for (const m of evaluated) {
    assert.equal(m['meanDeviceAccuracy'], m['accuracy'], `round ${m['round']}`);
    assert.equal(m['consensusDistance'], 0, `round ${m['round']}`);
  }
}));
