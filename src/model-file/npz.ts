/**
 * .npz: a zip of .npy files, one array per entry (`NAME.npy` holds array NAME; numpy.load(file)[NAME]).
 * Written as NPY format 1.0, little-endian float32 ('<f4'), C order, the header padded so the data
 * starts at a multiple of 64 bytes (as numpy writes it), entries stored uncompressed. Read: any
 * .npz numpy writes (savez or savez_compressed) whose arrays are float32 or float64.
 */
import { DataError } from '../errors.js';
import { parseNpy } from '../data/npy.js';
import { product } from '../models/layout.js';
import { readZip, writeZip } from './zip.js';

export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** The .npy bytes of a float32 array of the given shape. */
export function encodeNpy(shape: readonly number[], values: Float32Array): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  const dict = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  const headerLen = Math.ceil((10 + dict.length + 1) / 64) * 64 - 10;
  const out = new Uint8Array(10 + headerLen + values.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, headerLen, true);
  const header = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let i = 0; i < headerLen; i++) out[10 + i] = header.charCodeAt(i);
  const data = new DataView(out.buffer, 10 + headerLen);
  for (let i = 0; i < values.length; i++) data.setFloat32(4 * i, values[i]!, true);
  return out;
}

export function writeNpz(arrays: readonly NamedArray[]): Uint8Array {
  return writeZip(arrays.map((a) => {
    const size = product(a.shape);
    if (size !== a.values.length) throw new DataError(`array ${a.name}: shape [${a.shape.join(', ')}] holds ${size} values, got ${a.values.length}`);
    return { name: `${a.name}.npy`, data: encodeNpy(a.shape, a.values) };
  }));
}

/** The arrays of an .npz file, by name (entry name without `.npy`), as float32. */
export function readNpz(bytes: Uint8Array, file: string): Map<string, NamedArray> {
  const out = new Map<string, NamedArray>();
  for (const entry of readZip(bytes, file)) {
    if (!entry.name.endsWith('.npy')) throw new DataError(`entry ${entry.name} is not an .npy array`, file);
    const name = entry.name.slice(0, -4);
    const a = parseNpy(entry.data, `${file}:${entry.name}`);
    if (a.kind !== 'f' || (a.itemSize !== 4 && a.itemSize !== 8)) throw new DataError(`array ${name} has dtype ${a.descr}, expected float32 or float64`, file);
    const count = product(a.shape);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      values[i] = a.itemSize === 4 ? a.data.getFloat32(4 * i, a.littleEndian) : a.data.getFloat64(8 * i, a.littleEndian);
    }
    out.set(name, { name, shape: [...a.shape], values });
  }
  return out;
}
