// Public library API (ESM, typed). Kernels, compressors and graphs also work in browsers.
export * from './errors.js';
export type { Message, Compressor, WireCompressor, CompressOptions } from './compress/types.js';
export { createCompressor, createCompressorSync, parseCompressorSpec, canonicalSpec, ErrorFeedback } from './compress/index.js';
export type { CompressorOptions } from './compress/index.js';
export type { Topology, RoundGraph } from './graph/types.js';
export { createTopology, parseTopologySpec, mixingMatrix, spectralGap, assertStronglyConnected } from './graph/index.js';
export type { Dataset, Partition } from './data/types.js';
export type { Learner, Batch } from './models/types.js';
export type { RunConfig } from './config/types.js';
export { loadKernels, compileKernels, instantiateKernels, createSharedMemory, simdSupported } from './kernels/index.js';
export type { KernelExports, KernelModule } from './kernels/index.js';
export { rngKey, rngU32, rngUniform, RandomStream, Purpose } from './kernels/rng.js';
export { Arena, ArenaPlanner, ScratchAllocator } from './arena/arena.js';
export { dagcRatios, dagcThresholds, volumeShares } from './algorithms/dagc-plan.js';
export { loadDataset, loadTrainTest, partition, classHistogram, parseDataSpec, parsePartitionSpec, parseVolumeSpec } from './data/index.js';
export { resolveConfig, DEFAULT_CONFIG, loadConfigFile, applySet, configToYaml } from './config/index.js';
export { runExperiment } from './engine/run.js';
export type { RunOptions, RunSummary, ProgressEvent, RunEngine } from './engine/run.js';
export { overNats, serveHost, hostRanges } from './transport/nats/index.js';
export type { OverNatsOptions, HostOptions } from './transport/nats/index.js';
export { buildReport } from './report/index.js';
export {
  readModelFile, writeModelFiles, evaluateModelFile, layoutArrays, tfjsWeightName, MODEL_NPZ, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE,
} from './model-file/index.js';
export type { ModelValues, ModelShape } from './model-file/index.js';
export { layoutOfModel } from './model-file/layout.js';
export type { ParamLayout, TensorSlot } from './models/types.js';
