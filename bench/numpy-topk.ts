/**
 * Exact top-k by magnitude through the public API, side by side with numpy in one run
 * (`npm run bench:numpy`; needs python3 with numpy):
 *
 *   node --import tsx bench/numpy-topk.ts [--n 1e7] [--ratio 0.01] [--rounds 12] [--per-round 5] [--json]
 *   node --import tsx bench/numpy-topk.ts --from FILE     the table of a saved --json result
 *
 * Five ways to get the top-k of the same n standard-normal f32 (k = round(ratio n)):
 *   numpy   np.argpartition(np.abs(x), n - k)[n - k:] in a python3 child (the k indices, unordered)
 *   kernel  the SIMD topk_abs kernel alone, on its own shared memory (the k indices, ascending)
 *   vector  createCompressor('topk:RATIO').compress(v) with v = compressor.vector(n)
 *   array   the same compress(x) on an ordinary Float32Array (copied into the kernel memory range
 *           by range, each range filtered for top-k candidates right after its copy)
 *   vector+encode  compress(v), then encode(msg): the wire bytes too
 * The compress paths return the Message: ascending indices, their values and the bit count of its
 * wire bytes (encode writes those). Before timing, the indices of all five are checked to be the
 * same set.
 *
 * The machine may be shared and noisy: the methods are timed in interleaved rounds (each round
 * runs every method per-round times, in a rotating order), and each method's figure is the
 * median over all its samples, so drifting load hits all of them alike. Ratios are numpy's median
 * over each method's median, from this one run. --json prints {machine, n, k, numpy, results}.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Bench } from 'tinybench';
import { createCompressor } from '../src/compress/index.js';
import { createSharedMemory, loadKernels } from '../src/kernels/index.js';
import { KERNEL_RESERVED_BYTES } from '../src/arena/arena.js';
import { benchArgs } from './args.js';
import { isMain, markdownTable } from './repro/common.js';
import { fillNormal, machine, median } from './support.js';

/** The numpy side: loads x, writes its sorted top-k indices, then times `m` calls per stdin line. */
const NUMPY_SCRIPT = `
import json, sys, time
import numpy as np
n, k, path, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
x = np.fromfile(path, dtype='<f4')
assert x.size == n, (x.size, n)
np.sort(np.argpartition(np.abs(x), n - k)[n - k:]).astype('<u4').tofile(out)
print(json.dumps({'numpy': np.__version__, 'python': sys.version.split()[0]}), flush=True)
for line in sys.stdin:
    times = []
    for _ in range(int(line)):
        t0 = time.perf_counter()
        np.argpartition(np.abs(x), n - k)[n - k:]
        times.append((time.perf_counter() - t0) * 1e3)
    print(json.dumps(times), flush=True)
`;

class NumpyChild {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;

  constructor(n: number, k: number, xPath: string, idxPath: string) {
    this.child = spawn('python3', ['-c', NUMPY_SCRIPT, String(n), String(k), xPath, idxPath], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    this.child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t; });
    this.child.on('error', (err) => { throw new Error(`python3: ${err.message}`); });
    this.child.on('exit', (code) => { if (code) process.stderr.write(`python3 exited with ${code}: ${stderr}\n`); });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  async next<T>(): Promise<T> {
    const r = await this.lines.next();
    if (r.done) throw new Error('python3 (numpy) ended early: is numpy installed?');
    return JSON.parse(r.value) as T;
  }

  async time(m: number): Promise<number[]> {
    this.child.stdin.write(`${m}\n`);
    return this.next<number[]>();
  }

  stop(): void { this.child.stdin.end(); }
}

async function timeBatch(fn: () => unknown, m: number): Promise<number[]> {
  const bench = new Bench({ iterations: m, time: 0, warmupIterations: 0, warmupTime: 0, retainSamples: true, throws: true });
  bench.add('batch', () => { fn(); });
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed' || !r.latency.samples) throw new Error(`tinybench: ${r.state}, no samples`);
  const samples = r.latency.samples;
  return [...samples];
}

