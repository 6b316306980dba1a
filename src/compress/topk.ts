/** `topk:f`: the k = max(1, round(f·d)) coordinates of largest |x| (ties: lower index), exact. */
import type { KernelExports } from '../kernels/abi.js';
import type { KernelContext } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId } from './stages.js';

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
    scratchBytes: (kx: KernelExports, d: number) => 8 * keptCount(ratio, d) + kx.topk_scratch_bytes(d) + 3 * 64,
  };
}
