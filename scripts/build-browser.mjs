// `npm run build:browser` (part of `npm run build`, after build:ts):
// 1. bundles the `sparsepush/browser` entry as an app would (esbuild, minified ESM, the asset plugin
//    for the kernels) into dist/browser/, prints its size and fails above the budget;
// 2. builds the simulation page web/ into dist/web/ (what `sparsepush serve` serves).
// `--source` bundles the TypeScript sources instead of dist/ (the `sparsepush:source` condition).
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { assetUrls } from './esbuild-assets.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Minified JS of the browser entry (kernels, compressors, codec, topologies, partitioners, logistic, engine). */
export const LIBRARY_BUDGET_BYTES = 160_000;

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/**
 * Bundles `sparsepush/browser` into outDir; returns { js, gzip, assets } byte counts.
 * @param {{ outDir?: string, source?: boolean }} [opts]
 */
export async function bundleLibrary({ outDir = join(ROOT, 'dist', 'browser'), source = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const emitted = new Map();
  await esbuild.build({
    stdin: { contents: "export * from 'sparsepush/browser';", resolveDir: ROOT, loader: 'js', sourcefile: 'sparsepush-browser.js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, outfile: join(outDir, 'sparsepush-browser.js'),
    conditions: source ? ['sparsepush:source'] : [], logLevel: 'warning', plugins: [assetUrls(emitted)],
  });
  const js = readFileSync(join(outDir, 'sparsepush-browser.js'));
  return { js: js.length, gzip: gzipSync(js).length, assets: Object.fromEntries(emitted) };
}

async function main() {
  const source = process.argv.includes('--source');
  const lib = await bundleLibrary({ source });
  const assets = Object.entries(lib.assets).map(([name, bytes]) => `${name} ${kb(bytes)}`).join(', ');
  console.log(`sparsepush/browser: ${kb(lib.js)} minified JS (${kb(lib.gzip)} gzip) + ${assets} -> dist/browser/`);
  if (lib.js > LIBRARY_BUDGET_BYTES) {
    console.error(`sparsepush/browser is ${kb(lib.js)}, above its budget of ${kb(LIBRARY_BUDGET_BYTES)} (scripts/build-browser.mjs)`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
