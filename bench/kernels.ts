/**
 * Kernel benchmark (`npm run bench`): every array kernel of src/kernels/abi.ts as the TypeScript
 * reference (src/kernels/reference), the scalar WASM build and the SIMD WASM build, single thread,
 * at n = 1e5, 1e6, 1e7 f32 elements, next to a read-bandwidth reference: the SIMD `sum` of the
 * same vector. Then the public API beside its main kernel: `compressor.compress(x)` (the whole
 * Message: indices, values, wire bytes) with x a `compressor.vector(n)` (impl `api-vector`) and
 * with x an ordinary Float32Array (`api-array`, copied into the kernel memory once).
 *
 *   node --import tsx bench/kernels.ts [--sizes 1e5,1e6] [--quick] [--json] [--only topk,int8] [--no-ts] [--no-api]
 *
 * Throughput: gbPerS = 4n bytes / median time, i.e. measured against the dense f32 vector of
 * length n each kernel works on (top-k and quantize read it, dequantize writes it, sparse kernels
 * move a 1% subset of it), so every row compares directly with the read reference, which reads
 * those same 4n bytes. Scalar per-call helpers (rng_key, rng_u32, *_scratch_bytes) are not timed.
 * --json prints one JSON document: {machine: {cpu, cores, node}, results: [{kernel, impl, n,
 * medianMs, gbPerS}]}; otherwise a table with each kernel's ratio to the read reference (the
 * faster of two `sum` runs, first and last, since load from other processes drifts), and the
 * issue's targets checked at the largest n.
 */
import { Bench } from 'tinybench';
import { createCompressor } from '../src/compress/index.js';
import { createSharedMemory, loadKernels, type KernelExports } from '../src/kernels/index.js';
import { KERNEL_RESERVED_BYTES } from '../src/arena/arena.js';
import * as ref from '../src/kernels/reference/index.js';
import { Purpose, rngKey } from '../src/kernels/rng.js';
import { benchArgs } from './args.js';
import { fillNormal, machine as describeMachine } from './support.js';

type Impl = 'ts' | 'wasm-scalar' | 'wasm-simd' | 'api-vector' | 'api-array';
interface Result { kernel: string; impl: Impl; n: number; medianMs: number; gbPerS: number }

interface Options { sizes: number[]; quick: boolean; json: boolean; only: string[]; ts: boolean; api: boolean }

/** Compressors timed through the public API, each with the kernel row it is compared with. */
const API_CASES: ReadonlyArray<{ spec: string; kernel: string }> = [
  { spec: 'topk:0.01', kernel: 'topk_abs:1%' },
  { spec: 'topk:0.001', kernel: 'topk_abs:0.1%' },
  { spec: 'int8', kernel: 'quant_int8' },
  { spec: 'topk:0.01+int8', kernel: 'topk_abs:1%' },
];

function parseOptions(): Options {
  const { values: opts } = benchArgs({
    script: 'bench/kernels.ts',
    purpose: 'Every array kernel as TypeScript reference, scalar WASM and SIMD WASM, then compressor.compress() beside its kernel.',
    options: {
      sizes: { type: 'numbers', integer: true, min: 16, max: 1e8, description: 'vector lengths', defaultText: '1e5,1e6,1e7; 1e5,1e6 with --quick' },
      quick: { type: 'boolean', description: 'fewer iterations (and smaller default sizes)' },
      json: { type: 'boolean', description: 'one JSON document on stdout, progress on stderr' },
      only: { type: 'string', placeholder: 'LIST', description: 'kernels whose names contain one of these (comma-separated)', defaultText: 'all' },
      'no-ts': { type: 'boolean', description: 'skip the TypeScript reference implementations' },
      'no-api': { type: 'boolean', description: 'skip the compress() API rows' },
    },
  });
  return {
    sizes: opts.sizes ?? (opts.quick ? [1e5, 1e6] : [1e5, 1e6, 1e7]), quick: opts.quick, json: opts.json,
    only: opts.only?.split(',') ?? [], ts: !opts['no-ts'], api: !opts['no-api'],
  };
}

const BUCKET = 512; // the compressors' default bucket
const QSGD_S = 15;
const SPARSE_FRACTION = 0.01;
/** |x| >= this keeps ~1% of N(0, 1) values (two-sided 0.5% quantile). */
const LAMBDA_1PCT = 2.5758;

/** Bump allocator over one shared memory (64-byte aligned regions above the kernel's reserve). */
class Layout {
  private cursor = KERNEL_RESERVED_BYTES;
  alloc(bytes: number): number {
    const at = Math.ceil(this.cursor / 64) * 64;
    this.cursor = at + bytes;
    return at;
  }
  get bytes(): number { return this.cursor; }
}

