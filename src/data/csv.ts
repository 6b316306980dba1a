/**
 * `csv:PATH`: one sample per row, comma-separated; the features, then the integer class label in
 * the last column. The first non-empty line is a header when any of its cells is not a number.
 * Empty lines are skipped. Features are used as given (no scaling); shape [D].
 * Classes: opts.classes when given (labels must be below it), else max label + 1.
 * Every error names the file and the 1-based line (and column where it helps).
 */
import { readFileSync } from 'node:fs';
import { DataError } from '../errors.js';
import { sharedFloat32, sharedUint8 } from './shared.js';
import type { Dataset } from './types.js';

export interface CsvOptions {
  readonly classes?: number;
  readonly limit?: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

function isNumberCell(cell: string): boolean {
  return NUMBER.test(cell.trim());
}

export function loadCsv(path: string, opts: CsvOptions = {}): Dataset {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new DataError(`cannot read CSV file: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, path);
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const lines = text.split(/\r?\n/);
  const maxClasses = opts.classes ?? 256;
  if (opts.classes !== undefined && !(Number.isInteger(opts.classes) && opts.classes >= 1 && opts.classes <= 256)) {
    throw new DataError(`classes must be an integer in 1..256, got ${opts.classes}`, path);
  }

  let width = -1;
  let widthLine = 0;
  let headerSeen = false;
  let rows = 0;
  let capacity = 1024;
  let feats = new Float32Array(0);
  let labels = new Uint8Array(capacity);
  let maxLabel = -1;
  const limit = opts.limit && opts.limit > 0 ? opts.limit : Infinity;

  for (let li = 0; li < lines.length && rows < limit; li++) {
    const line = lines[li]!;
    if (line.trim() === '') continue;
    const lineNo = li + 1;
    const cells = line.split(',');
    if (width < 0 && !headerSeen && !cells.every(isNumberCell)) {
      headerSeen = true; // header row: its width still fixes the column count
      width = cells.length;
      widthLine = lineNo;
      if (width < 2) throw new DataError(`line ${lineNo}: need at least one feature column and a label column, found ${width} column`, path);
      continue;
    }
    if (width < 0) {
      width = cells.length;
      widthLine = lineNo;
      if (width < 2) throw new DataError(`line ${lineNo}: need at least one feature column and a label column, found ${width} column`, path);
    }
    if (cells.length !== width) {
      throw new DataError(`line ${lineNo}: ${cells.length} columns, expected ${width} (as on line ${widthLine})`, path);
    }
    const d = width - 1;
    if (rows === 0) feats = new Float32Array(capacity * d);
    if (rows === capacity) {
      capacity *= 2;
      const f2 = new Float32Array(capacity * d);
      f2.set(feats);
      feats = f2;
      const l2 = new Uint8Array(capacity);
      l2.set(labels);
      labels = l2;
    }
    for (let j = 0; j < d; j++) {
      const cell = cells[j]!;
      if (!isNumberCell(cell)) {
        throw new DataError(`line ${lineNo}, column ${j + 1}: '${cell.trim()}' is not a number`, path);
      }
      const v = Number(cell);
      if (!Number.isFinite(v) || Math.abs(v) > 3.4028234663852886e38) {
        throw new DataError(`line ${lineNo}, column ${j + 1}: ${cell.trim()} does not fit a float32`, path);
      }
      feats[rows * d + j] = v;
    }
    const labelCell = cells[d]!.trim();
    const label = Number(labelCell);
    if (!isNumberCell(labelCell) || !Number.isInteger(label) || label < 0 || label >= maxClasses) {
      const range = opts.classes !== undefined ? `0..${opts.classes - 1}` : '0..255';
      throw new DataError(`line ${lineNo}, column ${width}: label '${labelCell}' is not an integer in ${range}`, path);
    }
    labels[rows] = label;
    if (label > maxLabel) maxLabel = label;
    rows++;
  }

  if (rows === 0) throw new DataError(headerSeen ? 'no data rows after the header' : 'empty file: no data rows', path);
  const d = width - 1;
  const x = sharedFloat32(rows * d);
  x.set(feats.subarray(0, rows * d));
  const y = sharedUint8(rows);
  y.set(labels.subarray(0, rows));
  return { name: `csv:${path}`, count: rows, features: d, shape: [d], classes: opts.classes ?? maxLabel + 1, x, y };
}
