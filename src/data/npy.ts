/**
 * `npy:X.npy,y.npy`: NumPy .npy files (format v1, v2 and v3).
 * X: float32 or float64 (converted to float32), C order, shape [N, ...] (shape [N] is one feature);
 * the per-sample shape is X's shape without N. y: an integer dtype (int8..int64, uint8..uint64,
 * either byte order), shape [N] or [N, 1], values 0..255.
 * Classes: opts.classes when given (labels must be below it), else max label + 1.
 * Features are used as given (no scaling); NaN/Inf are rejected.
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../errors.js';
import { sharedFloat32, sharedUint8 } from './shared.js';
import type { Dataset } from './types.js';

export interface NpyArray {
  /** NumPy dtype string, e.g. '<f4'. */
  readonly descr: string;
  readonly shape: readonly number[];
  readonly littleEndian: boolean;
  readonly kind: string; // 'f' | 'i' | 'u' | 'b' | ...
  readonly itemSize: number;
  readonly data: DataView;
}

/** Parses an .npy file's header and checks the data length; DataError names the file. */
export function parseNpy(bytes: Uint8Array, file: string): NpyArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) throw new DataError('not a .npy file (bad magic)', file);
  const major = bytes[6]!;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new DataError('truncated .npy header', file);
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new DataError(`unsupported .npy format version ${major}.${bytes[7]}`, file);
  }
  if (start + headerLen > bytes.length) throw new DataError(`truncated .npy header (${bytes.length} bytes, header needs ${start + headerLen})`, file);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new DataError(`unreadable .npy header: ${header.trim()}`, file);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s) => {
      if (!/^\d+L?$/.test(s)) throw new DataError(`bad shape entry '${s}' in header`, file);
      return Number.parseInt(s, 10);
    });
  const m = /^([<>|=])([a-zA-Z])(\d+)$/.exec(descr);
  if (!m) throw new DataError(`unsupported dtype '${descr}' (structured or object arrays are not supported)`, file);
  const order = m[1]!;
  const kind = m[2]!;
  const itemSize = Number(m[3]);
  if (fortran === 'True' && shape.filter((s) => s > 1).length > 1) {
    throw new DataError('fortran_order arrays are not supported; save with np.ascontiguousarray', file);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const dataStart = start + headerLen;
  const need = count * itemSize;
  const have = bytes.length - dataStart;
  if (have < need) throw new DataError(`truncated data: shape (${shape.join(', ')}) of ${descr} needs ${need} bytes, file has ${have}`, file);
  if (have > need) throw new DataError(`${have - need} unexpected bytes after the data of shape (${shape.join(', ')})`, file);
  return {
    descr,
    shape,
    littleEndian: order !== '>',
    kind,
    itemSize,
    data: new DataView(bytes.buffer, bytes.byteOffset + dataStart, need),
  };
}

function readFile(file: string): Uint8Array {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new DataError(`cannot read .npy file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, file);
  }
}

export interface NpyOptions {
  readonly classes?: number;
  readonly limit?: number;
}

export function loadNpy(xFile: string, yFile: string, opts: NpyOptions = {}): Dataset {
  const X = parseNpy(readFile(xFile), xFile);
  const Y = parseNpy(readFile(yFile), yFile);
  if (X.kind !== 'f' || (X.itemSize !== 4 && X.itemSize !== 8)) {
    throw new DataError(`features must be float32 or float64, got dtype '${X.descr}'`, xFile);
  }
  if (X.shape.length < 1) throw new DataError('features must have shape [N, ...], got a scalar', xFile);
  if (!((Y.kind === 'i' || Y.kind === 'u') && [1, 2, 4, 8].includes(Y.itemSize))) {
    throw new DataError(`labels must be an integer dtype (int8..int64, uint8..uint64), got '${Y.descr}'`, yFile);
  }
  const n = X.shape[0]!;
  if (!(Y.shape.length === 1 || (Y.shape.length === 2 && Y.shape[1] === 1))) {
    throw new DataError(`labels must have shape [N] or [N, 1], got (${Y.shape.join(', ')})`, yFile);
  }
  if (Y.shape[0] !== n) {
    throw new DataError(`labels have ${Y.shape[0]} rows but features ${xFile} have ${n}`, yFile);
  }
  if (n === 0) throw new DataError('no samples (N = 0)', xFile);
  if (opts.classes !== undefined && !(Number.isInteger(opts.classes) && opts.classes >= 1 && opts.classes <= 256)) {
    throw new DataError(`classes must be an integer in 1..256, got ${opts.classes}`, yFile);
  }
  const rows = opts.limit && opts.limit > 0 && opts.limit < n ? opts.limit : n;
  const sampleShape = X.shape.length === 1 ? [1] : X.shape.slice(1);
  const f = sampleShape.reduce((a, b) => a * b, 1);
  if (f === 0) throw new DataError(`features have shape (${X.shape.join(', ')}): zero features per sample`, xFile);

  const x = sharedFloat32(rows * f);
  const le = X.littleEndian;
  for (let i = 0; i < rows * f; i++) {
    const v = X.itemSize === 4 ? X.data.getFloat32(i * 4, le) : X.data.getFloat64(i * 8, le);
    if (!Number.isFinite(v) || Math.abs(v) > 3.4028234663852886e38) {
      throw new DataError(`row ${Math.floor(i / f)}, feature ${i % f}: ${v} is not a finite float32`, xFile);
    }
    x[i] = v;
  }

  const y = sharedUint8(rows);
  const maxClasses = opts.classes ?? 256;
  let maxLabel = -1;
  const signed = Y.kind === 'i';
  for (let i = 0; i < rows; i++) {
    let v: number;
    let shown: string | undefined; // the stored value, when it does not fit a number exactly
    switch (Y.itemSize) {
      case 1: v = signed ? Y.data.getInt8(i) : Y.data.getUint8(i); break;
      case 2: v = signed ? Y.data.getInt16(i * 2, Y.littleEndian) : Y.data.getUint16(i * 2, Y.littleEndian); break;
      case 4: v = signed ? Y.data.getInt32(i * 4, Y.littleEndian) : Y.data.getUint32(i * 4, Y.littleEndian); break;
      default: {
        const b = signed ? Y.data.getBigInt64(i * 8, Y.littleEndian) : Y.data.getBigUint64(i * 8, Y.littleEndian);
        v = b > 1000000n || b < -1000000n ? Number.NaN : Number(b);
        shown = b.toString();
      }
    }
    if (!(v >= 0 && v < maxClasses)) {
      const range = opts.classes !== undefined ? `0..${opts.classes - 1}` : '0..255';
      throw new DataError(`row ${i}: label ${shown ?? v} is not in ${range}`, yFile);
    }
    y[i] = v;
    if (v > maxLabel) maxLabel = v;
  }
  return {
    name: `npy:${xFile},${yFile}`,
    count: rows,
    features: f,
    shape: sampleShape,
    classes: opts.classes ?? maxLabel + 1,
    x,
    y,
  };
}
