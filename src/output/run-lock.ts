/**
 * A lock file (`.sparsepush.lock`, JSON with pid, host and start time) in each directory a run
 * writes (its output directory and its checkpoint directory), so two runs never interleave metrics
 * or delete each other's checkpoints. A lock whose process no longer exists on this host is stale
 * and taken over; a live one refuses the second run with a message naming the file and the pid.
 * Re-entrant within a process (the CLI and the engine both take the output directory's lock).
 */
import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { makeDirectory, processAlive, reasonOf, tempPathFor } from './atomic-write.js';

export const LOCK_FILE = '.sparsepush.lock';

export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

export interface RunLock {
  readonly file: string;
  /** Removes the lock (once every holder in this process has released it). */
  release(): void;
}

/** Locks this process holds: file -> number of holders. */
const held = new Map<string, number>();

function readOwner(file: string): LockOwner | null | 'absent' {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw new OutputError(file, `cannot read the lock file: ${reasonOf(err)}`);
  }
  try {
    const o = JSON.parse(text) as Partial<LockOwner>;
    return typeof o.pid === 'number' && typeof o.host === 'string' ? { pid: o.pid, host: o.host, started: String(o.started ?? '') } : null;
  } catch {
    return null;
  }
}

/** Creates `file` with our owner record, atomically (complete or absent); false when it exists. */
function tryCreate(file: string): boolean {
  const temp = tempPathFor(file);
  const me: LockOwner = { pid: process.pid, host: hostname(), started: new Date().toISOString() };
  try {
    writeFileSync(temp, `${JSON.stringify(me)}\n`, { flag: 'wx' });
    try {
      linkSync(temp, file);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw new OutputError(file, `cannot create the lock file: ${reasonOf(err)}`);
    }
  } catch (err) {
    if (err instanceof OutputError) throw err;
    throw new OutputError(file, `cannot create the lock file: ${reasonOf(err)}`);
  } finally {
    rmSync(temp, { force: true });
  }
}

/**
 * Takes the lock of `dir` (created if needed); `what` names the directory in messages ("output
 * directory", "checkpoint directory"). Throws OutputError when another live run holds it.
 */
export function acquireLock(dir: string, what: string): RunLock {
  const file = join(dir, LOCK_FILE);
  const release = (): void => {
    const count = (held.get(file) ?? 0) - 1;
    if (count > 0) { held.set(file, count); return; }
    held.delete(file);
    const owner = readOwner(file);
    if (owner !== 'absent' && owner?.pid === process.pid && owner.host === hostname()) rmSync(file, { force: true });
  };
  const count = held.get(file);
  if (count !== undefined) {
    held.set(file, count + 1);
    return { file, release };
  }
  makeDirectory(dir);
  // Two attempts: the second after taking over a stale lock.
  for (let attempt = 0; attempt < 2; attempt++) {
    if (tryCreate(file)) {
      held.set(file, 1);
      return { file, release };
    }
    const owner = readOwner(file);
    if (owner === 'absent') continue; // released meanwhile
    if (owner === null) {
      throw new OutputError(file, `unreadable lock file in the ${what}; if no run is using ${dir}, remove it`);
    }
    if (owner.host !== hostname()) {
      throw new OutputError(file, `the ${what} is locked by pid ${owner.pid} on host ${owner.host} (since ${owner.started}); if that run is gone, remove the lock file`);
    }
    if (processAlive(owner.pid)) {
      throw new OutputError(file, `the ${what} is in use by another run (pid ${owner.pid}, since ${owner.started}); wait for it to finish or use another directory`);
    }
    // Stale: its process is gone. Move it aside and make sure we moved the stale one, not a new lock.
    const aside = tempPathFor(file);
    try { renameSync(file, aside); } catch { continue; }
    const moved = readOwner(aside);
    if (moved !== 'absent' && moved !== null && moved.pid !== owner.pid) {
      // Another run took the lock between our read and the rename: put it back and refuse.
      try { linkSync(aside, file); } catch { /* it has taken the lock again itself */ }
      rmSync(aside, { force: true });
      throw new OutputError(file, `the ${what} is in use by another run (pid ${moved.pid}); wait for it to finish or use another directory`);
    }
    rmSync(aside, { force: true });
  }
  throw new OutputError(file, `could not take the lock of the ${what}; another run is starting in ${dir}`);
}
