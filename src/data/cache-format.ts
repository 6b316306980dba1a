/**
 * The binary dataset cache format (no I/O: Node's cache files in src/data/cache.ts and the browser
 * page's MNIST asset are both read with decodeCache). One split per file, little-endian:
 *
 *   offset  size  field
 *   0       8     magic "SPDSET02"
 *   8       4     header bytes (64)
 *   12      4     count (samples)
 *   16      4     features per sample
 *   20      4     classes
 *   24      4     shape rank (1..3)
 *   28      12    shape (3 x u32, unused dims 0)
 *   40      16    source id: first 16 bytes of sha256 of the source description (package name,
 *                 version, sizes of its data files, split rule, cache format)
 *   56      4     CRC-32 of the whole file with this field read as 0 (header and payload)
 *   60      4     reserved (0)
 *   64      count*features   pixels, uint8 (0..255), row-major
 *   ...     count            labels, uint8
 *
 * Nothing in a file is trusted: the CRC covers every header field, and the fields must agree with
 * each other (shape with features, every label below classes, the file size with count).
 */
import { nodeBuiltin } from '../node-builtin.js';

export const CACHE_MAGIC = 'SPDSET02';
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
/** CRC-32 (IEEE), continuing from `previous` (the CRC of the bytes before); zlib's native one when the runtime has it (Node >= 20.15). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  const native = nodeBuiltin<{ crc32?: (d: Uint8Array, value?: number) => number }>('node:zlib')?.crc32;
  if (typeof native === 'function') return native(bytes, previous) >>> 0;
  if (!crcTable) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = previous ^ -1;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

const CRC_OFFSET = 56;
/** CRC-32 of a whole cache file with its CRC field read as zero. */
function fileCrc(bytes: Uint8Array): number {
  let c = crc32(bytes.subarray(0, CRC_OFFSET));
  c = crc32(new Uint8Array(4), c);
  return crc32(bytes.subarray(CRC_OFFSET + 4), c);
}

export function encodeCache(data: CachedImages, id: Uint8Array): Uint8Array {
  const n = data.count * data.features;
  if (data.pixels.length !== n || data.labels.length !== data.count) throw new Error('cache: inconsistent lengths');
  const out = new Uint8Array(CACHE_HEADER_BYTES + n + data.count);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = CACHE_MAGIC.charCodeAt(i);
  view.setUint32(8, CACHE_HEADER_BYTES, true);
  view.setUint32(12, data.count, true);
  view.setUint32(16, data.features, true);
  view.setUint32(20, data.classes, true);
  view.setUint32(24, data.shape.length, true);
  for (let i = 0; i < 3; i++) view.setUint32(28 + 4 * i, data.shape[i] ?? 0, true);
  out.set(id, 40);
  out.set(data.pixels, CACHE_HEADER_BYTES);
  out.set(data.labels, CACHE_HEADER_BYTES + n);
  view.setUint32(CRC_OFFSET, fileCrc(out), true);
  return out;
}

/**
 * The images in cache bytes; undefined when the CRC, the header fields, the size or (when `id` is
 * given; null: any source) the source id do not match.
 */
export function decodeCache(bytes: Uint8Array, id: Uint8Array | null): CachedImages | undefined {
  if (bytes.length < CACHE_HEADER_BYTES) return undefined;
  for (let i = 0; i < 8; i++) if (bytes[i] !== CACHE_MAGIC.charCodeAt(i)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(CRC_OFFSET, true) !== fileCrc(bytes)) return undefined;
  if (view.getUint32(8, true) !== CACHE_HEADER_BYTES) return undefined;
  if (id) for (let i = 0; i < 16; i++) if (bytes[40 + i] !== id[i]) return undefined;
  const count = view.getUint32(12, true);
  const features = view.getUint32(16, true);
  const classes = view.getUint32(20, true);
  const rank = view.getUint32(24, true);
  if (rank < 1 || rank > 3 || classes < 1 || classes > 256 || count < 1) return undefined;
  const shape: number[] = [];
  for (let i = 0; i < rank; i++) shape.push(view.getUint32(28 + 4 * i, true));
  if (shape.reduce((a, b) => a * b, 1) !== features) return undefined;
  for (let i = rank; i < 3; i++) if (view.getUint32(28 + 4 * i, true) !== 0) return undefined;
  if (view.getUint32(60, true) !== 0) return undefined;
  if (bytes.length !== CACHE_HEADER_BYTES + count * features + count) return undefined;
  const labels = bytes.subarray(CACHE_HEADER_BYTES + count * features);
  for (let i = 0; i < labels.length; i++) if (labels[i]! >= classes) return undefined;
  return {
    count,
    features,
    classes,
    shape,
    pixels: bytes.subarray(CACHE_HEADER_BYTES, CACHE_HEADER_BYTES + count * features),
    labels,
  };
}
