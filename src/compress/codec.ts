/**
 * The wire format (version 2; version 1 is the same without the rice and seeded index formats, and
 * is still read).
 * All integers little-endian.
 *
 *   offset size field
 *   0      1    magic 0x53 ('S')
 *   1      1    version 2
 *   2      1    sparsifier id (0 dense, 1 topk, 2 randk, 3 threshold)
 *   3      1    value format id (0 f32, 1 int8, 2 int4, 3 qsgd, 4 sign)
 *   4      1    index format id (0 dense, 1 bitmap, 2 abs16, 3 abs32, 4 delta-varint, 5 delta-rice, 6 seeded)
 *   5      1    flags (bit 0: randk values rescaled by d/k; other bits 0)
 *   6      1    qsgd levels s (0 for other formats)
 *   7      1    CRC-8 (poly 0x07) of header bytes 0..6 and 8..23
 *   8      4    d
 *   12     4    k (kept coordinates)
 *   16     4    bucket (int8 / int4 / qsgd; 0 otherwise)
 *   20     4    total message length in bytes (header included): truncation and trailing bytes show
 *   24     ...  value section (ValueFormat.bytes(k) bytes), then index section (rest of the message)
 *
 * Index section, whichever is smallest for this message (ties: the lower id):
 *   dense  0 bytes, only when k == d;  bitmap ceil(d/8) bytes, bit i (LSB first) set when i is kept;
 *   abs16  2k bytes (d <= 65536);  abs32 4k bytes;  varint LEB128 of idx[0], idx[j]-idx[j-1]-1;
 *   rice   one byte b (0..31), then the same deltas v Rice-coded: v >> b in unary (that many 1 bits,
 *          then a 0), then the low b bits of v; bits LSB first, pad bits 0. The encoder picks the b
 *          with the fewest bits; ~8 bits per index at 1% kept where varint spends ~10;
 *   seeded 4 bytes, randk only: the u32 stream key the sender drew its k indices from; the receiver
 *          redraws them (randk(d, k, key), the sparsifier's own kernel), so they cost no bits.
 * Value sections (n = k, nb = ceil(n / bucket)):
 *   f32  4n bytes;  int8 nb f32 scales + n i8 (in -127..127);  int4 nb f32 scales + ceil(n/2)
 *   bytes of two's-complement nibbles (-7..7, low nibble first, pad nibble 0);  qsgd nb f32 norms +
 *   ceil(n*b/8) bytes of (level + s) in b = ceil(log2(2s+1)) bits each, LSB first, pad bits 0;
 *   sign (n > 0) one f32 scale + ceil(n/8) bytes of sign bits (1 = negative, LSB first, pad bits 0).
 */
import { WireError } from '../errors.js';
import type { KernelContext } from './exec.js';
import { type Selection, SparsifierId } from './stages.js';

export const MAGIC = 0x53;
export const VERSION = 2;
/** Versions this build reads: 1 lacks only the rice and seeded index formats. */
const READABLE_VERSIONS = [1, 2];
export const HEADER_BYTES = 24;
/** d and k are u32 on the wire; kernels take i32 counts, so d stays below 2^31. */
export const MAX_D = 0x7fffffff;

export const IndexFormat = { dense: 0, bitmap: 1, abs16: 2, abs32: 3, varint: 4, rice: 5, seeded: 6 } as const;
const INDEX_FORMAT_NAMES = ['dense', 'bitmap', 'abs16', 'abs32', 'varint', 'rice', 'seeded'];
/** Bytes of a seeded index section (the u32 key). */
const SEEDED_BYTES = 4;
export const SPARSIFIER_NAMES = ['dense', 'topk', 'randk', 'threshold'];
export const VALUE_FORMAT_NAMES = ['f32', 'int8', 'int4', 'qsgd', 'sign'];

const CRC8_TABLE = (() => {
  const t = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    t[i] = c;
  }
  return t;
})();

