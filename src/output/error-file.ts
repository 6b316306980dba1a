/**
 * error.json: what stopped a run, for programs (`code`, and `key`, `file`, `spec` where the error
 * has them) and people (`message`), with the round it stopped at. The one writer of the file.
 */
import { join } from 'node:path';
import { OutputError, SparsepushError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';

export const ERROR_FILE = 'error.json';

export interface ErrorRecord {
  readonly name: string;
  /** SparsepushError code (E_CONFIG, E_RUN, ...), or E_INTERNAL for anything else. */
  readonly code: string;
  readonly message: string;
  readonly key?: string;
  readonly file?: string;
  readonly spec?: string;
  /** Rounds completed when the run stopped (null when it stopped before round 0 or outside the engine). */
  readonly round: number | null;
}

export function errorRecord(err: unknown, round: number | null = null): ErrorRecord {
  const e = err instanceof Error ? err : new Error(String(err));
  const typed = e as Error & { key?: unknown; file?: unknown; spec?: unknown };
  return {
    name: e.name, code: err instanceof SparsepushError ? err.code : 'E_INTERNAL', message: e.message,
    ...(typeof typed.key === 'string' ? { key: typed.key } : {}), ...(typeof typed.file === 'string' ? { file: typed.file } : {}),
    ...(typeof typed.spec === 'string' ? { spec: typed.spec } : {}), round,
  };
}

/**
 * Writes `outDir/error.json` for `err`. Never throws (the run's own error matters more): returns the
 * file written, or the OutputError that kept it from being written.
 */
export function writeErrorFile(outDir: string, err: unknown, round: number | null = null): { file: string } | { failure: OutputError } {
  const file = join(outDir, ERROR_FILE);
  try {
    writeFileAtomic(file, `${JSON.stringify(errorRecord(err, round), null, 2)}\n`);
    return { file };
  } catch (failure) {
    return { failure: failure instanceof OutputError ? failure : new OutputError(file, `cannot write: ${String(failure)}`) };
  }
}
