// Compressors: spec strings -> WireCompressors on WASM kernels, the wire codec, error feedback.
export type {
  Message, Compressor, WireCompressor, CompressOptions, CompressorSpec, SparsifierSpec, QuantizerSpec, KernelCompressor,
} from './types.js';
export { parseCompressorSpec, canonicalSpec, formatSpec, DEFAULT_BUCKET } from './spec.js';
export { createCompressor, createCompressorSync, type CompressorOptions } from './registry.js';
export type { KernelBinding } from './exec.js';
export { ErrorFeedback } from './error-feedback.js';
export { HEADER_BYTES as WIRE_HEADER_BYTES, MAGIC as WIRE_MAGIC, VERSION as WIRE_VERSION, IndexFormat } from './codec.js';
export { keptCount } from './topk.js';
