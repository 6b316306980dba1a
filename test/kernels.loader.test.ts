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

/** Every function of src/kernels/abi.ts (keep in step with KernelExports). */
const ABI_FUNCTIONS: ReadonlyArray<Exclude<keyof KernelExports, 'memory'>> = [
  'topk_scratch_bytes', 'topk_abs', 'threshold_abs', 'threshold_count', 'randk_scratch_bytes', 'randk',
  'rng_key', 'rng_u32', 'rng_fill_uniform',
  'quant_int8', 'dequant_int8', 'quant_int4', 'dequant_int4', 'qsgd_quant', 'qsgd_dequant', 'sign_pack', 'sign_unpack',
  'gather', 'scatter', 'scatter_add', 'varint_encode_deltas', 'varint_bytes_deltas', 'varint_decode_deltas', 'rice_parameter', 'rice_encode_deltas', 'rice_decode_deltas', 'bitmap_encode', 'bitmap_decode',
  'axpy', 'axpby', 'axpby_nonfinite', 'scale', 'copy', 'fill', 'sub', 'dot', 'norm2sq', 'absmax', 'sum', 'count_nonfinite',
];

test('simdSupported() is true on Node 20', () => {
  assert.equal(simdSupported(), true);
});

for (const simd of [true, false]) {
  test(`the ${simd ? 'SIMD' : 'scalar'} build loads with every ABI export`, async () => {
    const km = await loadKernels({ simd });
    assert.equal(km.simd, simd);
    assert.ok(km.memory.buffer.byteLength >= KERNEL_RESERVED_BYTES + (16 << 20));
    assert.equal(Object.prototype.toString.call(km.memory.buffer), '[object SharedArrayBuffer]', 'default memory is shared');
    for (const name of ABI_FUNCTIONS) assert.equal(typeof km.exports[name], 'function', `export ${name}`);
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
