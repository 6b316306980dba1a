// Page side of the browser kernel test: one shared WebAssembly.Memory, both kernel builds
// instantiated over it in the page and in a Web Worker (reached through comlink), the same kernels
// run on the same deterministic vector by both; results go back to Node for comparison.
import * as Comlink from '/node_modules/comlink/dist/esm/comlink.mjs';

const PAGE = 65536;
const RESERVED = 65536; // the kernel module's low region (src/arena/arena.ts KERNEL_RESERVED_BYTES)

/** The test vector: an LCG (same constants as the Node side), 24-bit values in [-8, 8), exact in f32. */
export function lcgFill(out, seed) {
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) - 8388608) / 1048576;
  }
}

/** FNV-1a over bytes, as an unsigned 32-bit number. */
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

const align = (v) => Math.ceil(v / 64) * 64;

async function runKernels({ n, k, bucket, seed, alpha }) {
  const files = { simd: 'kernels.simd.wasm', scalar: 'kernels.wasm' };
  const modules = {};
  for (const [build, file] of Object.entries(files)) {
    const res = await fetch(`/build/${file}`);
    if (!res.ok) throw new Error(`fetch /build/${file}: HTTP ${res.status}`);
    modules[build] = await WebAssembly.compile(await res.arrayBuffer());
  }
  const probe = new WebAssembly.Instance(modules.scalar, {
    env: { memory: new WebAssembly.Memory({ initial: 1, maximum: 65536, shared: true }) },
  }).exports;
  const scratchBytes = probe.topk_scratch_bytes(n) >>> 0;

  // Layout: x, then per (build, runner) its own outputs.
  const x = RESERVED;
  let cursor = align(x + 4 * n);
  const region = (bytes) => { const p = cursor; cursor = align(cursor + bytes); return p; };
  const plans = [];
  for (const build of Object.keys(files)) {
    for (const runner of ['page', 'worker']) {
      plans.push({
        build, runner,
        idx: region(4 * k), scratch: region(scratchBytes), q: region(n), scales: region(4 * Math.ceil(n / bucket)),
        vals: region(4 * k), y: region(4 * n),
      });
    }
  }
  const memory = new WebAssembly.Memory({ initial: Math.ceil(cursor / PAGE) + 1, maximum: 65536, shared: true });
  lcgFill(new Float32Array(memory.buffer, x, n), seed);

  const worker = new Worker(new URL('./worker.mjs', import.meta.url), { type: 'module' });
  const remote = Comlink.wrap(worker);
  const result = {
    crossOriginIsolated: self.crossOriginIsolated === true,
    sharedBuffer: memory.buffer instanceof SharedArrayBuffer,
    workerIsolated: await remote.isolated(),
    workerShared: true,
    runs: [],
  };
  try {
    const pageExports = {};
    for (const [build, module] of Object.entries(modules)) {
      pageExports[build] = new WebAssembly.Instance(module, { env: { memory } }).exports;
      result.workerShared = (await remote.init(build, module, memory)) && result.workerShared;
    }
    for (const p of plans) {
      const call = p.runner === 'page'
        ? async (name, ...args) => pageExports[p.build][name](...args)
        : (name, ...args) => remote.call(p.build, name, ...args);
      const count = await call('topk_abs', x, n, k, p.idx, p.scratch);
      await call('quant_int8', x, n, bucket, p.q, p.scales);
      // y = x; y[idx] += alpha * x[idx] via gather + scatter_add
      new Float32Array(memory.buffer, p.y, n).set(new Float32Array(memory.buffer, x, n));
      await call('gather', x, p.idx, k, p.vals);
      await call('scatter_add', p.idx, p.vals, k, alpha, p.y);
      const sum = await call('sum', n, x);
      // The worker wrote into shared memory: the page reads its results directly.
      result.runs.push({
        build: p.build,
        runner: p.runner,
        count,
        idx: Array.from(new Uint32Array(memory.buffer, p.idx, k)),
        qHash: fnv1a(new Uint8Array(memory.buffer, p.q, n)),
        scalesHash: fnv1a(new Uint8Array(memory.buffer, p.scales, 4 * Math.ceil(n / bucket))),
        yHash: fnv1a(new Uint8Array(memory.buffer, p.y, 4 * n)),
        sum,
      });
    }
  } finally {
    remote[Comlink.releaseProxy]();
    worker.terminate();
  }
  return result;
}

globalThis.runKernels = runKernels;