function sameIndices(a: Uint32Array, b: Uint32Array, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} indices, numpy has ${b.length}`);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) throw new Error(`${what}: index ${i} is ${a[i]}, numpy has ${b[i]}`);
}

/** What --json writes (docs/results/api/numpy-topk.json). */
export interface Report {
  machine: ReturnType<typeof machine> & { loadAverageAfter: number[] };
  n: number; k: number; numpy: { numpy: string; python: string }; rounds: number; perRound: number;
  results: Array<{ method: string; samples: number; medianMs: number; numpyOverThis: number }>;
}

/** What each method times. */
const TIMED: Readonly<Record<string, string>> = {
  numpy: '`np.argpartition(np.abs(x), n - k)[n - k:]` (indices, unordered)',
  kernel: 'the SIMD `topk_abs` kernel alone (indices, ascending)',
  vector: '`compressor.compress(v)`, v = `compressor.vector(n)`: the whole Message (ascending indices, values, bit count)',
  array: 'the same on an ordinary `Float32Array` (copied into the kernel memory range by range)',
  'vector+encode': '`compressor.encode(compressor.compress(v))`: the wire bytes too',
};

/** The API paths' goals: compress at least this many times faster than numpy. */
const TARGETS: ReadonlyArray<{ method: string; on: string; times: number }> = [{ method: 'vector', on: 'a vector', times: 15 }, { method: 'array', on: 'an array', times: 8 }];

function method(r: Report, name: string): Report['results'][number] {
  const x = r.results.find((y) => y.method === name);
  if (!x) throw new Error(`the results hold no method '${name}'`);
  return x;
}

/** A run's medians and ratios as a Markdown table (docs/results/api/README.md). */
export function numpyTopkTable(r: Report): string {
  const kernel = method(r, 'kernel');
  return markdownTable(['method', 'what is timed', 'median ms', 'numpy / this', 'kernel / this'], r.results.map((x) => {
    const timed = TIMED[x.method];
    if (timed === undefined) throw new Error(`unknown method '${x.method}' in the results`);
    return [x.method === 'numpy' ? `numpy ${r.numpy.numpy}` : x.method, timed, x.medianMs.toFixed(2), `${x.numpyOverThis.toFixed(1)}x`, `${((100 * kernel.medianMs) / x.medianMs).toFixed(0)}%`];
  }));
}

/** Whether a run met each target, as Markdown list items. */
export function numpyTopkTargets(r: Report): string {
  const numpyMs = method(r, 'numpy').medianMs;
  return TARGETS.map(({ method: name, on, times }) => {
    const x = method(r, name);
    return `- compress on ${on} >= ${times}x numpy: ${x.numpyOverThis >= times ? 'met' : 'MISSED'} (${x.numpyOverThis.toFixed(1)}x: with numpy at ${numpyMs.toFixed(2)} ms it had to take at most ${(numpyMs / times).toFixed(2)} ms and took ${x.medianMs.toFixed(2)} ms)`;
  }).join('\n');
}

function printTable(r: Report): void {
  const m = r.machine;
  console.log(`\n${m.cpu}, ${m.cores} cores, Node ${m.node}, numpy ${r.numpy.numpy}; load average ${m.loadAverage.join(' ')} -> ${m.loadAverageAfter.join(' ')}`);
  console.log(`exact top-${r.k} of ${r.n} f32 by |x|: median of ${r.rounds} x ${r.perRound} interleaved samples each\n`);
  console.log(`${numpyTopkTable(r)}\n\n${numpyTopkTargets(r)}`);
}

async function main(): Promise<void> {
  const { values: opts } = benchArgs({
    script: 'bench/numpy-topk.ts',
    purpose: 'Exact top-k by magnitude through the public API (kernel, vector, array, +encode) beside numpy, interleaved in one run.',
    options: {
      n: { type: 'number', integer: true, min: 1000, max: 1e8, default: 1e7, description: 'vector length' },
      ratio: { type: 'number', above: 0, below: 1, default: 0.01, description: 'k = round(ratio n)' },
      rounds: { type: 'number', integer: true, min: 1, default: 12, description: 'interleaved rounds' },
      'per-round': { type: 'number', integer: true, min: 1, default: 5, description: 'calls of each method per round' },
      json: { type: 'boolean', description: 'one JSON document on stdout (docs/results/api/numpy-topk.json)' },
      from: { type: 'string', placeholder: 'FILE', description: 'print the table of a saved --json result instead of measuring' },
    },
  });
  if (opts.from !== undefined) {
    printTable(JSON.parse(readFileSync(opts.from, 'utf8')) as Report);
    return;
  }
  const { n } = opts;
  const log = (s: string): void => { process.stderr.write(`${s}\n`); };
  const c = await createCompressor(`topk:${opts.ratio}`, { simd: true });
  const x = new Float32Array(n);
  fillNormal(x, 1);
  const v = c.vector(n);
  v.set(x);
  const k = c.compress(x).indices.length;

  // Raw kernel on its own memory: x, then k output indices, then the kernel scratch.
  const probe = await loadKernels({ simd: true });
  const scratchBytes = probe.exports.topk_scratch_bytes(n) >>> 0;
  const xp = KERNEL_RESERVED_BYTES, idxp = xp + 4 * n + 64, scrp = idxp + 4 * k + 64;
  const kernel = (await loadKernels({ memory: createSharedMemory(scrp + scratchBytes), simd: true })).exports;
  new Float32Array(kernel.memory.buffer, xp, n).set(x);

  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-numpy-topk-'));
  let numpy: NumpyChild | undefined;
  try {
    writeFileSync(join(dir, 'x.f32'), new Uint8Array(x.buffer));
    numpy = new NumpyChild(n, k, join(dir, 'x.f32'), join(dir, 'idx.u32'));
    const versions = await numpy.next<{ numpy: string; python: string }>();
    const want = new Uint32Array(readFileSync(join(dir, 'idx.u32')).buffer.slice(0));
    kernel.topk_abs(xp, n, k, idxp, scrp);
    sameIndices(new Uint32Array(kernel.memory.buffer, idxp, k), want, 'kernel');
    sameIndices(c.compress(v).indices, want, 'compress(vector)');
    sameIndices(c.compress(x).indices, want, 'compress(array)');
    sameIndices(c.parse(c.encode(c.compress(v)), n).indices, want, 'encode(compress(vector))');
    log(`n=${n}, k=${k}: numpy ${versions.numpy}, the kernel, both compress paths and the encoded message select the same ${k} indices`);

    const methods: Array<{ name: string; run: (m: number) => Promise<number[]> }> = [
      { name: 'numpy', run: (m) => numpy!.time(m) },
      { name: 'kernel', run: (m) => timeBatch(() => kernel.topk_abs(xp, n, k, idxp, scrp), m) },
      { name: 'vector', run: (m) => timeBatch(() => c.compress(v), m) },
      { name: 'array', run: (m) => timeBatch(() => c.compress(x), m) },
      { name: 'vector+encode', run: (m) => timeBatch(() => c.encode(c.compress(v)), m) },
    ];
    for (const m of methods) await m.run(1); // warm-up
    const samples = new Map<string, number[]>(methods.map((m) => [m.name, []]));
    const before = machine();
    for (let r = 0; r < opts.rounds; r++) {
      for (let j = 0; j < methods.length; j++) {
        const m = methods[(r + j) % methods.length]!;
        samples.get(m.name)!.push(...(await m.run(opts['per-round'])));
      }
    }
    const after = machine();
    const numpyMs = median(samples.get('numpy')!);
    const results = methods.map((m) => {
      const s = samples.get(m.name)!;
      const medianMs = median(s);
      return { method: m.name, samples: s.length, medianMs, numpyOverThis: numpyMs / medianMs };
    });
    const report: Report = { machine: { ...before, loadAverageAfter: after.loadAverage }, n, k, numpy: versions, rounds: opts.rounds, perRound: opts['per-round'], results };
    if (opts.json) console.log(JSON.stringify(report, null, 2));
    else printTable(report);
  } finally {
    numpy?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMain(import.meta.url)) await main();
