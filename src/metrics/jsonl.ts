/**
 * metrics.jsonl, the one JSON Lines writer and reader: one JSON object per line, appended and
 * flushed per line. A run killed mid-write (or a full disk) can leave a torn last line (no newline
 * after it): readers skip it, and a resume rewrites the file (atomically) without it; any other
 * malformed line is an error naming the file and line.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { DataError } from '../errors.js';
import { writeFailure, writeFileAtomic } from '../output/atomic-write.js';
import type { MetricsRecord } from './records.js';

export class JsonlRecorder {
  constructor(readonly file: string) {}

  /** Starts an empty file. */
  reset(): void {
    writeFileAtomic(this.file, '');
  }

  append(record: object): void {
    const line = `${JSON.stringify(record)}\n`;
    try {
      appendFileSync(this.file, line);
    } catch (err) {
      throw writeFailure(this.file, err, Buffer.byteLength(line));
    }
  }

  /**
   * Keeps only the records with `round <= lastRound` (resume: drops lines a killed run wrote after
   * its last checkpoint, and a torn last line); returns them.
   */
  truncateAfterRound(lastRound: number): MetricsRecord[] {
    const kept = readMetrics(this.file).filter((r) => r.round <= lastRound);
    writeFileAtomic(this.file, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
    return kept;
  }
}

export interface JsonlOptions {
  /** Skip a torn last line (default true: files appended while a run goes; false for files written whole). */
  readonly skipTorn?: boolean;
}

/**
 * The objects of a JSON Lines file ([] when it does not exist). `problem` names what is wrong with
 * a record (null: nothing); a malformed line or a problem is a DataError naming file and line.
 */
export function readJsonl<T = Record<string, unknown>>(file: string, problem: (rec: Record<string, unknown>) => string | null = () => null, opts: JsonlOptions = {}): T[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: T[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let rec: unknown;
    try {
      rec = JSON.parse(line);
    } catch (err) {
      if (i === lines.length - 1 && opts.skipTorn !== false) return; // torn: the last line, no newline written after it
      throw new DataError(`line ${i + 1}: not valid JSON (${(err as Error).message})`, file);
    }
    const bad = rec === null || typeof rec !== 'object' || Array.isArray(rec) ? 'expected a JSON object' : problem(rec as Record<string, unknown>);
    if (bad !== null) throw new DataError(`line ${i + 1}: ${bad}`, file);
    out.push(rec as T);
  });
  return out;
}

/** The lines of a metrics.jsonl; each must carry a numeric `round`. */
export function readMetrics(file: string): MetricsRecord[] {
  return readJsonl<MetricsRecord>(file, (rec) => (typeof rec['round'] === 'number' ? null : "expected an object with a numeric 'round'"));
}
