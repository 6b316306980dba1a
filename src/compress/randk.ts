/**
 * `randk:f[:scaled]`: k = max(1, round(f·d)) distinct coordinates uniform at random from the
 * stream rngKey (counters from 0); `scaled` multiplies the kept values by d/k (unbiased).
 */
import { InputError } from '../errors.js';
import type { KernelExports } from '../kernels/abi.js';
import type { KernelContext } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId } from './stages.js';
import { keptCount } from './topk.js';

export const RANDK_SCALED_FLAG = 1;

export function randkSparsifier(ratio: number, scaled: boolean): Sparsifier {
  return {
    id: SparsifierId.randk,
    stochastic: true,
    flags: scaled ? RANDK_SCALED_FLAG : 0,
    keepsNonfinite: false,
    fixedK: (d) => keptCount(ratio, d),
    maxK: (d) => keptCount(ratio, d),
    select(ctx: KernelContext, x: number, d: number, key: number, valuesAt?: number): Selection {
      const k = keptCount(ratio, d);
      const kx = ctx.kx;
      const idx = ctx.alloc(4 * k);
      const scratch = ctx.alloc(kx.randk_scratch_bytes(d, k));
      kx.randk(d, k, key, idx, scratch);
      const vals = valuesAt ?? ctx.alloc(4 * k);
      kx.gather(x, idx, k, vals);
      if (scaled && k < d) {
        kx.scale(k, d / k, vals);
        if (kx.count_nonfinite(k, vals) > 0) {
          throw new InputError(`randk:${ratio}:scaled: rescaling the kept values by d/k = ${d / k} overflows f32`);
        }
      }
      return k === d ? { k, idx: -1, vals } : { k, idx, vals, seed: key };
    },
    scratchBytes: (kx: KernelExports, d: number) => 8 * keptCount(ratio, d) + kx.randk_scratch_bytes(d, keptCount(ratio, d)) + 3 * 64,
  };
}
