/**
 * Skew-Compensated Sparse-Push: Sparse-Push (sparse-push.ts, memory 'choco') with a compensation
 * for label-skewed (non-IID) data, chosen by config algorithm.compensation:
 * - 'tracking' (compensation/tracking.ts): gradient tracking on the same compressed push-sum; each
 *   device steps along its estimate of the network's average gradient, gossiped as a second
 *   message that shares the compressor's kept fraction with the model's.
 * - 'qgm' (compensation/qgm.ts): quasi-global momentum read off the in-neighbours' public copies;
 *   no extra message.
 * The exact update rules are in each compensation's header and in docs/algorithms.md.
 */
import { ConfigError } from '../errors.js';
import { compressedPushAlgorithm } from './compressed-gossip.js';
import { quasiGlobalMomentum } from './compensation/qgm.js';
import { momentumTracking } from './compensation/tracking.js';
import type { Compensation } from './compensation/types.js';
import type { Algorithm, AlgorithmSetup, DeviceContext } from './types.js';

const COMPENSATIONS: Readonly<Record<string, Compensation>> = Object.freeze({
  tracking: momentumTracking,
  qgm: quasiGlobalMomentum,
});

/** Names algorithm.compensation accepts. */
export const COMPENSATION_NAMES = Object.freeze(Object.keys(COMPENSATIONS)) as readonly string[];

function compensationOf(config: { algorithm: { compensation: string } }): Compensation {
  const c = Object.prototype.hasOwnProperty.call(COMPENSATIONS, config.algorithm.compensation) ? COMPENSATIONS[config.algorithm.compensation] : undefined;
  if (!c) throw new ConfigError('algorithm.compensation', `unknown compensation '${config.algorithm.compensation}'; available: ${COMPENSATION_NAMES.join(', ')}`);
  return c;
}

export function createScSparsePush(): Algorithm {
  const name = 'sc-sparse-push';
  return compressedPushAlgorithm(name, {
    validate: (setup: AlgorithmSetup) => compensationOf(setup.config).validate(setup, name),
    deviceVectors: (setup: AlgorithmSetup) => compensationOf(setup.config).deviceVectors(setup, name),
    streamSpecs: (setup: AlgorithmSetup, device: number) => {
      const c = compensationOf(setup.config);
      return c.streamSpecs ? c.streamSpecs(setup, device) : [setup.config.compressor];
    },
    local: (dev: DeviceContext) => compensationOf(dev.config).local(dev),
    send: (dev: DeviceContext) => compensationOf(dev.config).send(dev),
    mix: (dev: DeviceContext) => compensationOf(dev.config).mix(dev),
  });
}
