/** The simulation engine: runExperiment for whole runs, Simulation for step-by-step control. */
export { runExperiment, hashParams } from './run.js';
export { packageVersion } from '../package.js';
export type { RunOptions, RunSummary, ProgressEvent, TargetRecord, Metrics } from './run.js';
export { Simulation, splitRange } from './simulation.js';
export type { SimulationOptions, PhaseTiming } from './simulation.js';
export { writeCheckpoint, readCheckpoint, hasCheckpoint } from './checkpoint.js';
export { VirtualClock, deviceEnergy } from './clock.js';
export { Stat, STATS, REDUCE_BLOCK, TEST_CHUNK, DEVICE_EVAL_BUDGET, DEVICE_EVAL_MIN, persistentRegions } from './layout.js';
export { OUTBOX_HEADER_BYTES } from './worker/outbox.js';
