/** Algorithm names -> implementations (one file each; reference: docs/algorithms.md). */
import { ConfigError } from '../errors.js';
import type { Algorithm, AlgorithmKind } from './types.js';
import { createSgp } from './sgp.js';
import { createDpsgd } from './dpsgd.js';
import { createSparsePush } from './sparse-push.js';
import { createScSparsePush } from './sc-sparse-push.js';
import { createChoco } from './choco.js';
import { createEfSgd } from './ef-sgd.js';
import { createDagcR } from './dagc-r.js';
import { createDagcA } from './dagc-a.js';

// The order is the one the config reference and the page's algorithm menu list.
const FACTORIES = {
  sgp: createSgp,
  'sparse-push': createSparsePush,
  'sc-sparse-push': createScSparsePush,
  dpsgd: createDpsgd,
  choco: createChoco,
  'ef-sgd': createEfSgd,
  'dagc-r': createDagcR,
  'dagc-a': createDagcA,
} as const satisfies Record<string, () => Algorithm>;

export type AlgorithmName = keyof typeof FACTORIES;

/** Every name createAlgorithm accepts (the values of config algorithm.name). */
export const ALGORITHM_NAMES = Object.keys(FACTORIES) as [AlgorithmName, ...AlgorithmName[]];

export function isAlgorithmName(name: string): name is AlgorithmName {
  return Object.hasOwn(FACTORIES, name);
}

/** A fresh Algorithm for config algorithm.name; ConfigError('algorithm.name') when unknown. */
export function createAlgorithm(name: string): Algorithm {
  if (!isAlgorithmName(name)) {
    throw new ConfigError('algorithm.name', `unknown algorithm '${name}'; available: ${ALGORITHM_NAMES.join(', ')}`);
  }
  return FACTORIES[name]();
}

/** The algorithms of one kind (decentralized or server), in ALGORITHM_NAMES order. */
export function algorithmsOfKind(kind: AlgorithmKind): AlgorithmName[] {
  return ALGORITHM_NAMES.filter((name) => createAlgorithm(name).kind === kind);
}
