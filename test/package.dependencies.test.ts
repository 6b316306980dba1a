// The package's runtime dependencies are the ones its shipped code imports, each from where it is
// used: a dependency nothing imports is dead weight for every install, and one the Node entry loads
// without needing it slows every start.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import * as esbuild from 'esbuild';
import { packageRoot } from '../src/package.js';

interface PackageJson { dependencies: Record<string, string>; optionalDependencies?: Record<string, string> }

const root = packageRoot();
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as PackageJson;

/** Shipped source files (src/, workers/) that name package `dep` in an import, import() or resolve. */
function filesNaming(dep: string): string[] {
  const quoted = new RegExp(`['"]${dep.replace(/[/.]/g, '\\$&')}(/[^'"]*)?['"]`);
  return ['src', 'workers'].flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map(String)
    .filter((f) => f.endsWith('.ts') && quoted.test(readFileSync(join(root, dir, f), 'utf8')))
    .map((f) => `${dir}/${f}`));
}

test('every runtime dependency is used by the shipped code', () => {
  for (const dep of Object.keys(pkg.dependencies)) assert.ok(filesNaming(dep).length > 0, `${dep} is a dependency that nothing in src/ or workers/ imports`);
});

test('comlink is used by the browser engine only', () => {
  const users = filesNaming('comlink');
  assert.ok(users.length > 0);
  for (const f of users) assert.ok(f.startsWith('src/browser/'), `${f} imports comlink outside src/browser`);
});

test('the Node entry does not load the browser-only dependency', async () => {
  const built = await esbuild.build({
    entryPoints: [join(root, 'src', 'index.ts')], bundle: true, write: false, metafile: true,
    platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent',
  });
  const loaded = new Set(Object.values(built.metafile.inputs).flatMap((input) => input.imports.filter((i) => i.external).map((i) => i.path)));
  assert.ok(loaded.has('piscina'), 'the scan sees the Node engine\'s packages');
  assert.ok(!loaded.has('comlink'), 'comlink is loaded by the Node entry');
});
