/**
 * Compact binary cache for datasets converted from slow sources (the JSON of the `mnist` and
 * `fashion-mnist` packages). One file per split, little-endian:
 *
 *   offset  size  field
 *   0       8     magic "SPDSET01"
 *   8       4     header bytes (64)
 *   12      4     count (samples)
 *   16      4     features per sample
 *   20      4     classes
 *   24      4     shape rank (1..3)
 *   28      12    shape (3 x u32, unused dims 0)
 *   40      16    source id: first 16 bytes of sha256 of the source description (package name,
 *                 version, sizes of its data files, split rule, cache format)
 *   56      4     CRC-32 of the payload
 *   60      4     reserved (0)
 *   64      count*features   pixels, uint8 (0..255), row-major
 *   ...     count            labels, uint8
 *
 * Files are written to a temp file and renamed into place, so concurrent readers never see a
 * partial file; a file whose header, size, source id or CRC does not match is rebuilt.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { threadId } from 'node:worker_threads';
import * as zlib from 'node:zlib';
import { packageRootOrNull } from '../package.js';

const MAGIC = 'SPDSET01';
export const CACHE_HEADER_BYTES = 64;

export interface CachedImages {
  readonly count: number;
  readonly features: number;
  readonly classes: number;
  readonly shape: readonly number[];
  /** count * features bytes, 0..255 */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
}

let crcTable: Int32Array | undefined;
/** CRC-32 (IEEE); zlib's native one when the runtime has it (Node >= 20.15). */
export function crc32(bytes: Uint8Array): number {
  const native = (zlib as unknown as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(bytes) >>> 0;
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** 16-byte id of a source description (package name@version, file sizes, split rule...). */
export function sourceId(description: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`${MAGIC}\n${description}`).digest().subarray(0, 16));
}

/** Cache folder: opts.cacheDir, else $SPARSEPUSH_CACHE, else <package root>/.cache/sparsepush. */
export function cacheDirectory(cacheDir?: string): string {
  return cacheDir ?? process.env['SPARSEPUSH_CACHE'] ?? join(packageRootOrNull() ?? process.cwd(), '.cache', 'sparsepush');
}

function encode(data: CachedImages, id: Uint8Array): Uint8Array {
  const n = data.count * data.features;
  if (data.pixels.length !== n || data.labels.length !== data.count) throw new Error('cache: inconsistent lengths');
  const out = new Uint8Array(CACHE_HEADER_BYTES + n + data.count);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, CACHE_HEADER_BYTES, true);
  view.setUint32(12, data.count, true);
  view.setUint32(16, data.features, true);
  view.setUint32(20, data.classes, true);
  view.setUint32(24, data.shape.length, true);
  for (let i = 0; i < 3; i++) view.setUint32(28 + 4 * i, data.shape[i] ?? 0, true);
  out.set(id, 40);
  out.set(data.pixels, CACHE_HEADER_BYTES);
  out.set(data.labels, CACHE_HEADER_BYTES + n);
  view.setUint32(56, crc32(out.subarray(CACHE_HEADER_BYTES)), true);
  return out;
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
  if (bytes.length < CACHE_HEADER_BYTES) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== CACHE_HEADER_BYTES) return undefined;
  for (let i = 0; i < 16; i++) if (bytes[40 + i] !== id[i]) return undefined;
  const count = view.getUint32(12, true);
  const features = view.getUint32(16, true);
  const classes = view.getUint32(20, true);
  const rank = view.getUint32(24, true);
  if (rank < 1 || rank > 3) return undefined;
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(28 + 4 * i, true));
  if (bytes.length !== CACHE_HEADER_BYTES + count * features + count) return undefined;
  const payload = bytes.subarray(CACHE_HEADER_BYTES);
  if (crc32(payload) !== view.getUint32(56, true)) return undefined;
  return {
    count,
    features,
    classes,
    shape,
    pixels: bytes.subarray(CACHE_HEADER_BYTES, CACHE_HEADER_BYTES + count * features),
    labels: bytes.subarray(CACHE_HEADER_BYTES + count * features),
  };
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
  const bytes = encode(data, id);
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
