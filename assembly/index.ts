// Kernel module entry: raw pointer/length kernels over an imported shared memory (see src/kernels/abi.ts).
// select.ts also exports internals for topk-stream.ts, so its kernels are named here one by one.
export { topk_scratch_bytes, topk_abs, topk_abs_values, threshold_abs, threshold_count, randk_scratch_bytes, randk } from './select';
export * from './topk-stream';
export * from './random';
export * from './quantize';
export * from './sparse';
export * from './vector';
export * from './logistic';
export * from './optim';
