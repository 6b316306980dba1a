/**
 * `sparsepush/browser`: the parts of the library that run in a browser, with no Node built-ins, for
 * any bundler. Kernel .wasm files are referenced as `new URL('<literal>', import.meta.url)`, which
 * webpack, Vite and Rollup copy into the build (esbuild: see scripts/esbuild-assets.mjs).
 * Shared memory (the kernels' WebAssembly.Memory) needs a cross-origin isolated page.
 */
export * from '../errors.js';

// Kernels over one shared WebAssembly.Memory, and the counter-based RNG they share with JS.
export { loadKernels, compileKernels, instantiateKernels, createSharedMemory, simdSupported, kernelWasmUrl } from '../kernels/index.js';
export type { KernelExports, KernelModule, SimdChoice } from '../kernels/index.js';
export { rngKey, rngU32, rngUniform, RandomStream, Purpose } from '../kernels/rng.js';
export { Arena, ArenaPlanner, ScratchAllocator, KERNEL_RESERVED_BYTES } from '../arena/arena.js';

// Compressors and the wire codec.
export type { Message, Compressor, WireCompressor, CompressOptions, CompressorSpec, KernelCompressor } from '../compress/types.js';
export { createCompressor, createCompressorSync, type CompressorOptions } from '../compress/registry.js';
export { parseCompressorSpec, canonicalSpec, formatSpec, DEFAULT_BUCKET } from '../compress/spec.js';
export { ErrorFeedback } from '../compress/error-feedback.js';
export { HEADER_BYTES as WIRE_HEADER_BYTES, MAGIC as WIRE_MAGIC, VERSION as WIRE_VERSION, IndexFormat, readHeader, type Header } from '../compress/codec.js';

// Topologies (edges:FILE needs opts.readText here).
export type { Topology, RoundGraph } from '../graph/types.js';
export { createTopology, parseTopologySpec, TOPOLOGY_FORMS, type TopologyOptions } from '../graph/registry.js';
export { mixingMatrix } from '../graph/mixing.js';
export { assertStronglyConnected, isStronglyConnected } from '../graph/connectivity.js';
export { spectralGap } from '../graph/spectral.js';

// Data: partitioners, generated data, and cached image bytes (the page's MNIST asset).
export type { Dataset, Partition } from '../data/types.js';
export { partition, parsePartitionSpec, parseVolumeSpec, volumeSizes, classHistogram } from '../data/partition/index.js';
export { parseDataSpec, type DataSpec } from '../data/spec.js';
export { generateSynthetic } from '../data/synthetic.js';
export { decodeCache, type CachedImages } from '../data/cache-format.js';
export { bytesToDataset } from '../data/images.js';

// The native logistic model (softmax regression on the kernels; no tfjs).
export type { Learner, Batch } from '../models/types.js';
export { NativeLogisticLearner, createNativeLogistic, logisticParamCount } from '../models/logistic.js';

// The engine: devices on Web Workers over one shared arena, the CLI's run loop, the same results.
export type { RunConfig } from '../config/types.js';
export { Simulation, type SimulationHost, type SimulationOptions } from '../engine/simulation.js';
export { driveRun, summarizeRun } from '../engine/drive.js';
export type { Metrics, RunSummary, ProgressEvent, TargetRecord } from '../metrics/records.js';
export {
  runInBrowser, createBrowserSimulation, browserHost, canShareMemory, lastRoundPicture, sha256Hex,
  type BrowserRunOptions, type BrowserEngineOptions, type RoundPicture,
} from './engine.js';
export { WebWorkerExecutor, type WebWorkerPoolOptions } from './pool.js';
export { loadBrowserTrainTest, browserDatasetLoader, type BrowserDataSources } from './data.js';
