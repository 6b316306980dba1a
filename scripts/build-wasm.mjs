// Builds the kernel module twice from the same source: SIMD and scalar (ASC_FEATURE_SIMD picks the path).
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);
const asc = join(dirname(require.resolve('assemblyscript/package.json')), 'bin', 'asc.js');
mkdirSync('build', { recursive: true });
for (const target of ['simd', 'scalar']) {
  execFileSync(process.execPath, [asc, '--config', 'asconfig.json', '--target', target], { stdio: 'inherit' });
}
// The compiled package (dist/src/kernels/) finds the kernels at dist/build/, the same relative path
// as from src/kernels/ to build/, so one literal `new URL(...)` serves both (and bundlers).
mkdirSync('dist/build', { recursive: true });
for (const file of ['kernels.simd.wasm', 'kernels.wasm']) copyFileSync(join('build', file), join('dist', 'build', file));
console.log('built build/kernels.simd.wasm and build/kernels.wasm (copied to dist/build/)');
