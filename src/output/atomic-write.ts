/**
 * Every file this program writes goes through here: written to a temporary file next to its target
 * and renamed over it, so a reader (or a later run) sees the old file or the new one, never a torn
 * or empty one. A failed write removes its temporary file and throws an OutputError naming the file,
 * the reason and the bytes it needed.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { OutputError } from '../errors.js';
import { formatBytes } from './format.js';

/** Bytes the file system holding `path` has free for this user, or null when it cannot be asked. */
export function freeBytes(path: string): number | null {
  try {
    const s = statfsSync(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file-size limit (ulimit -f)',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent of it is not a directory',
  ENOENT: 'its directory does not exist',
  EISDIR: 'it is a directory',
};

/** An OutputError for a failed write of `bytes` bytes to `file` (written: how far it got). */
export function writeFailure(file: string, err: unknown, bytes?: number, written?: number): OutputError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  let message = `cannot write: ${reasonOf(err)}`;
  if (bytes !== undefined) {
    message += `; it needed ${formatBytes(bytes)}`;
    if (written !== undefined && written < bytes) message += `, ${formatBytes(written)} were written`;
  }
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    const free = freeBytes(dirname(file));
    if (free !== null) message += `, ${formatBytes(free)} free`;
  }
  return new OutputError(file, message, code || undefined);
}

/** The reason text of a file-system error code ("no space left on the device (ENOSPC)"). */
export function reasonOf(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  return `${REASONS[code] ?? (err as Error).message ?? String(err)}${code && REASONS[code] ? ` (${code})` : ''}`;
}

/** Creates `dir` (and its parents) or throws an OutputError saying why it cannot. */
export function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new OutputError(dir, `cannot create the directory: ${reasonOf(err)}`, (err as NodeJS.ErrnoException).code);
  }
}

let tempCounter = 0;
/** Marks temporary files: `.<name>.<pid>-<thread>-<n>.tmp`, so a later run can tell whose they are. */
const TEMP_RE = /^\.(.+)\.(\d+)-\d+-\d+\.tmp$/;

/** A temporary path next to `file`, unique to this process and thread. */
export function tempPathFor(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}-${threadId}-${tempCounter++}.tmp`);
}

/** The pid that wrote a temporary file of ours, or null when `name` is not one. */
export function tempOwner(name: string): number | null {
  const m = TEMP_RE.exec(name);
  return m ? Number(m[2]) : null;
}

/** True while process `pid` exists (EPERM: it exists but belongs to another user). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes the temporary files in `dir` left by processes that no longer run (killed mid-write). */
export function removeStaleTemps(dir: string): void {
  let entries: string[];
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const pid = tempOwner(name);
    if (pid !== null && pid !== process.pid && !processAlive(pid)) rmSync(join(dir, name), { force: true, recursive: true });
  }
}

function writeAll(fd: number, bytes: Uint8Array, file: string, total: number, before: number): number {
  let done = 0;
  while (done < bytes.length) {
    try {
      done += writeSync(fd, bytes, done, Math.min(bytes.length - done, 1 << 30));
    } catch (err) {
      throw writeFailure(file, err, total, before + done);
    }
  }
  return before + done;
}

export interface AtomicWriteOptions {
  /** Create the parent directory if needed (default true). */
  readonly mkdir?: boolean;
  /** fsync before the rename, so the new content survives a power loss too (default true). */
  readonly sync?: boolean;
  /** File mode of the new file (default 0o666 minus the umask). */
  readonly mode?: number;
}

/**
 * Writes `parts` (in order) as the new content of `file`, atomically. `totalBytes` (the sum of the
 * parts) is reported when the write fails. Throws OutputError.
 */
export function writeChunksAtomic(file: string, parts: Iterable<Uint8Array>, totalBytes: number, opts: AtomicWriteOptions = {}): void {
  const dir = dirname(file);
  if (opts.mkdir !== false) makeDirectory(dir);
  const temp = tempPathFor(file);
  let fd: number | undefined;
  try {
    try { fd = openSync(temp, 'wx', opts.mode ?? 0o666); } catch (err) { throw writeFailure(file, err, totalBytes, 0); }
    let written = 0;
    for (const part of parts) written = writeAll(fd, part, file, totalBytes, written);
    if (opts.sync !== false) {
      try { fsyncSync(fd); } catch (err) { throw writeFailure(file, err, totalBytes, written); }
    }
    closeSync(fd);
    fd = undefined;
    try { renameSync(temp, file); } catch (err) { throw writeFailure(file, err, totalBytes, written); }
  } catch (err) {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* already failing */ } }
    rmSync(temp, { force: true });
    throw err;
  }
}

/** Writes `data` (text as UTF-8) as the new content of `file`, atomically. Throws OutputError. */
export function writeFileAtomic(file: string, data: string | Uint8Array, opts: AtomicWriteOptions = {}): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  writeChunksAtomic(file, [bytes], bytes.byteLength, opts);
}
