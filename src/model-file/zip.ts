/**
 * The zip container of .npz files (PKWARE APPNOTE 6.3): writes stored (uncompressed) entries, reads
 * stored and deflated ones (what numpy's savez and savez_compressed write). No zip64, no
 * encryption, no multi-disk archives: refused with a DataError naming the file.
 */
import { inflateRawSync } from 'node:zlib';
import { crc32 } from '../data/cache-format.js';
import { DataError } from '../errors.js';

export { crc32 };

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
/** Fixed DOS date/time (1980-01-01 00:00): archives are a pure function of their entries. */
const DOS_TIME = 0;
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** A zip archive of the entries, stored uncompressed, in order. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  const names = entries.map((e) => new TextEncoder().encode(e.name));
  let size = 22;
  for (let i = 0; i < entries.length; i++) size += 30 + names[i]!.length + entries[i]!.data.length + 46 + names[i]!.length;
  if (size > 0xffffffff || entries.length > 0xffff) throw new DataError(`zip archive of ${size} bytes / ${entries.length} entries needs zip64, which is not written`);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  let at = 0;
  const offsets: number[] = [];
  const crcs = entries.map((e) => crc32(e.data));
  const header = (sig: number, i: number, central: boolean): void => {
    const e = entries[i]!;
    dv.setUint32(at, sig, true); at += 4;
    if (central) { dv.setUint16(at, 20, true); at += 2; } // version made by
    dv.setUint16(at, 20, true); at += 2; // version needed
    dv.setUint16(at, 0, true); at += 2; // flags
    dv.setUint16(at, 0, true); at += 2; // method: stored
    dv.setUint16(at, DOS_TIME, true); at += 2;
    dv.setUint16(at, DOS_DATE, true); at += 2;
    dv.setUint32(at, crcs[i]!, true); at += 4;
    dv.setUint32(at, e.data.length, true); at += 4;
    dv.setUint32(at, e.data.length, true); at += 4;
    dv.setUint16(at, names[i]!.length, true); at += 2;
    dv.setUint16(at, 0, true); at += 2; // extra length
    if (central) {
      dv.setUint16(at, 0, true); at += 2; // comment length
      dv.setUint16(at, 0, true); at += 2; // disk
      dv.setUint16(at, 0, true); at += 2; // internal attributes
      dv.setUint32(at, 0, true); at += 4; // external attributes
      dv.setUint32(at, offsets[i]!, true); at += 4;
    }
    out.set(names[i]!, at); at += names[i]!.length;
  };
  for (let i = 0; i < entries.length; i++) {
    offsets.push(at);
    header(LOCAL, i, false);
    out.set(entries[i]!.data, at);
    at += entries[i]!.data.length;
  }
  const centralStart = at;
  for (let i = 0; i < entries.length; i++) header(CENTRAL, i, true);
  dv.setUint32(at, END, true);
  dv.setUint16(at + 8, entries.length, true);
  dv.setUint16(at + 10, entries.length, true);
  dv.setUint32(at + 12, at - centralStart, true);
  dv.setUint32(at + 16, centralStart, true);
  return out;
}

/** The entries of a zip archive, in central-directory order; checks every CRC. */
export function readZip(bytes: Uint8Array, file: string): ZipEntry[] {
  const fail = (msg: string): never => { throw new DataError(`zip archive: ${msg}`, file); };
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (dv.getUint32(i, true) === END) { end = i; break; }
  }
  if (end < 0) fail('no end-of-central-directory record (not a zip / .npz file, or truncated)');
  const count = dv.getUint16(end + 10, true);
  const centralSize = dv.getUint32(end + 12, true);
  let at = dv.getUint32(end + 16, true);
  if (count === 0xffff || at === 0xffffffff || at + centralSize > end) fail('zip64 or a corrupt central directory (not supported)');
  const entries: ZipEntry[] = [];
  for (let k = 0; k < count; k++) {
    if (at + 46 > end || dv.getUint32(at, true) !== CENTRAL) fail(`central directory entry ${k} is corrupt`);
    const flags = dv.getUint16(at + 8, true);
    const method = dv.getUint16(at + 10, true);
    const crc = dv.getUint32(at + 16, true);
    const packed = dv.getUint32(at + 20, true);
    const size = dv.getUint32(at + 24, true);
    const nameLen = dv.getUint16(at + 28, true);
    const extraLen = dv.getUint16(at + 30, true);
    const commentLen = dv.getUint16(at + 32, true);
    const local = dv.getUint32(at + 42, true);
    const name = new TextDecoder().decode(bytes.subarray(at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
    if (flags & 1) fail(`entry ${name} is encrypted`);
    if (local + 30 > bytes.length || dv.getUint32(local, true) !== LOCAL) fail(`entry ${name}: bad local header`);
    const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
    if (start + packed > bytes.length) fail(`entry ${name} is truncated`);
    const raw = bytes.subarray(start, start + packed);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try { data = inflateRawSync(raw); } catch (err) { return fail(`entry ${name}: ${(err as Error).message}`); }
    } else return fail(`entry ${name} uses compression method ${method} (only stored and deflate are read)`);
    if (data.length !== size) fail(`entry ${name} has ${data.length} bytes, its header says ${size}`);
    if (crc32(data) !== crc) fail(`entry ${name}: CRC mismatch (corrupt file)`);
    entries.push({ name, data });
  }
  return entries;
}