interface Buffers {
  n: number; k: number;
  x: number; y: number; out: number; idx: number; idx2: number; vals: number;
  q8: number; q4: number; scales: number; bits: number; varint: number; rice: number; bitmap: number;
  topkScratch: number; randkScratch: number;
}

function plan(n: number, k: number, scratch: KernelExports): { layout: Layout; b: Buffers } {
  const L = new Layout();
  const nb = Math.ceil(n / BUCKET);
  const b: Buffers = {
    n, k,
    x: L.alloc(4 * n), y: L.alloc(4 * n), out: L.alloc(4 * n), idx: L.alloc(4 * n), idx2: L.alloc(4 * n), vals: L.alloc(4 * k),
    q8: L.alloc(n), q4: L.alloc(Math.ceil(n / 2)), scales: L.alloc(4 * nb), bits: L.alloc(Math.ceil(n / 8)),
    varint: L.alloc(5 * k), rice: L.alloc(5 * k), bitmap: L.alloc(Math.ceil(n / 8)),
    topkScratch: L.alloc(scratch.topk_scratch_bytes(n) >>> 0), randkScratch: L.alloc(scratch.randk_scratch_bytes(n, n) >>> 0),
  };
  return { layout: L, b };
}

interface Case { kernel: string; wasm: (K: KernelExports) => void; ts?: () => void }

