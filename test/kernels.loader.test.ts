// Kernel loader (src/kernels/index.ts): both builds load with every ABI export, instances share
// one memory (in this thread and from a worker thread), SIMD is detected on Node 20.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import {
  compileKernels, createSharedMemory, instantiateKernels, kernelWasmUrl, loadKernels, simdSupported, type KernelExports,
} from '../src/kernels/index.js';
import { KERNEL_RESERVED_BYTES } from '../src/arena/arena.js';
import { rngKey, rngUniform } from '../src/kernels/rng.js';

/** Every function of src/kernels/abi.ts: a Record, so leaving one out of the list does not compile. */
const ABI: Record<Exclude<keyof KernelExports, 'memory'>, true> = {
  topk_scratch_bytes: true, topk_abs: true, topk_abs_values: true, threshold_abs: true, threshold_count: true, randk_scratch_bytes: true, randk: true,
  topk_stream_plan: true, topk_stream_begin: true, topk_stream_filter: true, topk_stream_finish: true,
  rng_key: true, rng_u32: true, rng_fill_uniform: true,
  quant_int8: true, dequant_int8: true, quant_int4: true, dequant_int4: true, qsgd_quant: true, qsgd_dequant: true, sign_pack: true, sign_unpack: true,
  gather: true, scatter: true, scatter_add: true, varint_encode_deltas: true, varint_bytes_deltas: true, varint_decode_deltas: true, rice_parameter: true, delta_costs: true,
  rice_encode_deltas: true, rice_decode_deltas: true, bitmap_encode: true, bitmap_decode: true,
  axpy: true, axpby: true, axpby_nonfinite: true, scale: true, copy: true, fill: true, sub: true, dot: true, norm2sq: true, absmax: true, sum: true, count_nonfinite: true,
  logistic_scratch_bytes: true, logistic_grad: true, logistic_grad_rows: true, logistic_eval: true,
  momentum_step: true, scale_into: true,
};
const ABI_FUNCTIONS = Object.keys(ABI).sort();

test('simdSupported() is true on Node 20', () => {
  assert.equal(simdSupported(), true);
});

for (const simd of [true, false]) {
  test(`the ${simd ? 'SIMD' : 'scalar'} build exports exactly the ABI's functions`, async () => {
    const km = await loadKernels({ simd });
    assert.equal(km.simd, simd);
    assert.ok(km.memory.buffer.byteLength >= KERNEL_RESERVED_BYTES + (16 << 20));
    assert.equal(Object.prototype.toString.call(km.memory.buffer), '[object SharedArrayBuffer]', 'default memory is shared');
    const exported = Object.keys(km.exports).filter((k) => typeof (km.exports as unknown as Record<string, unknown>)[k] === 'function').sort();
    assert.deepEqual(exported, ABI_FUNCTIONS, 'the module exports the functions of KernelExports, no more, no fewer');
    assert.equal(km.exports.memory, km.memory, 'the module exports the memory it imported');
    assert.ok(kernelWasmUrl(simd).pathname.endsWith(simd ? 'build/kernels.simd.wasm' : 'build/kernels.wasm'));
  });
}

test('compileKernels caches one module per build; auto picks SIMD', async () => {
  const a = await compileKernels({ simd: true });
  const b = await compileKernels({ simd: 'auto' });
  const c = await compileKernels({ simd: false });
  assert.equal(a.module, b.module);
  assert.equal(b.simd, true);
  assert.notEqual(a.module, c.module);
});

test('two instances (SIMD and scalar) over one shared memory see each other\'s writes', async () => {
  const memory = createSharedMemory(1 << 20);
  const s = instantiateKernels((await compileKernels({ simd: true })).module, memory);
  const t = instantiateKernels((await compileKernels({ simd: false })).module, memory);
  const p = KERNEL_RESERVED_BYTES, n = 1001;
  const key = rngKey(1, 2, 3, 4);
  s.rng_fill_uniform(key, 0, p, n);
  // The scalar instance reads what the SIMD one wrote, and the other way round.
  const expected = Array.from({ length: n }, (_, i) => rngUniform(key, i)).filter((u) => u >= 0.5).length;
  assert.equal(t.threshold_count(p, n, 0.5), expected);
  t.fill(n, 2.5, p);
  assert.equal(s.threshold_count(p, n, 2.5), n);
  assert.equal(new Float32Array(memory.buffer, p, n)[n - 1], 2.5, 'JS views see kernel writes');
});

test('a worker thread instantiates the posted module over the same memory', async () => {
  const memory = createSharedMemory(1 << 20);
  const { module } = await compileKernels({ simd: true });
  const main = instantiateKernels(module, memory);
  const p = KERNEL_RESERVED_BYTES, n = 4096;
  const key = rngKey(8, 0, 0, 1);
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const { module, memory, p, n, key } = workerData;
     const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
     k.rng_fill_uniform(key, 0, p, n);
     parentPort.postMessage(k.threshold_count(p, n, 0.25));`,
    { eval: true, workerData: { module, memory, p, n, key } },
  );
  const fromWorker = await new Promise<number>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  await worker.terminate();
  assert.equal(main.threshold_count(p, n, 0.25), fromWorker, 'main thread sees the worker\'s writes');
  const x = new Float32Array(memory.buffer, p, n);
  for (let i = 0; i < n; i += 97) assert.equal(x[i], rngUniform(key, i));
});
