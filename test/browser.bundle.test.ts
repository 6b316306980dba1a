// `sparsepush/browser` through a bundler: a tiny app importing the package by name is built with
// esbuild (browser platform, the asset plugin for the kernels' `new URL(..., import.meta.url)`), loaded
// in headless Chromium, and must produce exactly Node's bytes: compressed messages, decoded vectors, a
// logistic gradient, a topology round and a partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import * as esbuild from 'esbuild';
import { assetUrls } from '../scripts/esbuild-assets.mjs';
import { createCompressor } from '../src/compress/registry.js';
import { partition } from '../src/data/partition/index.js';
import { createTopology } from '../src/graph/registry.js';
import { Purpose, rngKey } from '../src/kernels/rng.js';
import { createNativeLogistic } from '../src/models/logistic.js';
import { runWorkload, type WorkloadResult } from './browser/bundle-workload.js';
import { collectLog, launchChromium, ROOT, startStaticServer } from './support/browser.js';

/** Where two long strings first differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `lengths ${a.length} / ${b.length}, first difference at hex offset ${i} (byte ${i >> 1})`;
}

test('an esbuild bundle of sparsepush/browser gives Node\'s bytes in Chromium', { timeout: 90_000 }, async () => {
  const expected = await runWorkload({ createCompressor, createNativeLogistic, createTopology, partition, rngKey, Purpose });

  const out = mkdtempSync(join(tmpdir(), 'sparsepush-bundle-'));
  const emitted = new Map<string, number>();
  // The `sparsepush:source` condition maps the package's exports to its TypeScript sources, so the
  // test bundles the code under test rather than a possibly stale dist/.
  const built = await esbuild.build({
    entryPoints: [resolve(ROOT, 'test/browser/bundle-app.mjs')], bundle: true, format: 'esm', platform: 'browser', splitting: true,
    conditions: ['sparsepush:source'], outdir: out, entryNames: '[name]', chunkNames: 'chunk-[hash]', minify: true, metafile: true,
    logLevel: 'silent', plugins: [assetUrls(emitted)],
  });
  assert.deepEqual(built.errors, []);
  const wasm = [...emitted.keys()].filter((f) => f.endsWith('.wasm')).sort();
  assert.equal(wasm.length, 2, `both kernel builds are emitted next to the bundle: ${[...emitted.keys()].join(', ')}`);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.wasm')).sort(), wasm);
  assert.ok(Object.keys(built.metafile.inputs).some((f) => f.endsWith('src/browser/index.ts')), 'the package name resolved to the browser entry');
  // What the app loads before it runs: its output and the chunks it imports statically. The tfjs
  // models are a chunk loaded on demand; the config schema (zod) and Node's pool are not reachable.
  const key = (file: string): string => relative(process.cwd(), file).split(sep).join('/');
  const eager = new Set<string>();
  const stack = [key(join(out, 'bundle-app.js'))];
  while (stack.length > 0) {
    const k = stack.pop()!;
    if (eager.has(k)) continue;
    eager.add(k);
    for (const imp of built.metafile.outputs[k]!.imports) if (imp.kind === 'import-statement') stack.push(imp.path);
  }
  const heavy = /node_modules\/(zod|@tensorflow|piscina)\//;
  const upFront = [...eager].flatMap((k) => Object.keys(built.metafile.outputs[k]!.inputs)).filter((f) => heavy.test(f));
  assert.deepEqual(upFront.slice(0, 5), [], 'no heavy or Node-only dependency is loaded up front');
  const everything = Object.values(built.metafile.outputs).flatMap((o) => Object.keys(o.inputs));
  assert.ok(!everything.some((f) => /node_modules\/(zod|piscina)\//.test(f)), 'neither zod nor piscina is bundled at all');
  assert.ok(everything.some((f) => f.includes('node_modules/@tensorflow/tfjs-core/')), 'the tfjs models are there, in a chunk loaded on demand');
  for (const file of readdirSync(out).filter((f) => f.endsWith('.js'))) {
    const nodeImport = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']node:[a-z/_]+["']/.exec(readFileSync(join(out, file), 'utf8'));
    assert.equal(nodeImport, null, `${file} imports a Node built-in: ${nodeImport?.[0]}`);
  }
  writeFileSync(join(out, 'index.html'), '<!doctype html><meta charset="utf-8"><title>bundle</title><script type="module" src="./bundle-app.js"></script>\n');

  const served = await startStaticServer([{ prefix: '/', dir: out }]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const log = collectLog(page);
    await page.goto(`${served.origin}/`);
    await page.waitForFunction(() => typeof (globalThis as { runWorkload?: unknown }).runWorkload === 'function', undefined, { timeout: 20_000 });
    const got = await page.evaluate(() => (globalThis as unknown as { runWorkload(): Promise<WorkloadResult> }).runWorkload());
    assert.equal(got.compress.length, expected.compress.length, log());
    for (const [k, want] of expected.compress.entries()) {
      const have = got.compress[k]!;
      assert.equal(have.spec, want.spec);
      assert.equal(have.bits, want.bits, `${want.spec}: message bits`);
      assert.ok(have.bytes === want.bytes, `${want.spec}: wire bytes differ: ${firstDifference(have.bytes, want.bytes)}`);
      assert.ok(have.decoded === want.decoded, `${want.spec}: decoded vector differs: ${firstDifference(have.decoded, want.decoded)}`);
    }
    assert.equal(got.logistic.loss, expected.logistic.loss, 'logistic loss');
    assert.ok(got.logistic.grad === expected.logistic.grad, `logistic gradient differs: ${firstDifference(got.logistic.grad, expected.logistic.grad)}`);
    assert.deepEqual(got.topology, expected.topology, 'random-regular:3 round 5');
    assert.deepEqual(got.shards, expected.shards, 'dirichlet:0.5 partition');
    // The workload is not trivial: the compressors keep different amounts.
    assert.equal(new Set(expected.compress.map((c) => c.bits)).size, expected.compress.length, 'every compressor sends a different size');
  } finally {
    await browser.close();
    await served.close();
  }
});