function cases(mem: WebAssembly.Memory, b: Buffers): Case[] {
  const { n, k } = b;
  const nb = Math.ceil(n / BUCKET);
  const buf = mem.buffer;
  const f32 = (p: number, len: number): Float32Array => new Float32Array(buf, p, len);
  const u32 = (p: number, len: number): Uint32Array => new Uint32Array(buf, p, len);
  const u8 = (p: number, len: number): Uint8Array => new Uint8Array(buf, p, len);
  const i8 = (p: number, len: number): Int8Array => new Int8Array(buf, p, len);
  const x = f32(b.x, n), y = f32(b.y, n), out = f32(b.out, n);
  const idx = u32(b.idx, k), vals = f32(b.vals, k);
  const q8 = i8(b.q8, n), q4 = u8(b.q4, Math.ceil(n / 2)), levels = i8(b.q8, n), scales = f32(b.scales, nb);
  const key = rngKey(1, 0, 0, Purpose.randk);
  const k01 = Math.max(1, Math.round(n * 0.001));
  let varintLen = 0;
  let riceLen = 0;
  const list: Case[] = [
    { kernel: 'sum', wasm: (K) => K.sum(n, b.x), ts: () => ref.sum(x) },
    { kernel: 'topk_abs:1%', wasm: (K) => K.topk_abs(b.x, n, k, b.idx2, b.topkScratch), ts: () => ref.topkAbs(x, k) },
    { kernel: 'topk_abs:0.1%', wasm: (K) => K.topk_abs(b.x, n, k01, b.idx2, b.topkScratch), ts: () => ref.topkAbs(x, k01) },
    { kernel: 'threshold_abs:1%', wasm: (K) => K.threshold_abs(b.x, n, LAMBDA_1PCT, b.idx2), ts: () => ref.thresholdAbs(x, LAMBDA_1PCT) },
    { kernel: 'threshold_count:1%', wasm: (K) => K.threshold_count(b.x, n, LAMBDA_1PCT), ts: () => ref.thresholdCount(x, LAMBDA_1PCT) },
    { kernel: 'randk:1%', wasm: (K) => K.randk(n, k, key, b.idx2, b.randkScratch), ts: () => ref.randk(n, k, key) },
    { kernel: 'rng_fill_uniform', wasm: (K) => K.rng_fill_uniform(key, 0, b.out, n), ts: () => ref.fillUniform(key, 0, out) },
    { kernel: 'quant_int8', wasm: (K) => K.quant_int8(b.x, n, BUCKET, b.q8, b.scales), ts: () => ref.quantInt8(x, BUCKET, q8, scales) },
    { kernel: 'dequant_int8', wasm: (K) => K.dequant_int8(b.q8, b.scales, n, BUCKET, b.out), ts: () => ref.dequantInt8(q8, scales, BUCKET, out) },
    { kernel: 'quant_int4', wasm: (K) => K.quant_int4(b.x, n, BUCKET, b.q4, b.scales), ts: () => ref.quantInt4(x, BUCKET, q4, scales) },
    { kernel: 'dequant_int4', wasm: (K) => K.dequant_int4(b.q4, b.scales, n, BUCKET, b.out), ts: () => ref.dequantInt4(q4, scales, BUCKET, out) },
    { kernel: 'qsgd_quant', wasm: (K) => K.qsgd_quant(b.x, n, QSGD_S, BUCKET, key, 0, b.q8, b.scales), ts: () => ref.qsgdQuant(x, QSGD_S, BUCKET, key, 0, levels, scales) },
    { kernel: 'qsgd_dequant', wasm: (K) => K.qsgd_dequant(b.q8, b.scales, n, QSGD_S, BUCKET, b.out), ts: () => ref.qsgdDequant(levels, scales, QSGD_S, BUCKET, out) },
    { kernel: 'sign_pack', wasm: (K) => K.sign_pack(b.x, n, b.bits), ts: () => ref.signPack(x, u8(b.bits, Math.ceil(n / 8))) },
    { kernel: 'sign_unpack', wasm: (K) => K.sign_unpack(b.bits, n, 0.5, b.out), ts: () => ref.signUnpack(u8(b.bits, Math.ceil(n / 8)), 0.5, out) },
    { kernel: 'gather:1%', wasm: (K) => K.gather(b.x, b.idx, k, b.vals), ts: () => ref.gather(x, idx, vals) },
    { kernel: 'scatter:1%', wasm: (K) => K.scatter(b.idx, b.vals, k, b.out), ts: () => ref.scatter(idx, vals, out) },
    { kernel: 'scatter_add:1%', wasm: (K) => K.scatter_add(b.idx, b.vals, k, 1e-3, b.out), ts: () => ref.scatterAdd(idx, vals, 1e-3, out) },
    {
      kernel: 'varint_encode_deltas:1%',
      wasm: (K) => { varintLen = K.varint_encode_deltas(b.idx, k, b.varint); },
      ts: () => ref.varintEncodeDeltas(idx, u8(b.varint, 5 * k)),
    },
    { kernel: 'varint_bytes_deltas:1%', wasm: (K) => K.varint_bytes_deltas(b.idx, k), ts: () => ref.varintEncodedBytes(idx) },
    {
      kernel: 'varint_decode_deltas:1%',
      wasm: (K) => K.varint_decode_deltas(b.varint, varintLen, k, n, b.idx2),
      ts: () => ref.varintDecodeDeltas(u8(b.varint, varintLen), k, n, u32(b.idx2, k)),
    },
    {
      kernel: 'rice_encode_deltas:1%',
      wasm: (K) => { riceLen = K.rice_encode_deltas(b.idx, k, 5 * k, b.rice); },
      ts: () => ref.riceEncodeDeltas(idx, u8(b.rice, 5 * k)),
    },
    {
      kernel: 'rice_decode_deltas:1%',
      wasm: (K) => K.rice_decode_deltas(b.rice, riceLen, k, n, b.idx2),
      ts: () => ref.riceDecodeDeltas(u8(b.rice, riceLen), k, n, u32(b.idx2, k)),
    },
    { kernel: 'bitmap_encode:1%', wasm: (K) => K.bitmap_encode(b.idx, k, n, b.bitmap), ts: () => ref.bitmapEncode(idx, n, u8(b.bitmap, Math.ceil(n / 8))) },
    { kernel: 'bitmap_decode:1%', wasm: (K) => K.bitmap_decode(b.bitmap, n, b.idx2), ts: () => ref.bitmapDecode(u8(b.bitmap, Math.ceil(n / 8)), n, u32(b.idx2, n)) },
    { kernel: 'axpy', wasm: (K) => K.axpy(n, 1e-7, b.x, b.y), ts: () => ref.axpy(1e-7, x, y) },
    { kernel: 'axpby', wasm: (K) => K.axpby(n, 1e-7, b.x, 1, b.y), ts: () => ref.axpby(1e-7, x, 1, y) },
    { kernel: 'scale', wasm: (K) => K.scale(n, 1, b.out), ts: () => ref.scale(1, out) },
    { kernel: 'copy', wasm: (K) => K.copy(n, b.x, b.out), ts: () => ref.copy(x, out) },
    { kernel: 'fill', wasm: (K) => K.fill(n, 0.25, b.out), ts: () => ref.fill(0.25, out) },
    { kernel: 'sub', wasm: (K) => K.sub(n, b.x, b.y, b.out), ts: () => ref.sub(x, y, out) },
    { kernel: 'dot', wasm: (K) => K.dot(n, b.x, b.y), ts: () => ref.dot(x, y) },
    { kernel: 'norm2sq', wasm: (K) => K.norm2sq(n, b.x), ts: () => ref.norm2sq(x) },
    { kernel: 'absmax', wasm: (K) => K.absmax(n, b.x), ts: () => ref.absmax(x) },
    { kernel: 'count_nonfinite', wasm: (K) => K.count_nonfinite(n, b.x), ts: () => ref.countNonfinite(x) },
    // The read reference again at the end: the faster of the two is the reference (machine load drifts).
    { kernel: 'sum:again', wasm: (K) => K.sum(n, b.x) },
  ];
  return list;
}

