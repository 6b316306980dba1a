// Public library API. Parts are exported as they land.
export * from './errors.js';
export type { Message, Compressor, WireCompressor, CompressOptions } from './compress/types.js';
export type { Topology, RoundGraph } from './graph/types.js';
export type { Dataset, Partition } from './data/types.js';
export type { Learner, Batch } from './models/types.js';
export type { RunConfig } from './config/types.js';
