import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { benchCommandLine } from '../src/cli/bench.js';
import { packageVersion as engineVersion } from '../src/engine/index.js';
import { packageRoot, packageRootOrNull, packageVersion, runningFromDist } from '../src/package.js';

test('one package locator serves the CLI, the engine and the data cache', () => {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string; version: string };
  assert.equal(pkg.name, 'sparsepush');
  assert.equal(packageVersion(), pkg.version);
  assert.equal(engineVersion(), pkg.version, 'the engine records the same version in summary.json');
  assert.equal(packageRootOrNull(), root);
});

test('from TypeScript sources the bench command runs bench/kernels.ts through tsx', () => {
  assert.equal(runningFromDist(), false);
  const { file, argv } = benchCommandLine(['--quick']);
  assert.equal(file, join(packageRoot(), 'bench', 'kernels.ts'));
  assert.deepEqual(argv, ['--import', 'tsx', file, '--quick']);
});

test('from the compiled build (npm install builds dist/) the bench command runs dist/bench/kernels.js', async () => {
  const built = join(packageRoot(), 'dist', 'src', 'cli', 'bench.js');
  assert.ok(existsSync(built), `${built} is missing: run npm run build`);
  const dist = await import(pathToFileURL(built).href) as typeof import('../src/cli/bench.js');
  const { file, argv } = dist.benchCommandLine([]);
  assert.equal(file, join(packageRoot(), 'dist', 'bench', 'kernels.js'));
  assert.deepEqual(argv, [file]);
});