/** Median latency (ms) of each function, via tinybench. */
async function measure(fns: Array<{ name: string; fn: () => void }>, time: number, iterations: number, warmupIterations: number): Promise<Map<string, number>> {
  const bench = new Bench({ time, iterations, warmupTime: Math.min(time, 100), warmupIterations, throws: true });
  for (const { name, fn } of fns) bench.add(name, fn);
  await bench.run();
  const out = new Map<string, number>();
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`benchmark ${task.name}: ${r.state}`);
    out.set(task.name, r.latency.p50);
  }
  return out;
}

async function main(): Promise<void> {
  const opts = parseOptions();
  const maxN = Math.max(...opts.sizes);
  const probe = await loadKernels({ simd: true });
  const maxK = Math.max(1, Math.round(maxN * SPARSE_FRACTION));
  const memory = createSharedMemory(plan(maxN, maxK, probe.exports).layout.bytes);
  const builds: Array<[Impl, KernelExports]> = [
    ['wasm-scalar', (await loadKernels({ memory, simd: false })).exports],
    ['wasm-simd', (await loadKernels({ memory, simd: true })).exports],
  ];
  const simdK = builds[1]![1];
  const results: Result[] = [];
  const log = (s: string): void => { if (!opts.json) console.log(s); else process.stderr.write(`${s}\n`); };

  for (const n of opts.sizes) {
    const k = Math.max(1, Math.round(n * SPARSE_FRACTION));
    const { b } = plan(n, k, simdK);
    fillNormal(new Float32Array(memory.buffer, b.x, n), 1);
    fillNormal(new Float32Array(memory.buffer, b.y, n), 2);
    // Sparse kernels work on the top-1% indices of x and their values.
    simdK.topk_abs(b.x, n, k, b.idx, b.topkScratch);
    simdK.gather(b.x, b.idx, k, b.vals);
    simdK.sign_pack(b.x, n, b.bits);
    simdK.bitmap_encode(b.idx, k, n, b.bitmap);
    const list = cases(memory, b).filter((c) => opts.only.length === 0 || c.kernel.startsWith('sum') || opts.only.some((o) => c.kernel.includes(o)));
    const small = n <= 1e6;
    const time = opts.quick ? (small ? 40 : 80) : (small ? 100 : 200);
    const started = performance.now();
    for (const [impl, K] of builds) {
      // Cases run in list order, so each dequantizer reads what its quantizer just wrote.
      const medians = await measure(list.map((c) => ({ name: c.kernel, fn: () => c.wasm(K) })), time, opts.quick ? 5 : 10, 3);
      for (const c of list) results.push(row(c.kernel, impl, n, medians.get(c.kernel)!));
    }
    if (opts.ts) {
      // The reference is plain TypeScript: a few runs suffice (sort-based top-k takes seconds at 1e7).
      const runs = n >= 1e7 || opts.quick ? 3 : 5;
      const medians = await measure(list.filter((c) => c.ts).map((c) => ({ name: c.kernel, fn: () => { c.ts!(); } })), 0, runs, 1);
      for (const c of list) if (c.ts) results.push(row(c.kernel, 'ts', n, medians.get(c.kernel)!));
    }
    if (opts.api) {
      const x = new Float32Array(memory.buffer, b.x, n).slice();
      const apiCases = API_CASES.filter((c) => opts.only.length === 0 || opts.only.some((o) => c.spec.includes(o) || 'compress'.includes(o)));
      for (const { spec } of apiCases) {
        const c = await createCompressor(spec, { simd: true });
        const v = c.vector(n);
        v.set(x);
        const medians = await measure([
          { name: 'api-vector', fn: () => { c.compress(v); } },
          { name: 'api-array', fn: () => { c.compress(x); } },
        ], time, opts.quick ? 5 : 10, 3);
        for (const impl of ['api-vector', 'api-array'] as const) results.push(row(`compress(${spec})`, impl, n, medians.get(impl)!));
        c.release(v);
      }
    }
    log(`n=${n}: ${list.length} kernels in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }

  const { cpu, cores, node } = describeMachine();
  const machine = { cpu, cores, node };
  if (opts.json) {
    console.log(JSON.stringify({ machine, results }, null, 2));
    return;
  }
  printTable(machine, results, opts.sizes);
}

function row(kernel: string, impl: Impl, n: number, medianMs: number): Result {
  return { kernel, impl, n, medianMs, gbPerS: (4 * n) / (medianMs * 1e6) };
}

function printTable(machine: { cpu: string; cores: number; node: string }, results: Result[], sizes: number[]): void {
  console.log(`\n${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; single thread; GB/s = 4n bytes / median`);
  const get = (kernel: string, impl: Impl, n: number): Result | undefined => results.find((r) => r.kernel === kernel && r.impl === impl && r.n === n);
  const readRef = (n: number): Result | undefined => {
    const a = get('sum', 'wasm-simd', n), b = get('sum:again', 'wasm-simd', n);
    return a && b ? (b.medianMs < a.medianMs ? b : a) : a ?? b;
  };
  const ms = (r: Result | undefined): string => (r ? r.medianMs.toFixed(r.medianMs < 1 ? 3 : 2) : '-');
  for (const n of sizes) {
    const read = readRef(n);
    console.log(`\nn = ${n.toExponential(0)}   read reference: SIMD sum ${ms(read)} ms = ${read ? read.gbPerS.toFixed(1) : '-'} GB/s (faster of two runs)`);
    console.log(`${'kernel'.padEnd(26)}${'ts ms'.padStart(10)}${'scalar ms'.padStart(11)}${'simd ms'.padStart(10)}${'simd GB/s'.padStart(11)}${'vs read'.padStart(9)}${'simd/ts'.padStart(9)}`);
    for (const kernel of [...new Set(results.filter((r) => r.n === n && !r.impl.startsWith('api')).map((r) => r.kernel))]) {
      const t = get(kernel, 'ts', n), s = get(kernel, 'wasm-scalar', n), v = get(kernel, 'wasm-simd', n);
      const ratio = v && read ? `${((100 * v.gbPerS) / read.gbPerS).toFixed(0)}%` : '-';
      const speedup = v && t ? `${(t.medianMs / v.medianMs).toFixed(0)}x` : '-';
      console.log(`${kernel.padEnd(26)}${ms(t).padStart(10)}${ms(s).padStart(11)}${ms(v).padStart(10)}${(v ? v.gbPerS.toFixed(1) : '-').padStart(11)}${ratio.padStart(9)}${speedup.padStart(9)}`);
    }
  }
  const apiRows = results.filter((r) => r.impl === 'api-vector');
  if (apiRows.length > 0) {
    console.log('\nPublic API (SIMD build): compressor.compress(x) returning the whole Message, beside its main kernel');
    console.log(`${'n'.padEnd(7)}${'compressor'.padEnd(18)}${'kernel'.padEnd(15)}${'kernel ms'.padStart(10)}${'vector ms'.padStart(11)}${'array ms'.padStart(10)}${'kernel/vector'.padStart(15)}${'kernel/array'.padStart(14)}`);
    for (const r of apiRows) {
      const spec = r.kernel.slice('compress('.length, -1);
      const main = API_CASES.find((c) => c.spec === spec)!.kernel;
      const k = get(main, 'wasm-simd', r.n), a = get(r.kernel, 'api-array', r.n);
      const share = (x: Result | undefined): string => (k && x ? `${((100 * k.medianMs) / x.medianMs).toFixed(0)}%` : '-');
      console.log(`${r.n.toExponential(0).padEnd(7)}${spec.padEnd(18)}${main.padEnd(15)}${ms(k).padStart(10)}${ms(r).padStart(11)}${ms(a).padStart(10)}${share(r).padStart(15)}${share(a).padStart(14)}`);
    }
  }
  const n = Math.max(...sizes);
  const read = readRef(n);
  if (!read) return;
  console.log(`\nTargets at n = ${n.toExponential(0)} (SIMD, share of the read reference's throughput):`);
  const targets: Array<[string, number]> = [['topk_abs:1%', 0.3], ['topk_abs:0.1%', 0.5], ['threshold_abs:1%', 0.5], ['quant_int8', 0.5], ['dequant_int8', 0.5]];
  for (const [kernel, want] of targets) {
    const r = get(kernel, 'wasm-simd', n);
    if (!r) continue;
    const share = r.gbPerS / read.gbPerS;
    console.log(`  ${kernel.padEnd(20)} ${(100 * share).toFixed(0).padStart(4)}%  (target >= ${100 * want}%)  ${share >= want ? 'ok' : 'MISSED'}`);
  }
}

await main();
