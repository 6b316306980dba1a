/** `topk:f`: the k = max(1, round(f·d)) coordinates of largest |x| (ties: lower index), exact. */
import type { KernelExports } from '../kernels/abi.js';
import type { KernelContext } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId } from './stages.js';

/**
 * Elements per range when an ordinary array is copied in and filtered range by range: 256 KiB, so
 * the filter reads each range while it is still in the core's cache (docs/results/api/README.md).
 */
const COPY_RANGE = 65536;

/** k for ratio f and dimension d (shared by topk and randk). */
export function keptCount(ratio: number, d: number): number {
  return Math.min(d, Math.max(1, Math.round(ratio * d)));
}

export function topkSparsifier(ratio: number): Sparsifier {
  return {
    id: SparsifierId.topk,
    stochastic: false,
    flags: 0,
    keepsNonfinite: true,
    fixedK: (d) => keptCount(ratio, d),
    maxK: (d) => keptCount(ratio, d),
    select(ctx: KernelContext, x: number, d: number, _key: number, valuesAt?: number): Selection {
      const k = keptCount(ratio, d);
      const kx = ctx.kx;
      const idx = ctx.alloc(4 * k);
      const vals = valuesAt ?? ctx.alloc(4 * k);
      // The kernel writes the values from its candidates (no second, random-access pass over x).
      kx.topk_abs_values(x, d, k, idx, vals, ctx.alloc(kx.topk_scratch_bytes(d)));
      return { k, idx: k === d ? -1 : idx, vals };
    },
    selectCopying(ctx: KernelContext, x: Float32Array, _key: number, valuesAt?: number): { xp: number; sel: Selection } {
      const d = x.length;
      const k = keptCount(ratio, d);
      const kx = ctx.kx;
      const xp = ctx.alloc(4 * d);
      const idx = ctx.alloc(4 * k);
      const vals = valuesAt ?? ctx.alloc(4 * k);
      const scratch = ctx.alloc(kx.topk_scratch_bytes(d));
      copyFiltering(ctx, x, xp, k, scratch);
      kx.topk_stream_finish(xp, d, k, idx, vals, scratch);
      return { xp, sel: { k, idx: k === d ? -1 : idx, vals } };
    },
    scratchBytes: (kx: KernelExports, d: number) => 8 * keptCount(ratio, d) + kx.topk_scratch_bytes(d) + 3 * 64,
  };
}

/**
 * Copies x to xp for a top-k stream (see topk_stream_* in src/kernels/abi.ts): the sampled chunks
 * first, then range by range, each range filtered for candidates right after its copy.
 */
function copyFiltering(ctx: KernelContext, x: Float32Array, xp: number, k: number, scratch: number): void {
  const kx = ctx.kx;
  const d = x.length;
  const m = kx.topk_stream_plan(d, k, scratch);
  if (m > 0) {
    const chunks = ctx.u32(scratch, m);
    // Integer views: bit-exact copies (NaN payloads included).
    const src = new Int32Array(x.buffer, x.byteOffset, d);
    const dst = new Int32Array(ctx.memory.buffer, xp, d);
    for (let j = 0; j < m; j++) {
      const a = 32 * chunks[j]!;
      for (let i = a; i < a + 32; i++) dst[i] = src[i]!;
    }
  }
  const dst = ctx.f32(xp, d);
  if (m === 0 || kx.topk_stream_begin(xp, d, k, scratch) === 0) {
    dst.set(x);
    return;
  }
  for (let a = 0; a < d; a += COPY_RANGE) {
    const b = Math.min(d, a + COPY_RANGE);
    dst.set(x.subarray(a, b), a);
    kx.topk_stream_filter(xp, d, a, b, scratch);
  }
}
