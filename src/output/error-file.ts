/**
 * error.json: what stopped a run, for programs (`code`, and `key`, `file`, `spec` where the error
 * has them) and people (`message`), with the round it stopped at. The one writer of the file.
 */
import { join } from 'node:path';
import { OutputError } from '../errors.js';
import { serializeError, type SerializedError } from '../engine/protocol.js';
import { writeFileAtomic } from './atomic-write.js';

export const ERROR_FILE = 'error.json';

/** error.json's content: the error as the workers report it (without its stack) and the round. */
export type ErrorRecord = Omit<SerializedError, 'stack'> & {
  /** Rounds completed when the run stopped (null when it stopped before round 0 or outside the engine). */
  readonly round: number | null;
};

export function errorRecord(err: unknown, round: number | null = null): ErrorRecord {
  const { stack: _stack, ...fields } = serializeError(err);
  return { ...fields, round };
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
