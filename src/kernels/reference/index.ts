/**
 * Plain-TypeScript kernels with the same results as the WASM build (see src/kernels/abi.ts):
 * the test oracle, and the fallback where WASM is not wanted. They take typed arrays instead of
 * pointers, check their arguments (InputError) and allocate nothing but what they return.
 */
export * from './select.js';
export * from './random.js';
export * from './quantize.js';
export * from './sparse.js';
export * from './vector.js';
