// Learning-rate schedules (src/algorithms/lr-schedule.ts): closed forms, spec errors, and that
// the engine applies them (metrics carry the step; a step schedule changes nothing before its step).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lrAt, lrSum, parseLrSchedule, scheduledLr } from '../src/algorithms/lr-schedule.js';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { runExperiment } from '../src/engine/run.js';
import { SpecError } from '../src/errors.js';
import { blobs } from './fixtures/engine-data.js';

test('cosine: lr (1 + cos(pi t / T)) / 2, decreasing, lr at round 0, half at T/2, never 0', () => {
  const cosine = parseLrSchedule('cosine');
  assert.equal(scheduledLr(cosine, 0.1, 0, 100), 0.1);
  assert.ok(Math.abs(scheduledLr(cosine, 0.1, 50, 100) - 0.05) < 1e-15);
  assert.equal(scheduledLr(cosine, 0.1, 37, 100), 0.1 * 0.5 * (1 + Math.cos((Math.PI * 37) / 100)));
  for (let t = 1; t < 100; t++) assert.ok(scheduledLr(cosine, 0.1, t, 100) < scheduledLr(cosine, 0.1, t - 1, 100), `round ${t}`);
  assert.ok(scheduledLr(cosine, 0.1, 99, 100) > 0);
});

test('step: x0.1 from each fraction of the rounds on; constant: lr', () => {
  const step = parseLrSchedule('step:0.5,0.75');
  assert.deepEqual(step, { kind: 'step', fractions: [0.5, 0.75] });
  const at = (t: number): number => scheduledLr(step, 1, t, 8);
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(at), [1, 1, 1, 1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]);
  assert.equal(scheduledLr(parseLrSchedule('constant'), 0.3, 99, 10), 0.3);
});

test('lrAt and lrSum read algorithm.lr, algorithm.lrSchedule and rounds from the config', () => {
  const config: RunConfig = { ...DEFAULT_CONFIG, rounds: 10, algorithm: { ...DEFAULT_CONFIG.algorithm, lr: 0.2, lrSchedule: 'step:0.5' } };
  assert.equal(lrAt(config, 4), 0.2);
  assert.ok(Math.abs(lrAt(config, 5) - 0.02) < 1e-17);
  // Rounds 3..6: two at 0.2, two at 0.02; rounds before 0 count as round 0.
  assert.ok(Math.abs(lrSum(config, 6, 4) - 0.44) < 1e-15);
  assert.ok(Math.abs(lrSum(config, 1, 4) - 0.8) < 1e-15);
  const constant: RunConfig = { ...config, algorithm: { ...config.algorithm, lrSchedule: 'constant' } };
  assert.equal(lrSum(constant, 6, 4), 0.2 * 4);
});

test('bad schedule specs name the spec and what was expected', () => {
  for (const [spec, why] of [['linear', 'expected constant, cosine or step'], ['step:', 'in (0, 1)'], ['step:0', 'in (0, 1)'], ['step:1.5', 'in (0, 1)'],
    ['step:0.5,x', "got 'x'"], ['step:0.5,0.5', 'must increase'], ['cosine:2', 'expected constant']] as const) {
    assert.throws(() => parseLrSchedule(spec), (e: unknown) => e instanceof SpecError && e.message.includes(`'${spec}'`) && e.message.includes(why), spec);
  }
});

test('the engine applies the schedule: step:0.5 matches constant lr until its step and not after; metrics carry the step size', async () => {
  const data = { train: blobs(480, 8, 3, 5), test: blobs(150, 8, 3, 6) };
  const config = (lrSchedule: string): RunConfig => ({
    ...DEFAULT_CONFIG, name: 'lr-schedule', devices: 6, rounds: 8, evalEvery: 1, model: 'logistic', topology: 'exponential:1', compressor: 'topk:0.3',
    algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sparse-push', lr: 0.1, lrSchedule, batchSize: 8, gamma: 0.5 },
  });
  const lines: Record<string, Record<string, number>[]> = {};
  for (const s of ['constant', 'step:0.5', 'cosine']) {
    const dir = mkdtempSync(join(tmpdir(), 'sp-lr-'));
    try {
      await runExperiment(config(s), { outDir: dir, inline: true, data });
      lines[s] = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const [constant, step, cosine] = [lines.constant!, lines['step:0.5']!, lines.cosine!];
  assert.equal(constant.length, 9);
  for (let r = 0; r <= 4; r++) assert.equal(step[r]!.loss, constant[r]!.loss, `round ${r}: the step schedule is lr until round 4`);
  for (let r = 5; r <= 8; r++) assert.notEqual(step[r]!.loss, constant[r]!.loss, `round ${r}: the step schedule has stepped`);
  assert.deepEqual(step.map((m) => m.lr), [0.1, 0.1, 0.1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1, 0.1 * 0.1]);
  assert.deepEqual(cosine.map((m) => m.lr), [0, 0, 1, 2, 3, 4, 5, 6, 7].map((t) => 0.1 * 0.5 * (1 + Math.cos((Math.PI * t) / 8))));
  assert.ok(constant.every((m) => m.lr === 0.1));
});
