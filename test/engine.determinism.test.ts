// A run is a pure function of its config: the same paramsHash (and metrics, bar wall time) for
// 1, 2 and 4 workers, for SGP and D-PSGD, with faults on (offline devices, dropped links).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';
import { metricsWithoutWall } from './support/metrics.js';

const train = blobs(600, 12, 3, 1);
const test_ = blobs(300, 12, 3, 2);

function config(name: string, topology: string, faults = { linkDrop: 0, offline: 0 }): RunConfig {
  return {
    ...DEFAULT_CONFIG, name, devices: 10, rounds: 12, evalEvery: 4, model: 'logistic', topology, faults,
    algorithm: { ...DEFAULT_CONFIG.algorithm, name, lr: 0.05, momentum: 0.9, weightDecay: 1e-3, batchSize: 8, localSteps: 2 },
    compressor: 'none',
  };
}

for (const [name, topology, faults] of [
  ['sgp', 'exponential:1', { linkDrop: 0.1, offline: 0.1 }],
  ['dpsgd', 'ring', { linkDrop: 0, offline: 0.1 }],
] as const) {
  test(`${name}: identical paramsHash and metrics with 1, 2 and 4 workers`, async () => {
    const dir = mkdtempSync(join(tmpdir(), `sp-det-${name}-`));
    try {
      const hashes: string[] = [];
      const lines: unknown[][] = [];
      for (const workers of [1, 2, 4]) {
        const out = join(dir, `w${workers}`);
        const s = await runExperiment(config(name, topology, faults), { outDir: out, workers, data: { train, test: test_ } });
        assert.equal(s.workers, workers);
        hashes.push(s.paramsHash);
        lines.push(metricsWithoutWall(out));
      }
      assert.match(hashes[0]!, /^[0-9a-f]{64}$/);
      assert.deepEqual(hashes, [hashes[0], hashes[0], hashes[0]]);
      assert.deepEqual(lines[1], lines[0]);
      assert.deepEqual(lines[2], lines[0]);
      // Sanity: it learned something and the faults were active (SGP loses mass to dropped links).
      const last = lines[0]!.at(-1) as { accuracy: number; massW: number; round: number };
      assert.equal(last.round, 12);
      assert.ok(last.accuracy > 0.5, `accuracy ${last.accuracy}`);
      if (name === 'sgp') assert.ok(last.massW < 10, `massW ${last.massW}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
