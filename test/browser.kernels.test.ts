// Kernels in a real browser: headless Chromium (playwright-core, system binary, never downloaded)
// loads build/kernels*.wasm over one shared WebAssembly.Memory (cross-origin isolated page), runs
// topk_abs, quant_int8, gather + scatter_add and sum in the page and in a Web Worker called through
// comlink, and the results must equal Node's on the same deterministic vector, for both builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSharedMemory, loadKernels } from '../src/kernels/index.js';
import { KERNEL_RESERVED_BYTES } from '../src/arena/arena.js';
import { collectLog, launchChromium, ROOT, startStaticServer } from './support/browser.js';

const BUILD_FILES = ['build/kernels.simd.wasm', 'build/kernels.wasm'];

/** Only these folders are served. */
const MOUNTS = ['build', 'test/browser', 'node_modules/comlink/dist/esm'].map((d) => ({ prefix: `/${d}/`, dir: resolve(ROOT, d) }));

const PARAMS = { n: 100_003, k: 1000, bucket: 64, seed: 20240607, alpha: 0.5 };

/** Same LCG as test/browser/page.mjs: 24-bit values in [-8, 8), exact in f32 (with many |x| ties). */
function lcgFill(out: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) - 8388608) / 1048576;
  }
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
  return h >>> 0;
}

interface RunResult {
  build: string;
  runner: string;
  count: number;
  idx: number[];
  qHash: number;
  scalesHash: number;
  yHash: number;
  sum: number;
}

interface PageResult {
  crossOriginIsolated: boolean;
  sharedBuffer: boolean;
  workerIsolated: boolean;
  workerShared: boolean;
  runs: RunResult[];
}

/** The same kernels in Node (loadKernels), per build. */
async function nodeResults(): Promise<Map<string, Omit<RunResult, 'runner'>>> {
  const { n, k, bucket, seed, alpha } = PARAMS;
  const out = new Map<string, Omit<RunResult, 'runner'>>();
  for (const simd of [true, false]) {
    const memory = createSharedMemory(8 << 20);
    const { exports: kx } = await loadKernels({ memory, simd });
    const align = (v: number): number => Math.ceil(v / 64) * 64;
    const x = KERNEL_RESERVED_BYTES;
    const idx = align(x + 4 * n), scratch = align(idx + 4 * k), q = align(scratch + kx.topk_scratch_bytes(n));
    const scales = align(q + n), vals = align(scales + 4 * Math.ceil(n / bucket)), y = align(vals + 4 * k);
    const xs = new Float32Array(memory.buffer, x, n);
    lcgFill(xs, seed);
    const count = kx.topk_abs(x, n, k, idx, scratch);
    kx.quant_int8(x, n, bucket, q, scales);
    new Float32Array(memory.buffer, y, n).set(xs);
    kx.gather(x, idx, k, vals);
    kx.scatter_add(idx, vals, k, alpha, y);
    out.set(simd ? 'simd' : 'scalar', {
      build: simd ? 'simd' : 'scalar',
      count,
      idx: Array.from(new Uint32Array(memory.buffer, idx, k)),
      qHash: fnv1a(new Uint8Array(memory.buffer, q, n)),
      scalesHash: fnv1a(new Uint8Array(memory.buffer, scales, 4 * Math.ceil(n / bucket))),
      yHash: fnv1a(new Uint8Array(memory.buffer, y, 4 * n)),
      sum: kx.sum(n, x),
    });
  }
  return out;
}

test('kernels give the same results in Chromium (page and comlink worker, shared memory) as in Node', { timeout: 60_000 }, async () => {
  for (const f of BUILD_FILES) assert.ok(existsSync(resolve(ROOT, f)), `${f} missing: run 'npm run build:wasm'`);
  const expected = await nodeResults();
  const served = await startStaticServer(MOUNTS);
  const origin = served.origin;
  let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const log = collectLog(page);
    await page.goto(`${origin}/test/browser/page.html`);
    await page.waitForFunction(() => typeof (globalThis as { runKernels?: unknown }).runKernels === 'function', undefined, { timeout: 20_000 });
    const result = await page.evaluate(
      (params) => (globalThis as unknown as { runKernels(p: typeof params): Promise<PageResult> }).runKernels(params),
      PARAMS,
    );
    const context = log();
    assert.equal(result.crossOriginIsolated, true, `page is not cross-origin isolated${context}`);
    assert.equal(result.sharedBuffer, true, `memory.buffer is not a SharedArrayBuffer${context}`);
    assert.equal(result.workerIsolated, true, `worker is not cross-origin isolated${context}`);
    assert.equal(result.workerShared, true, `worker did not get the shared memory${context}`);
    assert.equal(result.runs.length, 4);
    for (const run of result.runs) {
      const want = expected.get(run.build);
      assert.ok(want, `unknown build ${run.build}`);
      const what = `${run.build} build in the ${run.runner}`;
      assert.equal(run.count, PARAMS.k, `topk_abs count, ${what}`);
      assert.deepEqual(run.idx, want.idx, `topk_abs indices, ${what}`);
      assert.equal(run.qHash, want.qHash, `quant_int8 q bytes, ${what}`);
      assert.equal(run.scalesHash, want.scalesHash, `quant_int8 scales, ${what}`);
      assert.equal(run.yHash, want.yHash, `gather + scatter_add, ${what}`);
      assert.equal(run.sum, want.sum, `sum, ${what}`);
    }
    // and the two builds agree with each other
    const [s, c] = [expected.get('simd')!, expected.get('scalar')!];
    assert.deepEqual({ ...s, build: '' }, { ...c, build: '' }, 'SIMD and scalar builds differ in Node');
  } finally {
    await browser?.close();
    await served.close();
  }
});
