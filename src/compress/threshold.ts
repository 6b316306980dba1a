/** `threshold:λ`: every coordinate with |x| >= λ (possibly none: empty messages are valid). */
import type { KernelContext } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId } from './stages.js';

export function thresholdSparsifier(lambda: number): Sparsifier {
  return {
    id: SparsifierId.threshold,
    stochastic: false,
    flags: 0,
    keepsNonfinite: false,
    fixedK: () => undefined,
    maxK: (d) => d,
    select(ctx: KernelContext, x: number, d: number, _key: number, valuesAt?: number): Selection {
      const kx = ctx.kx;
      const idx = ctx.alloc(4 * d);
      const k = kx.threshold_abs(x, d, lambda, idx);
      const vals = valuesAt ?? ctx.alloc(4 * k);
      if (k > 0) kx.gather(x, idx, k, vals);
      return { k, idx: k === d ? -1 : idx, vals };
    },
    scratchBytes: (_kx, d) => 8 * d + 2 * 64,
  };
}
