/** `sparsepush bench`: runs the kernel benchmarks (bench/kernels.ts) in a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIO } from './io.js';
import { packageRoot, runningFromDist } from '../package.js';

const BENCH_HELP_HEAD = `Usage: sparsepush bench [ARGS...]

Runs the WASM kernel benchmarks (tinybench: top-k selection, quantization, sparse scatter/gather,
vector ops; SIMD and scalar builds, and the TypeScript references), then the public API beside its
kernel: compressor.compress(x) on a compressor.vector(n) (used in place) and on an ordinary
Float32Array (copied in). Every argument is passed to bench/kernels.
`;

const BENCH_EXAMPLES = `
Examples:
  sparsepush bench
  sparsepush bench --quick --only topk
  sparsepush bench --json > bench.json
`;

/** bench/kernels' own option list (its --help from the one declaration of its options), from "Options:" on. */
function kernelBenchOptions(): string {
  const { file, argv } = benchCommandLine(['--help']);
  if (!existsSync(file)) return `(the kernel benchmark ${file} is not in this build)\n`;
  const child = spawnSync(process.execPath, argv, { encoding: 'utf8', cwd: packageRoot() });
  const text = child.status === 0 ? child.stdout : '';
  const at = text.indexOf('Options:');
  return at < 0 ? `(bench/kernels --help failed: ${child.stderr.trim() || `exit ${child.status}`})\n` : text.slice(at);
}

/** The command line that runs the benchmark script, from dist (compiled) or from sources (tsx). */
export function benchCommandLine(args: readonly string[]): { file: string; argv: string[] } {
  const root = packageRoot();
  if (runningFromDist()) {
    const file = join(root, 'dist', 'bench', 'kernels.js');
    return { file, argv: [file, ...args] };
  }
  const file = join(root, 'bench', 'kernels.ts');
  return { file, argv: ['--import', 'tsx', file, ...args] };
}

export async function benchCommand(argv: string[], io: CliIO): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(`${BENCH_HELP_HEAD}\n${kernelBenchOptions()}${BENCH_EXAMPLES}`); return 0; }
  const { file, argv: nodeArgs } = benchCommandLine(argv);
  if (!existsSync(file)) {
    io.stderr(`sparsepush bench: the kernel benchmark ${file} is not in this build\n`);
    return 1;
  }
  return new Promise<number>((resolvePromise) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: ['inherit', 'pipe', 'pipe'], cwd: packageRoot() });
    child.stdout.setEncoding('utf8').on('data', (t: string) => io.stdout(t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => io.stderr(t));
    child.on('error', (err) => { io.stderr(`sparsepush bench: ${err.message}\n`); resolvePromise(1); });
    child.on('close', (code, signal) => resolvePromise(code ?? (signal ? 1 : 0)));
  });
}
