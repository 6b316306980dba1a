/** The graph layer: topologies from spec strings, mixing matrices, connectivity and spectral gap. */
export type { Topology, RoundGraph } from './types.js';
export { createTopology, parseTopologySpec, TOPOLOGY_FORMS } from './registry.js';
export type { TopologySpec, TopologyKind, TopologyOptions } from './registry.js';
export { mixingMatrix, periodAverageMatrix, RESAMPLED_WINDOW, DENSE_MAX_N } from './mixing.js';
export { assertStronglyConnected, findUnreachablePair, isStronglyConnected } from './connectivity.js';
export { spectralGap, analyzeSpectrum, eigenvalues, circulantOffsets, DENSE_GAP_MAX_N } from './spectral.js';
export type { SpectralOptions, SpectrumReport } from './spectral.js';
export { exponentialOffsets } from './exponential.js';
export { torusShape } from './torus.js';
export { parseEdgeList } from './edges.js';
export type { EdgeListEntry, ReadText } from './edges.js';
export { roundGraphFromOutPeers, PeriodicTopology, ResampledTopology } from './build.js';