function headerCrc(h: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < HEADER_BYTES; i++) if (i !== 7) c = CRC8_TABLE[c ^ h[i]!]!;
  return c;
}

export interface Header {
  readonly sparsifier: number;
  readonly format: number;
  readonly indexFormat: number;
  readonly flags: number;
  readonly levels: number;
  readonly d: number;
  readonly k: number;
  readonly bucket: number;
  readonly length: number;
}

/** Writes the 24-byte header at the start of `h`. */
export function writeHeader(h: Uint8Array, f: Header): void {
  const dv = new DataView(h.buffer, h.byteOffset, HEADER_BYTES);
  h[0] = MAGIC;
  h[1] = VERSION;
  h[2] = f.sparsifier;
  h[3] = f.format;
  h[4] = f.indexFormat;
  h[5] = f.flags;
  h[6] = f.levels;
  dv.setUint32(8, f.d, true);
  dv.setUint32(12, f.k, true);
  dv.setUint32(16, f.bucket, true);
  dv.setUint32(20, f.length, true);
  h[7] = headerCrc(h);
}

/** What the receiving compressor expects to find in a header. */
export interface HeaderExpectation {
  readonly label: string;
  readonly d: number;
  readonly sparsifier: number;
  readonly format: number;
  readonly flags: number;
  readonly levels: number;
  readonly bucket: number;
  /** k the sparsifier always sends for d (undefined: any k in 0..d). */
  readonly fixedK: number | undefined;
  /** Value section bytes for k values. */
  valueBytes(k: number): number;
  /** maxEncodedBytes(d): no valid message is longer (bounds the receiver's scratch). */
  readonly maxLength: number;
}

function describe(sparsifier: number, format: number): string {
  return `${SPARSIFIER_NAMES[sparsifier] ?? `sparsifier#${sparsifier}`}+${VALUE_FORMAT_NAMES[format] ?? `format#${format}`}`;
}

export function indexSectionBytes(fmt: number, d: number, k: number): number {
  switch (fmt) {
    case IndexFormat.dense: return 0;
    case IndexFormat.bitmap: return Math.ceil(d / 8);
    case IndexFormat.abs16: return 2 * k;
    case IndexFormat.abs32: return 4 * k;
    case IndexFormat.seeded: return SEEDED_BYTES;
    default: return -1; // varint, rice: variable
  }
}

/**
 * Length of the wire message that starts at byte `offset` of `bytes` (a payload of several
 * messages back to back): magic, version and header checksum are checked and the length must fit
 * in what remains, so a hostile length cannot split the payload anywhere else. The message itself
 * is validated in full (readHeader) by the compressor that reads it.
 */
export function frameLength(bytes: Uint8Array, offset: number, label: string): number {
  const fail = (msg: string): never => { throw new WireError(`${label}: ${msg}`); };
  const rest = bytes.length - offset;
  if (rest < HEADER_BYTES) fail(`message at byte ${offset} truncated: ${rest} bytes left, a header is ${HEADER_BYTES}`);
  const h = bytes.subarray(offset, offset + HEADER_BYTES);
  checkFrame(h, ` at byte ${offset}`, fail);
  const length = new DataView(h.buffer, h.byteOffset, HEADER_BYTES).getUint32(20, true);
  if (length < HEADER_BYTES || length > rest) fail(`message at byte ${offset} says ${length} bytes, ${rest} remain`);
  return length;
}

/** Magic byte, a readable version and the header checksum of the header h (`where`: its place, for errors). */
function checkFrame(h: Uint8Array, where: string, fail: (msg: string) => never): void {
  if (h[0] !== MAGIC) fail(`bad magic byte 0x${h[0]!.toString(16)}${where} (not a sparsepush message)`);
  if (!READABLE_VERSIONS.includes(h[1]!)) fail(`unsupported wire version ${h[1]}${where} (this build reads ${READABLE_VERSIONS.join(' and ')})`);
  if (h[7] !== headerCrc(h)) fail(`header checksum mismatch${where} (corrupt header)`);
}

