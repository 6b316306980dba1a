/**
 * `none`: every coordinate, raw f32. Also the two halves other compressors reuse: the dense
 * sparsifier (quantizer-only specs such as `int8`, `qsgd:8`, `sign`) and the f32 value format
 * (sparsifier-only specs such as `topk:0.01`).
 */
import type { KernelContext } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId, type ValueFormat, ValueFormatId } from './stages.js';

export const denseSparsifier: Sparsifier = {
  id: SparsifierId.dense,
  stochastic: false,
  flags: 0,
  keepsNonfinite: false,
  fixedK: (d) => d,
  maxK: (d) => d,
  select: (_ctx: KernelContext, x: number, d: number): Selection => ({ k: d, idx: -1, vals: x }),
  scratchBytes: () => 0,
};

export const f32Format: ValueFormat = {
  id: ValueFormatId.f32,
  stochastic: false,
  levels: 0,
  bucket: 0,
  label: 'f32',
  bytes: (n) => 4 * n,
  encode(ctx, vals, n, out) {
    if (n > 0 && vals !== out) ctx.kx.copy(n, vals, out); // (a sparsifier may have written them in place)
  },
  // Finiteness of the copied values is checked by the caller on every decoded vector.
  decode(ctx, ptr, n, vals) {
    if (n > 0) ctx.kx.copy(n, ptr, vals);
  },
  scratchBytes: () => 0,
};
