// Set-up progress (src/setup-progress.ts) from its producers: synthetic generation, the packaged
// datasets' conversion into the cache (and silence when the cache is valid), the arena fill, and a
// whole run's set-up through runExperiment's onSetup. Reporting never changes what is produced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/index.js';
import { loadDataset } from '../src/data/index.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import { runExperiment } from '../src/engine/run.js';
import type { SetupProgress } from '../src/setup-progress.js';

/** Each stage's events: starts at 0, never goes back, ends at its total. */
function checkStages(events: readonly SetupProgress[]): Map<string, SetupProgress[]> {
  const byStage = new Map<string, SetupProgress[]>();
  for (const e of events) byStage.set(e.stage, [...(byStage.get(e.stage) ?? []), e]);
  for (const [stage, list] of byStage) {
    assert.equal(list[0]!.done, 0, `${stage} starts at 0`);
    for (let i = 1; i < list.length; i++) assert.ok(list[i]!.done >= list[i - 1]!.done, `${stage} never goes back`);
    assert.equal(list[list.length - 1]!.done, list[0]!.total, `${stage} ends at its total`);
    assert.ok(list.every((e) => e.total === list[0]!.total && e.unit === list[0]!.unit));
  }
  return byStage;
}

test('synthetic generation reports its samples, and produces the same data as without a listener', () => {
  const p = { count: 10_000, dims: 5, classes: 3, generator: 'blobs' as const, noise: 1 };
  const events: SetupProgress[] = [];
  const a = generateSynthetic(p, 'train', 3, undefined, (e) => events.push(e));
  const b = generateSynthetic(p, 'train', 3);
  assert.deepEqual(a.x, b.x);
  assert.deepEqual(a.y, b.y);
  const stages = checkStages(events);
  assert.deepEqual([...stages.keys()], ['generating synthetic:10000,5,3 (train)']);
  assert.equal(events[0]!.unit, 'samples');
  assert.ok(events.length >= 3, `intermediate reports (${events.length} events)`);
});

test('the mnist package is converted once, with progress per file; a valid cache loads silently', async () => {
  const cacheDir = mkdtempSync(join(tmpdir(), 'sparsepush-progress-'));
  try {
    const events: SetupProgress[] = [];
    await loadDataset('mnist', { split: 'train', seed: 1, cacheDir, onProgress: (e) => events.push(e) });
    const stages = checkStages(events);
    assert.deepEqual([...stages.keys()], ['converting the mnist package into the dataset cache']);
    assert.deepEqual(events.map((e) => e.done), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const again: SetupProgress[] = [];
    await loadDataset('mnist:test', { split: 'train', seed: 1, cacheDir, onProgress: (e) => again.push(e) });
    assert.deepEqual(again, [], 'both splits were cached by the first conversion');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
});

test('a run reports its data generation and the arena fill before round 0', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-progress-'));
  try {
    const events: SetupProgress[] = [];
    let beforeRounds = 0;
    const config = resolveConfig({
      devices: 600, rounds: 1, evalEvery: 1, model: 'logistic', topology: 'exponential:1', compressor: 'none',
      data: { train: 'synthetic:6000,8,3', test: null }, algorithm: { name: 'sgp', batchSize: 4 },
    });
    await runExperiment(config, {
      outDir: join(dir, 'run'), inline: true,
      onSetup: (e) => events.push(e),
      onProgress: () => { beforeRounds ||= events.length; },
    });
    assert.equal(beforeRounds, events.length, 'every set-up event comes before the first round');
    const stages = checkStages(events);
    const names = [...stages.keys()];
    assert.deepEqual(names.slice(0, 2), ['generating synthetic:6000,8,3 (train)', 'generating synthetic:6000,8,3 (test)']);
    assert.match(names[2]!, /^filling the arena \(\d+ MiB\)$/);
    assert.equal(stages.get(names[2]!)!.at(-1)!.done, 600);
    assert.equal(stages.get(names[2]!)![0]!.unit, 'devices');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