/**
 * Validates a header against the receiver's expectation and the message length, using only the
 * JS bytes (nothing is copied or handed to a kernel before this passes).
 */
export function readHeader(bytes: Uint8Array, e: HeaderExpectation): Header {
  const fail = (msg: string): never => { throw new WireError(`${e.label}: ${msg}`); };
  const n = bytes.length;
  if (n < HEADER_BYTES) fail(`message truncated: ${n} bytes, the header alone is ${HEADER_BYTES}`);
  checkFrame(bytes, '', fail);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, HEADER_BYTES);
  const h: Header = {
    sparsifier: bytes[2]!, format: bytes[3]!, indexFormat: bytes[4]!, flags: bytes[5]!, levels: bytes[6]!,
    d: dv.getUint32(8, true), k: dv.getUint32(12, true), bucket: dv.getUint32(16, true), length: dv.getUint32(20, true),
  };
  if (h.length !== n) {
    fail(h.length > n ? `message truncated: header says ${h.length} bytes, got ${n}` : `trailing bytes: header says ${h.length} bytes, got ${n}`);
  }
  if (h.sparsifier !== e.sparsifier || h.format !== e.format) {
    fail(`message is ${describe(h.sparsifier, h.format)}, this compressor reads ${describe(e.sparsifier, e.format)}`);
  }
  if (h.flags !== e.flags) fail(`flags 0x${h.flags.toString(16)} do not match this compressor's 0x${e.flags.toString(16)}`);
  if (h.levels !== e.levels) fail(`message has qsgd levels s=${h.levels}, this compressor uses s=${e.levels}`);
  if (h.bucket !== e.bucket) fail(`message has bucket ${h.bucket}, this compressor uses bucket ${e.bucket}`);
  if (h.d !== e.d) fail(`expected d=${e.d}, message has d=${h.d}`);
  if (h.k > h.d) fail(`k=${h.k} exceeds d=${h.d}`);
  if (n > e.maxLength) fail(`message has ${n} bytes, more than any encoding for d=${e.d} (${e.maxLength})`);
  if (e.fixedK !== undefined && h.k !== e.fixedK) fail(`k=${h.k}, but this compressor sends k=${e.fixedK} for d=${h.d}`);
  const lastFormat = bytes[1] === 1 ? IndexFormat.varint : IndexFormat.seeded;
  if (h.indexFormat > lastFormat) fail(`unknown index format ${h.indexFormat} in a version ${bytes[1]} message`);
  if ((h.indexFormat === IndexFormat.dense) !== (h.k === h.d)) {
    fail(h.k === h.d ? `k == d=${h.d} must use the dense index format, got ${INDEX_FORMAT_NAMES[h.indexFormat]}` : `dense index format with k=${h.k} < d=${h.d}`);
  }
  if (h.indexFormat === IndexFormat.abs16 && h.d > 65536) fail(`abs16 indices with d=${h.d} > 65536`);
  if (h.indexFormat === IndexFormat.seeded && (h.sparsifier !== SparsifierId.randk || h.k === 0)) {
    fail(`seeded indices in a ${SPARSIFIER_NAMES[h.sparsifier]} message with k=${h.k} (only randk with k >= 1 draws its indices from a key)`);
  }
  const body = HEADER_BYTES + e.valueBytes(h.k);
  if (body > n) fail(`message truncated: ${n} bytes, the ${h.k} values alone end at byte ${body}`);
  const idxBytes = n - body;
  const want = indexSectionBytes(h.indexFormat, h.d, h.k);
  if (want >= 0 && idxBytes !== want) {
    fail(`${INDEX_FORMAT_NAMES[h.indexFormat]} index section has ${idxBytes} bytes, needs ${want} for d=${h.d}, k=${h.k}`);
  }
  if (h.indexFormat === IndexFormat.varint && (idxBytes < h.k || idxBytes > 5 * h.k)) {
    fail(`varint index section has ${idxBytes} bytes, impossible for k=${h.k} (needs ${h.k}..${5 * h.k})`);
  }
  if (h.indexFormat === IndexFormat.rice) {
    // At least the parameter byte and one bit per index; at most what the encoder's fallback would take.
    const least = 1 + Math.ceil(h.k / 8);
    const most = Math.min(Math.ceil(h.d / 8), (h.d <= 65536 ? 2 : 4) * h.k);
    if (h.k === 0 || idxBytes < least || idxBytes > most) {
      fail(`rice index section has ${idxBytes} bytes, impossible for k=${h.k}, d=${h.d} (needs ${least}..${most}, k >= 1)`);
    }
  }
  return h;
}

