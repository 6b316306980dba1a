// Kernel module entry: raw pointer/length kernels over an imported shared memory (see src/kernels/abi.ts).
export * from './select';
export * from './random';
export * from './quantize';
export * from './sparse';
export * from './vector';
export * from './logistic';
export * from './optim';
