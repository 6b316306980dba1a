/** Algorithm names -> implementations. The compressed algorithms register here as they land. */
import { ConfigError } from '../errors.js';
import type { Algorithm } from './types.js';
import { createSgp } from './sgp.js';
import { createDpsgd } from './dpsgd.js';

const FACTORIES: Record<string, () => Algorithm> = {
  sgp: createSgp,
  dpsgd: createDpsgd,
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

