/**
 * How much memory this process may use, for the checks that refuse a run before it allocates:
 * `heapBytes` for JavaScript objects and arrays (V8's heap limit: `node --max-old-space-size`),
 * `hostBytes` for everything (the machine's memory, or the cgroup limit when one is set).
 * $SPARSEPUSH_MEMORY_LIMIT (bytes, or with a K/M/G/T suffix: 512M, 8G) lowers the host limit.
 * Portable: outside Node the limits are the browser-typical 4 GiB heap and host.
 */
import { nodeBuiltin } from './node-builtin.js';

export interface HostMemory {
  /** V8 heap limit: what JavaScript arrays and objects may hold. */
  readonly heapBytes: number;
  /** Physical memory for this process (arena, typed arrays and the heap together). */
  readonly hostBytes: number;
}

const GIB = 2 ** 30;
/** Where neither Node nor a limit tells: a browser tab's usual ceiling. */
const UNKNOWN_LIMIT_BYTES = 4 * GIB;

/** Parses `123`, `512M`, `8G`, `1.5T` (powers of 1024) into bytes; null when malformed. */
export function parseByteSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i.exec(text);
  if (!m) return null;
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
  const bytes = Math.floor(Number(m[1]) * scale);
  return bytes > 0 ? bytes : null;
}

export function hostMemory(): HostMemory {
  const os = nodeBuiltin<{ totalmem(): number }>('node:os');
  const v8 = nodeBuiltin<{ getHeapStatistics(): { heap_size_limit: number } }>('node:v8');
  const proc = (globalThis as { process?: { constrainedMemory?: () => number; env?: Record<string, string | undefined> } }).process;
  let host = os ? os.totalmem() : UNKNOWN_LIMIT_BYTES;
  const constrained = proc?.constrainedMemory?.() ?? 0;
  if (constrained > 0 && constrained < host) host = constrained;
  const override = proc?.env?.['SPARSEPUSH_MEMORY_LIMIT'];
  if (override !== undefined) {
    const bytes = parseByteSize(override);
    if (bytes !== null && bytes < host) host = bytes;
  }
  const heap = v8 ? v8.getHeapStatistics().heap_size_limit : UNKNOWN_LIMIT_BYTES;
  return { heapBytes: Math.min(heap, host), hostBytes: host };
}
