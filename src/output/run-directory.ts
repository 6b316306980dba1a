/**
 * What a run directory is, so a run only ever replaces files a run wrote: a directory is a run
 * directory when it holds a config.resolved.yaml written by this program (its header line) or a
 * metrics.jsonl whose first record is one of ours (a run made through the library before it wrote
 * its config). A fresh run may use a directory that does not exist, is empty, or is a run
 * directory; anything else is someone's files and is refused.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RESOLVED_CONFIG_HEADER } from '../config/load.js';
import { LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE, MODEL_NPZ } from '../model-file/names.js';
import { tempOwner } from './atomic-write.js';
import { LOCK_FILE } from './run-lock.js';

export const CONFIG_FILE = 'config.resolved.yaml';
export const METRICS_FILE = 'metrics.jsonl';
export const SUMMARY_FILE = 'summary.json';
export const REPORT_FILE = 'report.html';

/** Files a run writes at the top of its directory; a fresh run over an earlier one replaces them. */
export const RUN_FILES = [SUMMARY_FILE, 'error.json', REPORT_FILE, METRICS_FILE, CONFIG_FILE, MODEL_NPZ, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE] as const;

export type DirectoryState =
  | 'absent'
  /** Exists, holds nothing but our lock and temporary files. */
  | 'empty'
  /** A run directory without summary.json (unfinished or failed). */
  | 'run'
  /** A run directory with summary.json. */
  | 'finished'
  /** A directory holding files that no run wrote. */
  | 'foreign'
  /** Not a directory. */
  | 'file';

function firstLine(file: string, max = 4096): string | null {
  let fd: number;
  try { fd = openSync(file, 'r'); } catch { return null; }
  try {
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    return buf.subarray(0, n).toString('utf8').split('\n')[0]!;
  } finally {
    closeSync(fd);
  }
}

function ourMetrics(file: string): boolean {
  const line = firstLine(file, 1 << 16);
  if (!line) return false;
  try {
    const rec = JSON.parse(line) as Record<string, unknown>;
    return typeof rec['round'] === 'number' && typeof rec['bitsSent'] === 'number';
  } catch {
    return false;
  }
}

/** True when `dir` holds a run's files (see the module comment). */
function isRunDirectory(dir: string): boolean {
  return firstLine(join(dir, CONFIG_FILE))?.trim() === `# ${RESOLVED_CONFIG_HEADER}` || ourMetrics(join(dir, METRICS_FILE));
}

export function directoryState(dir: string): DirectoryState {
  if (!existsSync(dir)) return 'absent';
  if (!statSync(dir).isDirectory()) return 'file';
  const entries = readdirSync(dir).filter((e) => e !== LOCK_FILE && tempOwner(e) === null);
  if (entries.length === 0) return 'empty';
  if (!isRunDirectory(dir)) return 'foreign';
  return existsSync(join(dir, SUMMARY_FILE)) ? 'finished' : 'run';
}
