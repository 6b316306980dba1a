/**
 * Spec strings -> topologies. `parseTopologySpec` validates a spec on its own (config time);
 * `createTopology` builds it for n devices (which may still fail: e.g. a torus needs n = R x C).
 */
import { ConfigError, SpecError } from '../errors.js';
import type { Topology } from './types.js';
import { formatBytes } from '../output/format.js';
import { hostMemory } from '../host-memory.js';
import { graphFootprint } from './footprint.js';
import { createComplete } from './complete.js';
import { createDirectedRing } from './directed-ring.js';
import { createEdgesTopology, defaultReadText, type ReadText } from './edges.js';
import { createErdosRenyi } from './erdos-renyi.js';
import { createExponential } from './exponential.js';
import { createRandomRegular } from './random-regular.js';
import { createRing } from './ring.js';
import { createStar } from './star.js';
import { createTorus } from './torus.js';

export type TopologySpec =
  | { readonly kind: 'ring' }
  | { readonly kind: 'directed-ring' }
  | { readonly kind: 'complete' }
  | { readonly kind: 'star' }
  | { readonly kind: 'torus'; readonly rows?: number; readonly cols?: number }
  | { readonly kind: 'random-regular'; readonly k: number }
  | { readonly kind: 'erdos-renyi'; readonly p: number; readonly fixed: boolean }
  | { readonly kind: 'edges'; readonly file: string }
  | { readonly kind: 'exponential'; readonly p: number };

export type TopologyKind = TopologySpec['kind'];

/** Accepted forms, for help texts and error messages. */
export const TOPOLOGY_FORMS: readonly string[] = [
  'ring', 'directed-ring', 'torus', 'torus:RxC', 'complete', 'star', 'random-regular:k',
  'erdos-renyi:p', 'erdos-renyi:p:resample', 'erdos-renyi:p:fixed', 'edges:FILE', 'exponential:p',
];

export interface TopologyOptions {
  /** JavaScript heap one round graph may take (default: this process's heap limit, src/host-memory.ts). */
  readonly heapBytes?: number;
  /** Seed of random topologies (random-regular, erdos-renyi); default 1 (the config default). */
  readonly seed?: number;
  /** Directory that relative `edges:FILE` paths are resolved against (default: the working directory). */
  readonly baseDir?: string;
  /** Reads an `edges:FILE` file (default: node:fs); lets browsers supply the text. */
  readonly readText?: ReadText;
}

