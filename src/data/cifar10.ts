/**
 * `cifar10:DIR`: the CIFAR-10 binary version (cifar-10-binary.tar.gz, unpacked). Train is
 * data_batch_1.bin .. data_batch_5.bin, test is test_batch.bin, in DIR or DIR/cifar-10-batches-bin.
 * Each record: 1 label byte (0..9) + 3072 bytes of a 32x32 image, channel-major (1024 R, G, B).
 * Converted to HWC [32, 32, 3] floats in [0, 1], records in file order (batch 1 first).
 * A file may hold any whole number of records (the real ones hold 10,000).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataError } from '../errors.js';
import { setupStage, type SetupListener } from '../setup-progress.js';
import { sharedFloat32, sharedUint8 } from './shared.js';
import type { Split } from './spec.js';
import type { Dataset } from './types.js';

export const CIFAR_RECORD_BYTES = 1 + 3072;
const PIXELS = 1024;
export const CIFAR_TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
export const CIFAR_TEST_FILES = ['test_batch.bin'];

export interface CifarOptions {
  readonly limit?: number;
  /** Progress over the batch files. */
  readonly onProgress?: SetupListener;
}

function batchFolder(dir: string): string {
  const nested = join(dir, 'cifar-10-batches-bin');
  return !existsSync(join(dir, 'test_batch.bin')) && !existsSync(join(dir, 'data_batch_1.bin')) && existsSync(nested) ? nested : dir;
}

export function loadCifar10(dir: string, split: Split, opts: CifarOptions = {}): Dataset {
  const folder = batchFolder(dir);
  const names = split === 'train' ? CIFAR_TRAIN_FILES : CIFAR_TEST_FILES;
  const files = names.map((name) => {
    const path = join(folder, name);
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new DataError(code === 'ENOENT' ? 'missing CIFAR-10 batch file' : `cannot read CIFAR-10 batch file: ${code ?? (err as Error).message}`, path);
    }
    if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
      const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
      throw new DataError(
        `truncated or not a CIFAR-10 batch: ${bytes.length} bytes is not a positive multiple of ${CIFAR_RECORD_BYTES} (record ${whole} is cut short)`,
        path,
      );
    }
    return { path, bytes, records: bytes.length / CIFAR_RECORD_BYTES };
  });
  const total = files.reduce((a, f) => a + f.records, 0);
  const count = opts.limit && opts.limit > 0 && opts.limit < total ? opts.limit : total;
  const f = 3 * PIXELS;
  const x = sharedFloat32(count * f);
  const y = sharedUint8(count);
  const scale = 1 / 255;
  let row = 0;
  const report = setupStage(opts.onProgress, `converting CIFAR-10 ${split} batches`, files.length, 'files');
  for (const [k, file] of files.entries()) {
    for (let r = 0; r < file.records && row < count; r++, row++) {
      const base = r * CIFAR_RECORD_BYTES;
      const label = file.bytes[base]!;
      if (label > 9) throw new DataError(`record ${r}: label byte ${label} is not in 0..9`, file.path);
      y[row] = label;
      const out = row * f;
      for (let p = 0; p < PIXELS; p++) {
        x[out + 3 * p] = file.bytes[base + 1 + p]! * scale;
        x[out + 3 * p + 1] = file.bytes[base + 1 + PIXELS + p]! * scale;
        x[out + 3 * p + 2] = file.bytes[base + 1 + 2 * PIXELS + p]! * scale;
      }
    }
    report(k + 1);
  }
  return { name: split === 'test' ? `cifar10:${dir}:test` : `cifar10:${dir}`, count, features: f, shape: [32, 32, 3], classes: 10, x, y };
}
