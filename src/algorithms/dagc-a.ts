/**
 * DAGC-A (Lu et al., arXiv 2311.07324): EF-SGD whose workers use hard thresholds
 * lambda_i = dagcThresholds(p, λ̄) (dagc-plan.ts: lambda_i = λ̄ P / n p_i^(-2/3), so
 * sum 1/lambda_i = n / λ̄; larger shards get lower thresholds and keep more), from config.compressor
 * `threshold:λ̄` (a quantizer after `+` is kept). O(d) per compression, no selection. The volumes
 * are the data shares p_i = setup.dataFractions (in device order). The round is server-common.ts.
 * Reference: docs/algorithms.md#server-algorithms-ef-sgd-dagc-r-dagc-a
 */
import { formatSpec } from '../compress/spec.js';
import { ConfigError, InputError } from '../errors.js';
import { dagcThresholds } from './dagc-plan.js';
import { configCompressor, createServerAlgorithm } from './server-common.js';
import type { Algorithm, AlgorithmSetup } from './types.js';

/** Per-device compressor specs of DAGC-A for `compressor` (must be threshold:λ̄[+QUANTIZER], λ̄ > 0) and shares p. */
export function dagcASpecs(setup: AlgorithmSetup): string[] {
  const parsed = configCompressor(setup);
  const s = parsed.sparsifier;
  if (s.kind !== 'threshold') {
    throw new ConfigError('compressor', `dagc-a derives per-device thresholds from a threshold:λ̄ compressor (optionally threshold:λ̄+QUANTIZER), got '${setup.config.compressor}'`);
  }
  let lambdas: number[];
  try {
    lambdas = dagcThresholds(Array.from(setup.dataFractions), s.lambda);
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError('compressor', `dagc-a with '${setup.config.compressor}': ${err.message}`);
    throw err;
  }
  return lambdas.map((lambda) => formatSpec({ kind: 'threshold', lambda }, parsed.quantizer));
}

export function createDagcA(): Algorithm {
  const cache = new WeakMap<AlgorithmSetup, string[]>();
  const specs = (setup: AlgorithmSetup): string[] => {
    let s = cache.get(setup);
    if (!s) { s = dagcASpecs(setup); cache.set(setup, s); }
    return s;
  };
  return createServerAlgorithm({
    name: 'dagc-a',
    validate: (setup) => { specs(setup); },
    compressorSpec: (setup, device) => specs(setup)[device]!,
  });
}
