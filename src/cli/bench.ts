/** `sparsepush bench`: runs the kernel benchmarks (bench/kernels.ts) in a child process. */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIO } from './io.js';
import { packageRoot, runningFromDist } from '../package.js';

const BENCH_HELP = `Usage: sparsepush bench [ARGS...]

Runs the WASM kernel benchmarks (tinybench: top-k selection, quantization, sparse scatter/gather,
vector ops; SIMD and scalar builds, and the TypeScript references), then the public API beside its
kernel: compressor.compress(x) on a compressor.vector(n) (used in place) and on an ordinary
Float32Array (copied in once). Every argument is passed to bench/kernels, which takes:
  --sizes 1e5,1e6     vector lengths
  --only topk,int8    kernels whose names contain one of these
  --quick             fewer iterations
  --no-ts             skip the TypeScript reference implementations
  --no-api            skip the compress() API rows
  --json              one machine-readable JSON document on stdout

Examples:
  sparsepush bench
  sparsepush bench --quick --only topk
  sparsepush bench --json > bench.json
`;

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
  if (argv.includes('--help') || argv.includes('-h')) { io.stdout(BENCH_HELP); return 0; }
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
