// Kernel module entry: raw pointer/length kernels over an imported shared memory (see src/kernels/abi.ts).
// The files of select/ also export internals (to each other and topk-stream.ts), so their kernels
// are named here one by one.
export { topk_scratch_bytes, topk_abs, topk_abs_values } from './select/topk';
export { threshold_abs, threshold_count } from './select/threshold';
export { randk_scratch_bytes, randk } from './select/randk';
export * from './topk-stream';
export * from './random';
export * from './quantize';
export * from './sparse';
export * from './vector';
export * from './logistic';
export * from './optim';
