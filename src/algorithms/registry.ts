/** Algorithm names -> implementations (one file each; reference: docs/algorithms.md). */
import { ConfigError } from '../errors.js';
import type { Algorithm } from './types.js';
import { createSgp } from './sgp.js';
import { createDpsgd } from './dpsgd.js';
import { createSparsePush } from './sparse-push.js';
import { createScSparsePush } from './sc-sparse-push.js';
import { createChoco } from './choco.js';
import { createEfSgd } from './ef-sgd.js';
import { createDagcR } from './dagc-r.js';
import { createDagcA } from './dagc-a.js';

const FACTORIES: Record<string, () => Algorithm> = {
  sgp: createSgp,
  dpsgd: createDpsgd,
  'sparse-push': createSparsePush,
  'sc-sparse-push': createScSparsePush,
  choco: createChoco,
  'ef-sgd': createEfSgd,
  'dagc-r': createDagcR,
  'dagc-a': createDagcA,
};

/** Names createAlgorithm accepts. */
export function algorithmNames(): string[] {
  return Object.keys(FACTORIES).sort();
}

/** A fresh Algorithm for config algorithm.name; ConfigError('algorithm.name') when unknown. */
export function createAlgorithm(name: string): Algorithm {
  const make = Object.prototype.hasOwnProperty.call(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!make) {
    throw new ConfigError('algorithm.name', `unknown or not yet implemented algorithm '${name}'; available: ${algorithmNames().join(', ')}`);
  }
  return make();
}

