/**
 * Locating the sparsepush package (its version for results and --version, its root for the data
 * cache and bench) from this module, whether it runs from src/ (tsx) or dist/src/ (compiled).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

let found: { root: string; version: string } | null | undefined;

/** The folder of sparsepush's package.json and its version, or null when none is above this module. */
function findPackage(): { root: string; version: string } | null {
  if (found !== undefined) return found;
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        const json = JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string; version?: string };
        if (json.name === 'sparsepush' && typeof json.version === 'string') return (found = { root: dir, version: json.version });
      } catch { /* not ours: keep looking */ }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return (found = null);
}

function requirePackage(): { root: string; version: string } {
  const pkg = findPackage();
  if (!pkg) throw new Error(`cannot find sparsepush's package.json above ${here}`);
  return pkg;
}

/** The directory holding sparsepush's package.json (an error when it cannot be found). */
export function packageRoot(): string {
  return requirePackage().root;
}

/** sparsepush's package version, as recorded in every run's summary (an error when package.json cannot be found). */
export function packageVersion(): string {
  return requirePackage().version;
}

/** The package root when found, else null (callers with a fallback, such as the data cache). */
export function packageRootOrNull(): string | null {
  return findPackage()?.root ?? null;
}

/** True when this code runs from the compiled dist/ tree rather than TypeScript sources. */
export function runningFromDist(): boolean {
  return /[\\/]dist[\\/]src$/.test(here);
}
