/**
 * What a Simulation takes from Node when the caller gives nothing else: the Piscina pool of
 * worker threads, the core count as the default pool size, and datasets loaded from the config's
 * data specs (files, the packaged sets, the dataset cache). A browser twin passes its own
 * SimulationHost (a Web Worker pool, navigator.hardwareConcurrency, datasets it fetched).
 */
import { availableParallelism } from 'node:os';
import { loadTrainTest } from '../data/index.js';
import type { SimulationHost } from './simulation.js';
import { PiscinaExecutor } from './pool.js';

export const nodeHost: SimulationHost = {
  parallelism: () => availableParallelism(),
  executor: (init, size) => new PiscinaExecutor(init, size),
  loadData: (config, onProgress) => loadTrainTest(config.data.train, config.data.test, { seed: config.seed, limit: config.data.limit, onProgress }),
  readModel: async (path, layout) => (await import('../model-file/index.js')).readModelFile(path, layout),
};
