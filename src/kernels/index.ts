/**
 * Loads the kernel module over a shared WebAssembly.Memory, in Node and in browsers.
 * The SIMD build is picked when the engine validates SIMD, else the scalar build (same exports).
 * A compiled WebAssembly.Module is cached per build and can be posted to workers, which then
 * instantiate it over the same memory with `instantiateKernels` (synchronous, no I/O).
 */
import type { KernelExports } from './abi.js';
import { KERNEL_RESERVED_BYTES, MAX_PAGES, PAGE_BYTES } from '../arena/arena.js';
import { nodeBuiltin } from '../node-builtin.js';

export type { KernelExports } from './abi.js';

export interface KernelModule {
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly simd: boolean;
  readonly module: WebAssembly.Module;
}

export type SimdChoice = boolean | 'auto';

// Smallest module using a v128 instruction (i8x16.splat of 0, then drop): validates only with SIMD.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

let simdCache: boolean | undefined;
export function simdSupported(): boolean {
  simdCache ??= WebAssembly.validate(SIMD_PROBE);
  return simdCache;
}

/**
 * URL of a kernel build in the package's `build/` folder. The paths are literals so that bundlers
 * (webpack, Vite, esbuild with the asset plugin) find the files; they hold from src/kernels/ and
 * from dist/src/kernels/ because the build copies the .wasm files to dist/build/ too.
 */
export function kernelWasmUrl(simd: boolean): URL {
  return simd ? new URL('../../build/kernels.simd.wasm', import.meta.url) : new URL('../../build/kernels.wasm', import.meta.url);
}

interface ReadFileLike { readFile(path: URL): Promise<Uint8Array> }

async function readBytes(url: URL): Promise<ArrayBuffer | Uint8Array> {
  if (url.protocol === 'file:') {
    const fs = nodeBuiltin<ReadFileLike>('node:fs/promises');
    if (!fs) throw new Error(`kernel module ${url.href}: file URLs need Node >= 20.16 (process.getBuiltinModule)`);
    try {
      return await fs.readFile(url);
    } catch (err) {
      throw new Error(`kernel module ${url.pathname} not found: run 'npm run build:wasm' (${(err as Error).message})`);
    }
  }
  const res = await fetch(url);
  if (!res.ok) throw new Error(`kernel module ${url.href}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

const moduleCache = new Map<string, Promise<WebAssembly.Module>>();

/** Compiles (once per build) the SIMD or scalar kernel module. */
export function compileKernels(opts: { simd?: SimdChoice; url?: URL } = {}): Promise<{ module: WebAssembly.Module; simd: boolean }> {
  const simd = opts.simd === undefined || opts.simd === 'auto' ? simdSupported() : opts.simd;
  if (simd && !simdSupported()) throw new Error('this engine does not support WebAssembly SIMD');
  const url = opts.url ?? kernelWasmUrl(simd);
  let p = moduleCache.get(url.href);
  if (!p) {
    p = readBytes(url).then((bytes) => WebAssembly.compile(bytes as BufferSource));
    moduleCache.set(url.href, p);
  }
  return p.then((module) => ({ module, simd }));
}

/** Creates a shared memory big enough for `bytes` of arena above the kernel's reserved low region. */
export function createSharedMemory(bytes: number): WebAssembly.Memory {
  const pages = Math.ceil((KERNEL_RESERVED_BYTES + bytes) / PAGE_BYTES);
  return new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
}

/** Synchronous instantiation over an existing shared memory (workers, after receiving the module). */
export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as KernelExports;
}

/** Compiles if needed and instantiates over `memory` (default: a fresh 16 MiB shared memory). */
export async function loadKernels(opts: { memory?: WebAssembly.Memory; simd?: SimdChoice; url?: URL } = {}): Promise<KernelModule> {
  const { module, simd } = await compileKernels(opts);
  const memory = opts.memory ?? createSharedMemory(16 << 20);
  return { exports: instantiateKernels(module, memory), memory, simd, module };
}
