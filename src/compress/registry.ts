/** Spec string -> compressor: picks the sparsifier and value-format implementations and a kernel context. */
import { SpecError } from '../errors.js';
import { compileKernels, createSharedMemory, instantiateKernels, type SimdChoice } from '../kernels/index.js';
import { ComposedCompressor } from './compose.js';
import { KernelContext, type KernelBinding } from './exec.js';
import { int4Format, int8Format } from './linear.js';
import { denseSparsifier, f32Format } from './none.js';
import { qsgdFormat } from './qsgd.js';
import { randkSparsifier } from './randk.js';
import { signFormat } from './sign.js';
import { formatSpec, parseCompressorSpec } from './spec.js';
import type { Sparsifier, ValueFormat } from './stages.js';
import { thresholdSparsifier } from './threshold.js';
import { topkSparsifier } from './topk.js';
import type { CompressorSpec, KernelCompressor, QuantizerSpec, SparsifierSpec } from './types.js';

export interface CompressorOptions {
  /**
   * Run on the caller's kernel instance and scratch region (the engine: a worker's kernels over the
   * arena). Without it the compressor owns a private shared memory, grown as vectors need.
   */
  readonly kernels?: KernelBinding;
  /** Kernel build for a private memory (default: SIMD when the engine supports it). */
  readonly simd?: SimdChoice;
  /** A compiled kernel module for a private memory (skips compilation; makes creation synchronous). */
  readonly module?: WebAssembly.Module;
}

/** Initial size of a private kernel memory above the reserved low 64 KiB; grown on demand. */
const PRIVATE_INITIAL_BYTES = 1 << 20;

/**
 * One private kernel memory per kernel module (i.e. per build), shared by every unbound
 * compressor of this thread: each call resets its scratch and returns copies, and calls never
 * interleave, so sharing is safe, and a run with thousands of per-device specs (DAGC) does not
 * reserve thousands of wasm memories.
 */
const privateContexts = new WeakMap<WebAssembly.Module, KernelContext>();
let privateCount = 0;

function privateContext(module: WebAssembly.Module): KernelContext {
  let ctx = privateContexts.get(module);
  if (!ctx) {
    const memory = createSharedMemory(PRIVATE_INITIAL_BYTES);
    ctx = KernelContext.owned(instantiateKernels(module, memory), memory, `private kernel memory #${++privateCount} of this thread`);
    privateContexts.set(module, ctx);
  }
  return ctx;
}

function sparsifierFor(s: SparsifierSpec): Sparsifier {
  switch (s.kind) {
    case 'dense': return denseSparsifier;
    case 'topk': return topkSparsifier(s.ratio);
    case 'randk': return randkSparsifier(s.ratio, s.scaled);
    case 'threshold': return thresholdSparsifier(s.lambda);
  }
}

function formatFor(q: QuantizerSpec): ValueFormat {
  switch (q.kind) {
    case 'f32': return f32Format;
    case 'int8': return int8Format(q.bucket);
    case 'int4': return int4Format(q.bucket);
    case 'qsgd': return qsgdFormat(q.levels, q.bucket);
    case 'sign': return signFormat;
  }
}

function toSpec(spec: string | CompressorSpec): CompressorSpec {
  if (typeof spec === 'string') return parseCompressorSpec(spec);
  // A structured spec (e.g. built by DAGC with a per-device ratio) is re-validated from its parts.
  if (spec && typeof spec === 'object' && spec.sparsifier && spec.quantizer) return parseCompressorSpec(formatSpec(spec.sparsifier, spec.quantizer));
  throw new SpecError(String(spec), 'expected a spec string or a parsed CompressorSpec');
}

/**
 * Creates a compressor synchronously: needs either `opts.kernels` (engine binding) or
 * `opts.module` (a compiled kernel module to instantiate over a private memory).
 */
export function createCompressorSync(spec: string | CompressorSpec, opts: CompressorOptions): KernelCompressor {
  const parsed = toSpec(spec);
  let ctx: KernelContext;
  if (opts.kernels) {
    ctx = KernelContext.bound(opts.kernels);
  } else if (opts.module) {
    ctx = privateContext(opts.module);
  } else {
    throw new SpecError(parsed.spec, 'createCompressorSync needs opts.kernels or opts.module (or use createCompressor)');
  }
  return new ComposedCompressor(parsed, sparsifierFor(parsed.sparsifier), formatFor(parsed.quantizer), ctx);
}

/** `await createCompressor('topk:0.01+int8')`: validates the spec (SpecError), loads kernels if needed. */
export async function createCompressor(spec: string | CompressorSpec, opts: CompressorOptions = {}): Promise<KernelCompressor> {
  const parsed = toSpec(spec); // spec errors before any I/O
  if (opts.kernels || opts.module) return createCompressorSync(parsed, opts);
  const { module } = await compileKernels({ simd: opts.simd ?? 'auto' });
  return createCompressorSync(parsed, { ...opts, module });
}
