// Nothing in a checkpoint is trusted on resume: arena.bin and state.json are checksummed
// (SHA256SUMS), state.json is checked against the run's layout, round range and bookkeeping, and a
// missing file is a clear error naming it. Each case damages a copy of one good checkpoint.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { CheckpointError, ConfigError } from '../src/errors.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-ckpt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const data = { train: blobs(400, 6, 3, 1), test: blobs(100, 6, 3, 2) };
const config: RunConfig = {
  ...DEFAULT_CONFIG, name: 'ckpt', devices: 6, rounds: 20, evalEvery: 5, model: 'logistic', topology: 'exponential:1', compressor: 'none',
  algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.05, batchSize: 8 }, checkpoint: { every: 5, dir: null },
};
const CK = join('checkpoints', 'ckpt-00000015');
let counter = 0;
let reference = '';

/** A copy of the good run directory (its LATEST checkpoint is round 15), damaged by `damage`. */
function damaged(damage: (run: string) => void): string {
  const run = join(dir, `case-${++counter}`);
  cpSync(join(dir, 'good'), run, { recursive: true });
  rmSync(join(run, 'summary.json'));
  damage(run);
  return run;
}

const sha = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

/** Rewrites state.json through `edit` and (unless `keepSums`) fixes SHA256SUMS, as a hostile edit would. */
function editState(run: string, edit: (state: Record<string, unknown>) => void, keepSums = false): void {
  const file = join(run, CK, 'state.json');
  const state = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  edit(state);
  const text = `${JSON.stringify(state, null, 2)}\n`;
  writeFileSync(file, text);
  if (!keepSums) {
    const sums = readFileSync(join(run, CK, 'SHA256SUMS'), 'utf8').replace(/^[0-9a-f]{64} {2}state\.json$/m, `${sha(text)}  state.json`);
    writeFileSync(join(run, CK, 'SHA256SUMS'), sums);
  }
}

async function resumeFails(run: string, check: (err: unknown) => boolean): Promise<void> {
  const before = readFileSync(join(run, 'metrics.jsonl'), 'utf8');
  await assert.rejects(runExperiment(config, { outDir: run, inline: true, resume: true, data }), (err) => {
    assert.ok(check(err), `unexpected error: ${String(err)}`);
    return true;
  });
  assert.equal(readFileSync(join(run, 'metrics.jsonl'), 'utf8'), before, 'a refused resume leaves the metrics alone');
}

const checkpointError = (file: string, re: RegExp) => (err: unknown): boolean =>
  err instanceof CheckpointError && err.file.endsWith(file) && err.message.startsWith(`checkpoint ${err.file}: `) && re.test(err.message);

test('setup: a run with checkpoints every 5 rounds; an intact copy resumes to the same paramsHash', async () => {
  reference = (await runExperiment(config, { outDir: join(dir, 'good'), inline: true, data })).paramsHash;
  const intact = damaged(() => {});
  assert.equal((await runExperiment(config, { outDir: intact, inline: true, resume: true, data })).paramsHash, reference);
  assert.match(readFileSync(join(dir, 'good', CK, 'SHA256SUMS'), 'utf8'), /^[0-9a-f]{64} {2}arena\.bin\n[0-9a-f]{64} {2}state\.json\n$/);
});

test('arena.bin: 20 flipped bytes, one flipped bit, a truncation or a missing file are refused naming arena.bin', async () => {
  const flip = (bytes: number[], mask = 0xff) => (run: string): void => {
    const file = join(run, CK, 'arena.bin');
    const b = readFileSync(file);
    for (const i of bytes) b[i % b.length] ^= mask;
    writeFileSync(file, b);
  };
  await resumeFails(damaged(flip(Array.from({ length: 20 }, (_, i) => 97 * i + 13))), checkpointError(join(CK, 'arena.bin'), /checksum mismatch/));
  await resumeFails(damaged(flip([4321], 0x01)), checkpointError(join(CK, 'arena.bin'), /checksum mismatch/));
  await resumeFails(damaged((run) => {
    const file = join(run, CK, 'arena.bin');
    writeFileSync(file, readFileSync(file).subarray(0, 1000));
  }), checkpointError(join(CK, 'arena.bin'), /^checkpoint \S+: 1000 bytes; the regions in state\.json need \d+$/));
  await resumeFails(damaged((run) => rmSync(join(run, CK, 'arena.bin'))), checkpointError(join(CK, 'arena.bin'), /: missing$/));
});

test('state.json: an edit without its checksum, dropped regions, a round out of range, extra: null are refused', async () => {
  await resumeFails(damaged((run) => editState(run, (s) => { s['simTimeS'] = 0; }, true)), checkpointError(join(CK, 'state.json'), /checksum mismatch/));
  await resumeFails(damaged((run) => editState(run, (s) => { s['regions'] = (s['regions'] as unknown[]).slice(1); })),
    checkpointError(join(CK, 'state.json'), /lists regions w, m, state, stats, cursor, shardIdx; this run's layout has x, w, m, state, stats, cursor, shardIdx/));
  await resumeFails(damaged((run) => editState(run, (s) => { s['round'] = 1e9; })), checkpointError(join(CK, 'state.json'), /round 1000000000 does not match the checkpoint's name ckpt-00000015/));
  await resumeFails(damaged((run) => editState(run, (s) => { s['extra'] = null; })), checkpointError(join(CK, 'state.json'), /extra null is not an object/));
  await resumeFails(damaged((run) => editState(run, (s) => { s['round'] = -1; })), checkpointError(join(CK, 'state.json'), /round -1 is not a round count/));
  await resumeFails(damaged((run) => editState(run, (s) => { s['extra'] = { toTarget: { round: 99, bitsSent: 1, simTimeS: 1, energyJ: 1 } }; })),
    checkpointError(join(CK, 'state.json'), /extra\.toTarget .* is not a time-to-target record up to round 15/));
  // A consistent checkpoint far past the configured rounds: a config problem, named by its key.
  await resumeFails(damaged((run) => {
    editState(run, (s) => { s['round'] = 1e9; });
    renameSync(join(run, CK), join(run, 'checkpoints', 'ckpt-1000000000'));
    writeFileSync(join(run, 'checkpoints', 'LATEST'), 'ckpt-1000000000\n');
  }), (err) => err instanceof ConfigError && err.key === 'rounds' && /at round 1000000000, after rounds = 20/.test(err.message));
});

test('LATEST and SHA256SUMS: missing or pointing elsewhere are refused naming the file', async () => {
  await resumeFails(damaged((run) => rmSync(join(run, CK, 'SHA256SUMS'))), checkpointError(join(CK, 'SHA256SUMS'), /missing: the checkpoint cannot be verified/));
  await resumeFails(damaged((run) => writeFileSync(join(run, 'checkpoints', 'LATEST'), '../../etc\n')), checkpointError(join('checkpoints', 'LATEST'), /names "\.\.\/\.\.\/etc", not a checkpoint directory/));
  await resumeFails(damaged((run) => rmSync(join(run, 'checkpoints', 'LATEST'))), checkpointError(join('checkpoints', 'LATEST'), /missing: there is no checkpoint to resume from/));
  await resumeFails(damaged((run) => rmSync(join(run, CK), { recursive: true })), checkpointError(CK, /missing \(LATEST points to it\)/));
});
