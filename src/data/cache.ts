/**
 * Compact binary cache for datasets converted from slow sources (the JSON of the `mnist` and
 * `fashion-mnist` packages), in the format of src/data/cache-format.ts. Files are written to a temp
 * file and renamed into place (src/output/atomic-write.ts), so concurrent readers never see a
 * partial file; a file whose CRC, header fields, size or source id do not match is rebuilt.
 *
 * When the cache folder is not writable the files go to a folder of the OS temp folder that
 * belongs to the current user (mode 0700); files there are read only while that folder and the
 * file are the user's and writable by nobody else, since anyone can create files in /tmp.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync, readFileSync, type Stats } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { OutputError } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from '../output/atomic-write.js';
import { packageRootOrNull } from '../package.js';
import { CACHE_MAGIC, decodeCache, encodeCache, type CachedImages } from './cache-format.js';

export { CACHE_HEADER_BYTES, crc32, type CachedImages } from './cache-format.js';

/** 16-byte id of a source description (package name@version, file sizes, split rule...). */
export function sourceId(description: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${CACHE_MAGIC}\n${description}`).digest().subarray(0, 16));
}

/** Cache folder: opts.cacheDir, else $SPARSEPUSH_CACHE, else <package root>/.cache/sparsepush. */
export function cacheDirectory(cacheDir?: string): string {
  return cacheDir ?? process.env['SPARSEPUSH_CACHE'] ?? join(packageRootOrNull() ?? process.cwd(), '.cache', 'sparsepush');
}

/** Reads a cache file; undefined when absent, stale (other source id) or damaged. */
export function readCache(file: string, id: Uint8Array): CachedImages | undefined {
  let bytes: Uint8Array;
  try {
    const buf = readFileSync(file);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength); // plain views, not Buffers
  } catch {
    return undefined;
  }
  return decodeCache(bytes, id);
}

/** The current user, as the OS knows it (uid on POSIX; the user name elsewhere). */
function currentUser(): { uid: number | null; tag: string } {
  const uid = typeof process.getuid === 'function' ? process.getuid() : null;
  return { uid, tag: uid !== null ? String(uid) : userInfo().username.replace(/[^A-Za-z0-9._-]/g, '_') };
}

/** The per-user fallback folder in the OS temp folder (`sparsepush-cache-<uid>`). */
export function fallbackCacheDirectory(tempRoot = tmpdir()): string {
  return join(tempRoot, `sparsepush-cache-${currentUser().tag}`);
}

/** Owned by `uid` and writable by nobody else (POSIX; always true where there are no uids). */
function ownedAndPrivate(st: Stats, uid: number | null): boolean {
  return uid === null || (st.uid === uid && (st.mode & 0o022) === 0);
}

/**
 * True when `dir` may be trusted as this user's fallback cache: a real directory (not a symlink),
 * owned by `uid` and writable by nobody else.
 */
export function trustedFallbackDirectory(dir: string, uid = currentUser().uid): boolean {
  let st: Stats;
  try { st = lstatSync(dir); } catch { return false; }
  return st.isDirectory() && ownedAndPrivate(st, uid);
}

/** True when `file` in the fallback folder may be read: a regular file owned by `uid`, writable by nobody else. */
export function trustedFallbackFile(file: string, uid = currentUser().uid): boolean {
  let st: Stats;
  try { st = lstatSync(file); } catch { return false; }
  return st.isFile() && ownedAndPrivate(st, uid);
}

/**
 * Writes a cache file atomically. If the cache folder is not writable (read-only install), falls
 * back to the user's folder in the OS temp folder; returns the path written, or null when neither
 * can be used (the data is then converted again next time).
 */
export function writeCache(file: string, data: CachedImages, id: Uint8Array, tempRoot = tmpdir()): string | null {
  const bytes = encodeCache(data, id);
  removeStaleTemps(dirname(file)); // left by a conversion that was killed mid-write
  try {
    writeFileAtomic(file, bytes, { sync: false });
    return file;
  } catch (err) {
    if (!(err instanceof OutputError) || !['EACCES', 'EROFS', 'EPERM'].includes(err.reason ?? '')) throw err;
  }
  const folder = fallbackCacheDirectory(tempRoot);
  try {
    mkdirSync(folder, { recursive: true, mode: 0o700 });
    chmodSync(folder, 0o700);
  } catch {
    return null; // e.g. a folder of that name that belongs to someone else
  }
  if (!trustedFallbackDirectory(folder)) return null;
  const fallback = join(folder, basename(file));
  writeFileAtomic(fallback, bytes, { sync: false, mode: 0o600 });
  return fallback;
}

/** Candidate files to read: the configured folder, then the user's fallback folder when it can be trusted. */
export function cacheCandidates(file: string, tempRoot = tmpdir()): string[] {
  const folder = fallbackCacheDirectory(tempRoot);
  const fallback = join(folder, basename(file));
  return trustedFallbackDirectory(folder) && trustedFallbackFile(fallback) ? [file, fallback] : [file];
}
