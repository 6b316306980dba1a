// `sparsepush/browser` through a bundler: a tiny app importing the package by name is built with
// esbuild (browser platform, the asset plugin for the kernels' `new URL(..., import.meta.url)`), loaded
// in headless Chromium, and must produce exactly Node's bytes: compressed messages, decoded vectors, a
// logistic gradient, a topology round and a partition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import { assetUrls } from '../scripts/esbuild-assets.mjs';
import { createCompressor } from '../src/compress/registry.js';
import { partition } from '../src/data/partition/index.js';
import { createTopology } from '../src/graph/registry.js';
import { Purpose, rngKey } from '../src/kernels/rng.js';
import { createNativeLogistic } from '../src/models/logistic.js';
import { runWorkload, type WorkloadResult } from './browser/bundle-workload.js';
import { chromiumMissing, collectLog, launchChromium, ROOT, startStaticServer } from './support/browser.js';

/** Where two long strings first differ, for a readable failure. */
function firstDifference(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `lengths ${a.length} / ${b.length}, first difference at hex offset ${i} (byte ${i >> 1})`;
}

test('an esbuild bundle of sparsepush/browser gives Node\'s bytes in Chromium', { skip: chromiumMissing, timeout: 90_000 }, async () => {
  const expected = await runWorkload({ createCompressor, createNativeLogistic, createTopology, partition, rngKey, Purpose });

  const out = mkdtempSync(join(tmpdir(), 'sparsepush-bundle-'));
  const emitted = new Map<string, number>();
  // The `sparsepush:source` condition maps the package's exports to its TypeScript sources, so the
  // test bundles the code under test rather than a possibly stale dist/.
  const built = await esbuild.build({
    entryPoints: [resolve(ROOT, 'test/browser/bundle-app.mjs')], bundle: true, format: 'esm', platform: 'browser',
    conditions: ['sparsepush:source'], outdir: out, minify: true, metafile: true, logLevel: 'silent', plugins: [assetUrls(emitted)],
  });
  assert.deepEqual(built.errors, []);
  const wasm = [...emitted.keys()].filter((f) => f.endsWith('.wasm')).sort();
  assert.equal(wasm.length, 2, `both kernel builds are emitted next to the bundle: ${[...emitted.keys()].join(', ')}`);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.wasm')).sort(), wasm);
  const inputs = Object.keys(built.metafile.inputs);
  assert.ok(inputs.some((f) => f.endsWith('src/browser/index.ts')), 'the package name resolved to the browser entry');
  assert.ok(!inputs.some((f) => /node_modules\/(zod|@tensorflow|piscina)\//.test(f)), `no heavy or Node-only dependency: ${inputs.filter((f) => f.includes('node_modules')).join(', ')}`);
  const js = readFileSync(join(out, 'bundle-app.js'), 'utf8');
  const nodeImport = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*)["']node:[a-z/_]+["']/.exec(js);
  assert.equal(nodeImport, null, `the bundle imports a Node built-in: ${nodeImport?.[0]}`);
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
