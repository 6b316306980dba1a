/**
 * Volume imbalance specs (config `data.volume`), combinable with every label partitioner:
 * - `equal`: floor(N/n) samples each, the first N mod n devices one more (all N used).
 * - `natural`: no sizes imposed; the partitioner decides (equal, except dirichlet's classic split).
 * - `volume:SR` (SR >= 1): arithmetic series p_1 >= ... >= p_n, largest first, p_1 / p_n = SR,
 *   sum N: p_n = 2N / (n (SR + 1)), p_1 = SR p_n; rounded by largest remainder.
 * - `zipf:a` (a >= 0): sizes proportional to 1 / rank^a, largest first; rounded likewise.
 * Every device must get at least one sample (DataError naming the device and the sizes).
 */
import { DataError, SpecError } from '../../errors.js';
import { apportion, describeSizes, equalSizes } from './common.js';

export type VolumeSpec =
  | { readonly kind: 'equal' }
  | { readonly kind: 'natural' }
  | { readonly kind: 'volume'; readonly ratio: number }
  | { readonly kind: 'zipf'; readonly exponent: number };

function numberArg(spec: string, s: string, what: string): number {
  const v = Number(s);
  if (s.trim() === '' || !Number.isFinite(v)) throw new SpecError(spec, `${what} must be a number, got '${s}'`);
  return v;
}

export function parseVolumeSpec(spec: string): VolumeSpec {
  const s = String(spec).trim();
  if (s === 'equal' || s === 'natural') return { kind: s };
  const [head, arg, ...more] = s.split(':');
  if (more.length === 0 && arg !== undefined) {
    if (head === 'volume') {
      const ratio = numberArg(spec, arg, 'SR');
      if (ratio < 1) throw new SpecError(spec, `SR = p_1/p_n must be >= 1, got ${ratio}`);
      return { kind: 'volume', ratio };
    }
    if (head === 'zipf') {
      const exponent = numberArg(spec, arg, 'exponent');
      if (exponent < 0) throw new SpecError(spec, `exponent must be >= 0, got ${exponent}`);
      return { kind: 'zipf', exponent };
    }
  }
  throw new SpecError(spec, "unknown volume spec; expected 'equal', 'natural', 'volume:SR' or 'zipf:a'");
}

/** Device sizes for a volume spec over `total` samples, or undefined for `natural`. */
export function volumeSizes(spec: string | VolumeSpec, total: number, devices: number): number[] | undefined {
  const v = typeof spec === 'string' ? parseVolumeSpec(spec) : spec;
  const name = typeof spec === 'string' ? spec : v.kind === 'volume' ? `volume:${v.ratio}` : v.kind === 'zipf' ? `zipf:${v.exponent}` : v.kind;
  let sizes: number[];
  switch (v.kind) {
    case 'natural':
      return undefined;
    case 'equal':
      sizes = equalSizes(total, devices);
      break;
    case 'volume': {
      // p_i = p_1 - (i - 1) (p_1 - p_n) / (n - 1)
      const pn = (2 * total) / (devices * (v.ratio + 1));
      const p1 = v.ratio * pn;
      const w = Array.from({ length: devices }, (_, i) => (devices === 1 ? total : p1 - (i * (p1 - pn)) / (devices - 1)));
      sizes = apportion(total, w);
      break;
    }
    case 'zipf':
      sizes = apportion(total, Array.from({ length: devices }, (_, i) => 1 / Math.pow(i + 1, v.exponent)));
      break;
  }
  sizes.forEach((s, i) => {
    if (s < 1) throw new DataError(`volume '${name}' over ${total} samples leaves device ${i} with ${s} samples (sizes ${describeSizes(sizes)})`);
  });
  return sizes;
}