/**
 * The cheapest index format for the selection (ties: the lower id) and its section's bytes, from
 * the lengths alone: varint counts when strictly smaller than bitmap and abs, rice when strictly
 * smaller than those too (one delta_costs pass gives both), and a selection that carries its seed
 * (randk) sends the 4-byte key when that is smaller still. Nothing is written.
 */
export function planIndices(ctx: KernelContext, sel: Selection, d: number): [number, number] {
  const { k } = sel;
  if (k === d) return [IndexFormat.dense, 0];
  const bitmap = Math.ceil(d / 8);
  const absFmt = d <= 65536 ? IndexFormat.abs16 : IndexFormat.abs32;
  const abs = indexSectionBytes(absFmt, d, k);
  const seeded = sel.seed !== undefined && k > 0 ? SEEDED_BYTES : Infinity;
  let fmt: number = bitmap <= abs ? IndexFormat.bitmap : absFmt;
  let cost = Math.min(bitmap, abs);
  // Lower bounds: a varint takes a byte per index, rice a bit per index and its parameter byte.
  const riceLeast = 1 + Math.ceil(k / 8);
  if (seeded < Math.min(cost, k, riceLeast)) return [IndexFormat.seeded, SEEDED_BYTES];
  if (k > 0 && (k < cost || riceLeast < cost)) {
    const out = ctx.alloc(12);
    ctx.kx.delta_costs(sel.idx, k, out);
    const [varint, , rice] = ctx.u32(out, 3);
    if (k < cost && varint! < cost) [fmt, cost] = [IndexFormat.varint, varint!];
    if (riceLeast < cost && rice! < cost) [fmt, cost] = [IndexFormat.rice, rice!];
  }
  if (seeded < cost) return [IndexFormat.seeded, SEEDED_BYTES];
  return [fmt, cost];
}

/**
 * Writes the selection's indices at dst in planIndices' format; returns [format, bytes]. dst must
 * have room for min(bitmap, abs) bytes.
 */
export function writeIndices(ctx: KernelContext, sel: Selection, d: number, dst: number): [number, number] {
  const plan = planIndices(ctx, sel, d);
  const [fmt, bytes] = plan;
  const { k } = sel;
  const kx = ctx.kx;
  switch (fmt) {
    case IndexFormat.dense: break;
    case IndexFormat.seeded: writeSeed(ctx, sel.seed!, dst); break;
    case IndexFormat.rice: kx.rice_encode_deltas(sel.idx, k, bytes + 1, dst); break;
    case IndexFormat.varint: kx.varint_encode_deltas(sel.idx, k, dst); break;
    case IndexFormat.bitmap: kx.bitmap_encode(sel.idx, k, d, dst); break;
    case IndexFormat.abs32: ctx.bytes.copyWithin(dst, sel.idx, sel.idx + 4 * k); break;
    default: {
      const idx = ctx.u32(sel.idx, k);
      const out = ctx.bytes;
      for (let j = 0; j < k; j++) {
        const v = idx[j]!;
        out[dst + 2 * j] = v & 0xff;
        out[dst + 2 * j + 1] = v >>> 8;
      }
    }
  }
  return plan;
}

function writeSeed(ctx: KernelContext, key: number, dst: number): void {
  new DataView(ctx.bytes.buffer, ctx.bytes.byteOffset + dst, SEEDED_BYTES).setUint32(0, key >>> 0, true);
}