const POSITIVE_INT = /^[1-9]\d*$/;
const DECIMAL = /^(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

function positiveInt(spec: string, what: string, text: string | undefined): number {
  if (text === undefined || !POSITIVE_INT.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new SpecError(spec, `${what} must be a positive integer, got '${text ?? ''}'`);
  }
  return Number(text);
}

function noParams(spec: string, name: string, params: string[]): void {
  if (params.length > 0) throw new SpecError(spec, `'${name}' takes no parameters`);
}

/** Parses and validates a topology spec string (no files read, no n needed). Throws SpecError. */
export function parseTopologySpec(spec: string): TopologySpec {
  if (typeof spec !== 'string' || spec === '') throw new SpecError(String(spec), `empty topology; expected one of ${TOPOLOGY_FORMS.join(', ')}`);
  const colon = spec.indexOf(':');
  const name = colon < 0 ? spec : spec.slice(0, colon);
  const rest = colon < 0 ? undefined : spec.slice(colon + 1);
  const params = rest === undefined ? [] : rest.split(':');
  switch (name) {
    case 'ring': case 'directed-ring': case 'complete': case 'star':
      noParams(spec, name, params);
      return { kind: name };
    case 'torus': {
      if (params.length === 0) return { kind: 'torus' };
      const m = params.length === 1 ? /^(\d+)[xX](\d+)$/.exec(params[0]!) : null;
      if (!m) throw new SpecError(spec, `expected 'torus' or 'torus:RxC' (e.g. torus:4x8)`);
      const rows = Number(m[1]);
      const cols = Number(m[2]);
      if (rows < 3 || cols < 3) throw new SpecError(spec, `torus sides must be >= 3 (smaller sides repeat neighbours), got ${rows}x${cols}`);
      return { kind: 'torus', rows, cols };
    }
    case 'random-regular': {
      if (params.length !== 1) throw new SpecError(spec, `expected 'random-regular:k' (degree k, e.g. random-regular:4)`);
      return { kind: 'random-regular', k: positiveInt(spec, 'degree k', params[0]) };
    }
    case 'erdos-renyi': {
      if (params.length < 1 || params.length > 2 || (params.length === 2 && params[1] !== 'fixed' && params[1] !== 'resample')) {
        throw new SpecError(spec, `expected 'erdos-renyi:p' or 'erdos-renyi:p:resample' (resampled every round) or 'erdos-renyi:p:fixed' (sampled once)`);
      }
      const p = Number(params[0]);
      if (!DECIMAL.test(params[0]!) || !(p > 0 && p <= 1)) throw new SpecError(spec, `edge probability p must be a number in (0, 1], got '${params[0]}'`);
      return { kind: 'erdos-renyi', p, fixed: params[1] === 'fixed' };
    }
    case 'edges': {
      if (rest === undefined || rest === '') throw new SpecError(spec, `expected 'edges:FILE' (a text file of 'from to' lines)`);
      return { kind: 'edges', file: rest };
    }
    case 'exponential': {
      if (params.length !== 1) throw new SpecError(spec, `expected 'exponential:p' (peers per round, e.g. exponential:1)`);
      return { kind: 'exponential', p: positiveInt(spec, 'peers per round p', params[0]) };
    }
    default:
      throw new SpecError(spec, `unknown topology '${name}'; expected one of ${TOPOLOGY_FORMS.join(', ')}`);
  }
}

/** Builds the topology of `spec` for n devices. Errors: SpecError (spec), ConfigError (devices, seed), GraphError. */
export function createTopology(spec: string, n: number, opts: TopologyOptions = {}): Topology {
  const parsed = parseTopologySpec(spec);
  const seed = opts.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new ConfigError('seed', `must be an integer in 0..4294967295, got ${String(seed)}`);
  checkGraphFits(spec, parsed, n, opts.heapBytes ?? hostMemory().heapBytes);
  switch (parsed.kind) {
    case 'ring': return createRing(n, spec);
    case 'directed-ring': return createDirectedRing(n, spec);
    case 'complete': return createComplete(n, spec);
    case 'star': return createStar(n, spec);
    case 'torus': return createTorus(n, parsed.rows !== undefined && parsed.cols !== undefined ? { rows: parsed.rows, cols: parsed.cols } : undefined, spec);
    case 'random-regular': return createRandomRegular(n, parsed.k, seed, spec);
    case 'erdos-renyi': return createErdosRenyi(n, parsed.p, parsed.fixed, seed, spec);
    case 'edges': return createEdgesTopology(n, parsed.file, opts.readText ?? defaultReadText(opts.baseDir), spec);
    case 'exponential': return createExponential(n, parsed.p, spec);
  }
}

/**
 * Refuses n when one round graph of the topology would not fit the JavaScript heap (building it
 * would end the process in an out-of-memory abort), naming the estimate, the limit and the
 * largest n that fits. Throws ConfigError naming devices.
 */
function checkGraphFits(spec: string, parsed: TopologySpec, n: number, heapBytes: number): void {
  if (!Number.isSafeInteger(n) || n < 2) return; // the topology's own check names the bad n
  const need = graphFootprint(parsed, n);
  if (need.bytesPerRound <= heapBytes) return;
  let lo = 2;
  let hi = n;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (graphFootprint(parsed, mid).bytesPerRound <= heapBytes) lo = mid; else hi = mid;
  }
  const fits = graphFootprint(parsed, lo).bytesPerRound <= heapBytes;
  throw new ConfigError('devices', `topology '${spec}' on ${n} devices: one round graph needs at least ${formatBytes(need.bytesPerRound)} of JavaScript heap (${need.edgesPerRound.toExponential(3)} edges), above the ${formatBytes(heapBytes)} heap limit (node --max-old-space-size); ${fits ? `at most ${lo} devices fit` : 'no device count fits'}`);
}
