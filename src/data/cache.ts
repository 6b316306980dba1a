/**
 * Compact binary cache for datasets converted from slow sources (the JSON of the `mnist` and
 * `fashion-mnist` packages), in the format of src/data/cache-format.ts. Files are written to a temp
 * file and renamed into place, so concurrent readers never see a partial file; a file whose
 * header, size, source id or CRC does not match is rebuilt.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
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

let tempCounter = 0;
function writeAtomic(file: string, bytes: Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.${threadId}.${tempCounter++}.tmp`;
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* nothing to clean */
    }
    throw err;
  }
}

/**
 * Writes a cache file atomically. If the cache folder is not writable (read-only install), falls
 * back to the OS temp folder; returns the path written.
 */
export function writeCache(file: string, data: CachedImages, id: Uint8Array): string {
  const bytes = encodeCache(data, id);
  try {
    writeAtomic(file, bytes);
    return file;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EROFS' && code !== 'EPERM') throw err;
    const fallback = join(tmpdir(), 'sparsepush-cache', file.split(/[\\/]/).pop()!);
    writeAtomic(fallback, bytes);
    return fallback;
  }
}

/** Candidate files to read: the configured folder, then the temp-folder fallback. */
export function cacheCandidates(file: string): string[] {
  return [file, join(tmpdir(), 'sparsepush-cache', file.split(/[\\/]/).pop()!)];
}
