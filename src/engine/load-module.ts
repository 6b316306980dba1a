/**
 * Dynamic import that also works inside Piscina workers running from TypeScript sources.
 *
 * Under tsx on Node 20, worker threads get tsx's CommonJS hooks but not its ESM hooks: Piscina
 * loads workers/phase.ts through require() (tsx compiles it to CJS), and a dynamic import() of a
 * .ts module from there fails with ERR_MODULE_NOT_FOUND / ERR_UNKNOWN_FILE_EXTENSION. Then the
 * same module is loaded through require(), which tsx does handle. Compiled builds (dist/) and the
 * main thread take the plain import() path.
 */
import { createRequire } from 'node:module';

const FALLBACK_CODES = new Set(['ERR_MODULE_NOT_FOUND', 'ERR_UNKNOWN_FILE_EXTENSION', 'ERR_UNSUPPORTED_DIR_IMPORT']);

async function importRelative<T>(specifier: string, base: string): Promise<T> {
  const url = new URL(specifier, base);
  try {
    return (await import(url.href)) as T;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!code || !FALLBACK_CODES.has(code) || !base.endsWith('.ts')) throw err;
    return createRequire(base)(url.pathname) as T;
  }
}

/** The tfjs model registry, loaded the way importRelative does (what a Node worker thread passes as RuntimeOptions.loadModels). */
export function loadModelRegistry(): Promise<typeof import('../models/registry.js')> {
  return importRelative<typeof import('../models/registry.js')>('../models/registry.js', import.meta.url);
}
