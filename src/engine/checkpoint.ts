/**
 * Checkpoints: the persistent arena regions (models, weights, momentum, algorithm vectors, learner
 * state, counters, shard cursors and shuffled shard lists) plus a little run state. Random streams
 * are keyed by (seed, device, round, purpose), so nothing about the RNG needs saving.
 *
 * Atomic on disk: a checkpoint is written into a temporary directory and renamed to
 * `ckpt-<round>`; then the `LATEST` pointer file is replaced by rename. A process killed at any
 * moment leaves the previous complete checkpoint in place.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RunConfig } from '../config/types.js';
import { RunError } from '../errors.js';
import { persistentRegions } from './layout.js';
import type { Simulation } from './simulation.js';

export const CHECKPOINT_VERSION = 1;

export interface CheckpointState {
  readonly version: number;
  /** Rounds completed when it was written. */
  readonly round: number;
  readonly simTimeS: number;
  /** Wall seconds spent before the checkpoint (so wallTimeS keeps counting across resumes). */
  readonly wallTimeS: number;
  readonly fingerprint: string;
  readonly regions: readonly { readonly name: string; readonly bytes: number }[];
  /** Run bookkeeping the caller wants back (e.g. the time-to-target record). */
  readonly extra: Record<string, unknown>;
}

/** Config keys that may change across a resume (they do not affect the trajectory). */
const FREE_KEYS = new Set(['name', 'workers', 'checkpoint', 'rounds', 'evalEvery', 'targetAccuracy']);

/** Identifies what a checkpoint can be resumed into: the trajectory-relevant config and the region sizes. */
export function fingerprint(config: RunConfig, sim: Simulation): string {
  const relevant = Object.fromEntries(Object.entries(config).filter(([k]) => !FREE_KEYS.has(k)));
  const regions = persistentRegions(sim.layout).map((name) => [name, sim.layout.regions[name]!.bytes]);
  return createHash('sha256').update(JSON.stringify({ relevant, regions })).digest('hex');
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
}

/** Writes a checkpoint of `sim` into `dir` (created if needed); returns the checkpoint's directory. */
export function writeCheckpoint(dir: string, sim: Simulation, wallTimeS: number, extra: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  const name = `ckpt-${String(sim.round).padStart(8, '0')}`;
  const tmp = join(dir, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  const layout = sim.layout;
  const names = persistentRegions(layout);
  const fd = openSync(join(tmp, 'arena.bin'), 'w');
  try {
    for (const r of names) {
      const region = layout.regions[r]!;
      writeAll(fd, new Uint8Array(sim.arena.buffer, region.offset, region.bytes));
    }
  } finally {
    closeSync(fd);
  }
  const state: CheckpointState = {
    version: CHECKPOINT_VERSION, round: sim.round, simTimeS: sim.simTimeS, wallTimeS,
    fingerprint: fingerprint(sim.config, sim), regions: names.map((r) => ({ name: r, bytes: layout.regions[r]!.bytes })), extra,
  };
  writeFileSync(join(tmp, 'state.json'), `${JSON.stringify(state, null, 2)}\n`);
  const final = join(dir, name);
  rmSync(final, { recursive: true, force: true });
  renameSync(tmp, final);
  writeFileSync(join(dir, 'LATEST.tmp'), `${name}\n`);
  renameSync(join(dir, 'LATEST.tmp'), join(dir, 'LATEST'));
  // Older checkpoints and temporaries left by killed writers.
  for (const entry of readdirSync(dir)) {
    if ((entry.startsWith('ckpt-') && entry !== name) || entry.startsWith('.tmp-ckpt-')) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  return final;
}

/** True when `dir` holds a complete checkpoint. */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, 'LATEST'));
}

/** Restores the latest checkpoint of `dir` into `sim` (same config); returns its state. */
export function readCheckpoint(dir: string, sim: Simulation): CheckpointState {
  if (!hasCheckpoint(dir)) throw new RunError(`no checkpoint to resume from in ${dir} (missing LATEST)`);
  const name = readFileSync(join(dir, 'LATEST'), 'utf8').trim();
  const ck = join(dir, name);
  let state: CheckpointState;
  try {
    state = JSON.parse(readFileSync(join(ck, 'state.json'), 'utf8')) as CheckpointState;
  } catch (err) {
    throw new RunError(`checkpoint ${ck}: unreadable state.json (${(err as Error).message})`);
  }
  if (state.version !== CHECKPOINT_VERSION) throw new RunError(`checkpoint ${ck}: version ${state.version}, this engine reads ${CHECKPOINT_VERSION}`);
  if (state.fingerprint !== fingerprint(sim.config, sim)) {
    throw new RunError(`checkpoint ${ck} was written by a run with a different config or layout (only name, workers, checkpoint, rounds, evalEvery and targetAccuracy may change on resume)`);
  }
  const fd = openSync(join(ck, 'arena.bin'), 'r');
  try {
    for (const { name: r, bytes } of state.regions) {
      const region = sim.layout.regions[r];
      if (!region || region.bytes !== bytes) throw new RunError(`checkpoint ${ck}: region ${r} does not match this run's layout`);
      const view = new Uint8Array(sim.arena.buffer, region.offset, region.bytes);
      let done = 0;
      while (done < bytes) {
        const got = readSync(fd, view, done, Math.min(bytes - done, 1 << 30), null);
        if (got <= 0) throw new RunError(`checkpoint ${ck}: arena.bin is truncated in region ${r}`);
        done += got;
      }
    }
  } finally {
    closeSync(fd);
  }
  sim.round = state.round;
  sim.simTimeS = state.simTimeS;
  return state;
}
