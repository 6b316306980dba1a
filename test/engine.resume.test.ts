// Resume after a kill: a child process runs with checkpoints, is SIGKILLed once a checkpoint exists,
// is resumed (with a different worker count), and ends with the paramsHash and metrics lines of an
// uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';

const CHILD = join(import.meta.dirname, 'fixtures', 'run-child.ts');

const config: RunConfig = {
  ...DEFAULT_CONFIG, name: 'resume', devices: 12, rounds: 60, evalEvery: 5, model: 'logistic', topology: 'exponential:1',
  compressor: 'none', faults: { linkDrop: 0.05, offline: 0.05 },
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, momentum: 0.9, batchSize: 16, localSteps: 2 },
  checkpoint: { every: 4, dir: null },
};

function child(args: string[]): { done: Promise<{ code: number | null; signal: string | null; out: string }>; kill: () => void } {
  const p = spawn(process.execPath, ['--import', 'tsx', CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (b: Buffer) => { out += b.toString(); });
  p.stderr.on('data', (b: Buffer) => { out += b.toString(); });
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((res) => p.on('exit', (code, signal) => res({ code, signal, out })));
  return { done, kill: () => p.kill('SIGKILL') };
}

function metricsWithoutWall(dir: string): unknown[] {
  return readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => { const o = JSON.parse(l); delete o.wallTimeS; return o; });
}

test('a run killed mid-way and resumed from its checkpoint ends bit-identical to an uninterrupted run', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-resume-'));
  try {
    const reference = await runExperiment(config, {
      outDir: join(dir, 'reference'), inline: true, data: { train: blobs(800, 10, 4, 1), test: blobs(200, 10, 4, 2) },
    });
    const cfgFile = join(dir, 'config.json');
    writeFileSync(cfgFile, JSON.stringify(config));
    const out = join(dir, 'killed');

    const first = child([out, cfgFile, '--workers', '2', '--delay-ms', '40']);
    const latest = join(out, 'checkpoints', 'LATEST');
    const deadline = Date.now() + 45_000;
    while (!existsSync(latest) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(existsSync(latest), 'the child wrote no checkpoint in time');
    first.kill();
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL', `child exited by itself: ${killed.out}`);
    assert.equal(existsSync(join(out, 'summary.json')), false, 'killed mid-run: no summary');

    const second = child([out, cfgFile, '--resume', '--workers', '1']);
    const resumed = await second.done;
    assert.equal(resumed.code, 0, resumed.out);
    const summary = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as { paramsHash: string; rounds: number };
    assert.equal(summary.rounds, 60);
    assert.match(resumed.out, new RegExp(`done ${reference.paramsHash}`));
    assert.equal(summary.paramsHash, reference.paramsHash);
    assert.deepEqual(metricsWithoutWall(out), metricsWithoutWall(join(dir, 'reference')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
