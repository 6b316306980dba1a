/** Locating the package (for --version and bench) from src/ (tsx) or dist/ (compiled). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** The directory holding sparsepush's package.json. */
export function packageRoot(): string {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sparsepush') return dir;
      } catch { /* keep looking */ }
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find sparsepush's package.json above ${here}`);
}

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** True when this code runs from the compiled dist/ tree rather than TypeScript sources. */
export function runningFromDist(): boolean {
  return /[\\/]dist[\\/]src[\\/]cli$/.test(here);
}