/**
 * Decodes and validates the index section at ptr (len bytes, in kernel memory) into a fresh
 * scratch buffer; returns its pointer, or -1 for dense.
 */
export function readIndices(ctx: KernelContext, ptr: number, len: number, h: Header, fail: (msg: string) => never): number {
  const { d, k } = h;
  const kx = ctx.kx;
  switch (h.indexFormat) {
    case IndexFormat.dense:
      return -1;
    case IndexFormat.bitmap: {
      const idx = ctx.alloc(4 * d); // room for every bit, whatever the popcount
      const count = kx.bitmap_decode(ptr, d, idx);
      if (count < 0) fail(`bitmap has bits set past d=${d}`);
      if (count !== k) fail(`bitmap has ${count} bits set, header says k=${k}`);
      return idx;
    }
    case IndexFormat.abs16:
    case IndexFormat.abs32: {
      const idx = ctx.alloc(4 * k);
      const out = ctx.u32(idx, k);
      const b = ctx.bytes;
      const wide = h.indexFormat === IndexFormat.abs32;
      let prev = -1;
      for (let j = 0; j < k; j++) {
        const p = ptr + (wide ? 4 * j : 2 * j);
        const v = wide ? (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0 : b[p]! | (b[p + 1]! << 8);
        if (v >= d) fail(`index ${j} is ${v}, not < d=${d}`);
        if (v <= prev) fail(`indices not strictly ascending at position ${j} (${prev} then ${v})`);
        out[j] = v;
        prev = v;
      }
      return idx;
    }
    case IndexFormat.seeded: {
      const key = new DataView(ctx.bytes.buffer, ctx.bytes.byteOffset + ptr, SEEDED_BYTES).getUint32(0, true);
      const idx = ctx.alloc(4 * k);
      const drawn = kx.randk(d, k, key, idx, ctx.alloc(kx.randk_scratch_bytes(d, k)));
      if (drawn !== k) fail(`seeded indices: key ${key} drew ${drawn} indices, header says k=${k}`);
      return idx;
    }
    case IndexFormat.rice: {
      const idx = ctx.alloc(4 * k);
      const used = kx.rice_decode_deltas(ptr, len, k, d, idx);
      if (used === -1) fail(`rice index section truncated (k=${k}, ${len} bytes)`);
      if (used === -2) fail('rice index section has a parameter above 31');
      if (used === -3) fail(`rice index section decodes an index >= d=${d}`);
      if (used === -4) fail('rice index section has pad bits that are not 0');
      if (used < 0) fail(`rice index section rejected (code ${used})`);
      if (used !== len) fail(`rice index section has ${len - used} trailing bytes after ${k} indices`);
      return checkedAscending(ctx, idx, k, d, 'rice', fail);
    }
    default: {
      const idx = ctx.alloc(4 * k);
      const used = kx.varint_decode_deltas(ptr, len, k, d, idx);
      if (used === -1) fail(`varint index section truncated (k=${k}, ${len} bytes)`);
      if (used === -2) fail('malformed varint (longer than 5 bytes or above 2^32)');
      if (used === -3) fail(`varint index section decodes an index >= d=${d}`);
      if (used < 0) fail(`varint index section rejected (code ${used})`);
      if (used !== len) fail(`varint index section has ${len - used} trailing bytes after ${k} indices`);
      return checkedAscending(ctx, idx, k, d, 'varint', fail);
    }
  }
}

/** The delta decoders guarantee ascending and < d; re-checked cheaply so a kernel bug cannot reach scatter. */
function checkedAscending(ctx: KernelContext, idx: number, k: number, d: number, what: string, fail: (msg: string) => never): number {
  const out = ctx.u32(idx, k);
  let prev = -1;
  for (let j = 0; j < k; j++) {
    const v = out[j]!;
    if (v >= d || v <= prev) fail(`${what} index ${j} is ${v} after ${prev} (d=${d})`);
    prev = v;
  }
  return idx;
}
