/**
 * esbuild plugin for `new URL('<relative literal>', import.meta.url)`, the asset pattern webpack,
 * Vite and Rollup follow on their own and esbuild does not: the file is copied into the output
 * folder under a content-hashed name and the URL rewritten to that copy. A `.js` target whose file
 * is missing but whose `.ts` twin exists (TypeScript sources) and any `.js`/`.ts` target are Web
 * Worker entries: they are bundled on their own (same options, same plugin) into the output folder.
 *
 *   import { assetUrls } from 'sparsepush/esbuild-plugin';
 *   await esbuild.build({ entryPoints: ['app.js'], bundle: true, format: 'esm', outdir: 'out', plugins: [assetUrls()] });
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';

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

      async function bundleWorker(file) {
        let pending = workers.get(file);
        if (!pending) {
          pending = build.esbuild.build({
            entryPoints: [file], bundle: true, format: 'esm', write: false, outdir,
            minify: opts.minify, target: opts.target, conditions: opts.conditions, platform: opts.platform,
            define: opts.define, sourcemap: false, logLevel: 'silent', plugins: [assetUrls(emitted)],
          }).then((result) => {
            const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
            const name = hashed(basename(file).replace(SCRIPT, '.js'), js.contents);
            return { name, bytes: js.contents };
          });
          workers.set(file, pending);
        }
        return pending;
      }

      build.onLoad({ filter: SCRIPT }, async (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const matches = [...text.matchAll(PATTERN)];
        if (matches.length === 0) return undefined;
        const names = [];
        for (const m of matches) {
          let file = resolve(dirname(args.path), m[2]);
          if (!existsSync(file) && file.endsWith('.js') && existsSync(file.slice(0, -3) + '.ts')) file = file.slice(0, -3) + '.ts';
          if (!existsSync(file)) return { errors: [{ text: `new URL('${m[2]}', import.meta.url): ${file} not found` }] };
          const { name, bytes } = SCRIPT.test(file) ? await bundleWorker(file) : { bytes: readFileSync(file) };
          const out = name ?? hashed(basename(file), bytes);
          mkdirSync(outdir, { recursive: true });
          writeFileSync(resolve(outdir, out), bytes);
          emitted.set(out, bytes.length);
          names.push(out);
        }
        let k = 0;
        const contents = text.replace(PATTERN, () => `new URL('./${names[k++]}', import.meta.url)`);
        return { contents, loader: LOADERS[extname(args.path)] ?? 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}
