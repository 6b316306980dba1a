/**
 * DAGC-R (Lu et al., arXiv 2311.07324): EF-SGD whose workers keep different top-k fractions,
 * delta_i = dagcRatios(p, δ̄) (dagc-plan.ts: mean delta_i = δ̄, larger shards keep more), from
 * config.compressor `topk:δ̄` (a quantizer after `+` is kept: topk:δ̄+int8 -> topk:δ_i+int8).
 * The volumes are the data shares p_i = setup.dataFractions (in device order), known to the
 * server before training. The round itself is server-common.ts.
 * Reference: docs/algorithms.md#server-algorithms-ef-sgd-dagc-r-dagc-a
 */
import { formatSpec } from '../compress/spec.js';
import { ConfigError, InputError } from '../errors.js';
import { dagcRatios } from './dagc-plan.js';
import { configCompressor, createServerAlgorithm } from './server-common.js';
import type { Algorithm, AlgorithmSetup } from './types.js';

/** Per-device compressor specs of DAGC-R for `compressor` (must be topk:δ̄[+QUANTIZER]) and shares p. */
export function dagcRSpecs(setup: AlgorithmSetup): string[] {
  const parsed = configCompressor(setup);
  const s = parsed.sparsifier;
  if (s.kind !== 'topk') {
    throw new ConfigError('compressor', `dagc-r derives per-device top-k ratios from a topk:δ̄ compressor (optionally topk:δ̄+QUANTIZER), got '${setup.config.compressor}'`);
  }
  let ratios: number[];
  try {
    ratios = dagcRatios(Array.from(setup.dataFractions), s.ratio);
  } catch (err) {
    if (err instanceof InputError) throw new ConfigError('compressor', `dagc-r with '${setup.config.compressor}': ${err.message}`);
    throw err;
  }
  return ratios.map((ratio) => formatSpec({ kind: 'topk', ratio }, parsed.quantizer));
}

export function createDagcR(): Algorithm {
  // Specs per setup (the engine asks once per device; the plan is O(n log n)).
  const cache = new WeakMap<AlgorithmSetup, string[]>();
  const specs = (setup: AlgorithmSetup): string[] => {
    let s = cache.get(setup);
    if (!s) { s = dagcRSpecs(setup); cache.set(setup, s); }
    return s;
  };
  return createServerAlgorithm({
    name: 'dagc-r',
    validate: (setup) => { specs(setup); },
    compressorSpec: (setup, device) => specs(setup)[device]!,
  });
}
