/**
 * esbuild plugin for `new URL('<relative literal>', import.meta.url)`, the asset pattern webpack,
 * Vite and Rollup follow on their own and esbuild does not: the file is copied into the output
 * folder under a content-hashed name and the URL rewritten to that copy. A `.js` target whose file
 * is missing but whose `.ts` twin exists (TypeScript sources) and any `.js`/`.ts` target are Web
 * Worker entries: they are bundled on their own (same options, same plugin, code splitting) into
 * the output folder.
 *
 *   import { assetUrls } from 'sparsepush/esbuild-plugin';
 *   await esbuild.build({ entryPoints: ['app.js'], bundle: true, format: 'esm', outdir: 'out', plugins: [assetUrls()] });
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, relative, resolve, sep } from 'node:path';

const PATTERN = /new URL\(\s*(['"])(\.{1,2}\/[^'"\n]+)\1\s*,\s*import\.meta\.url\s*\)/g;
const SCRIPT = /\.[mc]?[jt]s$/;
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js' };

function hashed(name, bytes) {
  const hash = createHash('sha256').update(bytes).digest('hex').slice(0, 8);
  const ext = extname(name);
  return `${basename(name, ext)}-${hash}${ext}`;
}

/** The plugin; `emitted` (optional) collects the names written, for size reports. */
export function assetUrls(emitted = new Map()) {
  return {
    name: 'sparsepush-asset-urls',
    setup(build) {
      const opts = build.initialOptions;
      const outdir = opts.outdir ?? (opts.outfile ? dirname(opts.outfile) : undefined);
      if (!outdir) throw new Error('assetUrls: set outdir or outfile');
      const workers = new Map();

      // A worker is bundled on its own with code splitting, so what it imports dynamically (e.g. a
      // model library only some runs need) stays in chunks it loads on demand.
      async function bundleWorker(file) {
        let pending = workers.get(file);
        if (!pending) {
          pending = build.esbuild.build({
            entryPoints: [file], bundle: true, format: 'esm', splitting: true, write: false, metafile: true, outdir,
            entryNames: '[name]-[hash]', chunkNames: 'chunk-[hash]', minify: opts.minify, target: opts.target,
            conditions: opts.conditions, platform: opts.platform, define: opts.define, logLevel: 'silent', plugins: [assetUrls(emitted)],
          }).then((result) => {
            const posix = (p) => relative(process.cwd(), p).split(sep).join('/');
            let entry;
            for (const out of result.outputFiles) {
              writeOutput(basename(out.path), out.contents);
              // (dynamically imported chunks have an entryPoint too: the worker's is its file)
              if (result.metafile.outputs[posix(out.path)]?.entryPoint === posix(file)) entry = basename(out.path);
            }
            if (!entry) throw new Error(`assetUrls: no output for worker ${file}`);
            return entry;
          });
          workers.set(file, pending);
        }
        return pending;
      }

      function writeOutput(name, bytes) {
        mkdirSync(outdir, { recursive: true });
        writeFileSync(resolve(outdir, name), bytes);
        emitted.set(name, bytes.length);
      }

      build.onLoad({ filter: SCRIPT, namespace: 'file' }, async (args) => {
        // (a module disabled by a package's `browser` field has no file)
        if (!existsSync(args.path)) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const matches = [...text.matchAll(PATTERN)];
        if (matches.length === 0) return undefined;
        const names = [];
        for (const m of matches) {
          let file = resolve(dirname(args.path), m[2]);
          if (!existsSync(file) && file.endsWith('.js') && existsSync(file.slice(0, -3) + '.ts')) file = file.slice(0, -3) + '.ts';
          if (!existsSync(file)) return { errors: [{ text: `new URL('${m[2]}', import.meta.url): ${file} not found` }] };
          if (SCRIPT.test(file)) {
            names.push(await bundleWorker(file));
          } else {
            const bytes = readFileSync(file);
            const name = hashed(basename(file), bytes);
            writeOutput(name, bytes);
            names.push(name);
          }
        }
        let k = 0;
        const contents = text.replace(PATTERN, () => `new URL('./${names[k++]}', import.meta.url)`);
        return { contents, loader: LOADERS[extname(args.path)] ?? 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}
