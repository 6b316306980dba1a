/**
 * EF-SGD: synchronous parameter-server SGD with error feedback, every worker compressing with the
 * same config.compressor (uniform top-k `topk:δ̄`, threshold `threshold:λ̄`, any composition such
 * as `topk:0.01+int8`, or `none` = plain synchronous SGD weighted by the data shares p_i).
 * The round, step size, participation and bit accounting are in server-common.ts.
 * Reference: docs/algorithms.md#server-algorithms-ef-sgd-dagc-r-dagc-a
 */
import { createServerAlgorithm, configCompressor } from './server-common.js';
import type { Algorithm } from './types.js';

export function createEfSgd(): Algorithm {
  return createServerAlgorithm({
    name: 'ef-sgd',
    validate: () => { /* any compressor */ },
    compressorSpec: (setup) => configCompressor(setup).spec,
  });
}
