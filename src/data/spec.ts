/**
 * Dataset spec strings (config `data.train` / `data.test`):
 *   mnist | mnist:test | fashion-mnist | fashion-mnist:test
 *   csv:PATH
 *   npy:X.npy,y.npy
 *   cifar10:DIR | cifar10:DIR:test
 *   synthetic:N,D,C[,blobs|linear[,NOISE]]
 * A `:train` / `:test` suffix (packages, cifar10) overrides the split the caller asks for.
 */
import { SpecError } from '../errors.js';

export type Split = 'train' | 'test';
export type SyntheticKind = 'blobs' | 'linear';

export type DataSpec =
  | { readonly kind: 'mnist'; readonly split?: Split }
  | { readonly kind: 'fashion-mnist'; readonly split?: Split }
  | { readonly kind: 'csv'; readonly path: string }
  | { readonly kind: 'npy'; readonly xPath: string; readonly yPath: string }
  | { readonly kind: 'cifar10'; readonly dir: string; readonly split?: Split }
  | {
      readonly kind: 'synthetic';
      readonly count: number;
      readonly dims: number;
      readonly classes: number;
      readonly generator: SyntheticKind;
      readonly noise: number;
    };

/** Default noise of the synthetic generators (per-feature std for blobs, logit noise for linear). */
export const SYNTHETIC_NOISE: Record<SyntheticKind, number> = { blobs: 1, linear: 0.1 };

function splitSuffix(rest: string): { body: string; split?: Split } {
  const m = /^(.*):(train|test)$/.exec(rest);
  return m ? { body: m[1]!, split: m[2] as Split } : { body: rest };
}

function positiveInt(spec: string, what: string, s: string | undefined, max = Number.MAX_SAFE_INTEGER): number {
  if (s === undefined || !/^\s*\d+\s*$/.test(s)) throw new SpecError(spec, `${what} must be a positive integer, got '${s ?? ''}'`);
  const v = Number(s);
  if (v < 1 || v > max) throw new SpecError(spec, `${what} must be in 1..${max}, got ${v}`);
  return v;
}

/** Parses and validates a dataset spec (no file access). Throws SpecError naming the spec. */
export function parseDataSpec(spec: string): DataSpec {
  if (typeof spec !== 'string' || spec.trim() === '') throw new SpecError(String(spec), 'empty dataset spec');
  const s = spec.trim();
  const colon = s.indexOf(':');
  const head = colon < 0 ? s : s.slice(0, colon);
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  switch (head) {
    case 'mnist':
    case 'fashion-mnist': {
      if (rest === '') return { kind: head };
      if (rest === 'train' || rest === 'test') return { kind: head, split: rest };
      throw new SpecError(spec, `expected '${head}', '${head}:train' or '${head}:test'`);
    }
    case 'csv':
      if (rest === '') throw new SpecError(spec, "expected 'csv:PATH'");
      return { kind: 'csv', path: rest };
    case 'npy': {
      const parts = rest.split(',');
      if (parts.length !== 2 || parts[0] === '' || parts[1] === '') throw new SpecError(spec, "expected 'npy:X.npy,y.npy'");
      return { kind: 'npy', xPath: parts[0]!, yPath: parts[1]! };
    }
    case 'cifar10': {
      const { body, split } = splitSuffix(rest);
      if (body === '') throw new SpecError(spec, "expected 'cifar10:DIR' or 'cifar10:DIR:test'");
      return split ? { kind: 'cifar10', dir: body, split } : { kind: 'cifar10', dir: body };
    }
    case 'synthetic': {
      const parts = rest.split(',').map((p) => p.trim());
      if (parts.length < 3 || parts.length > 5) throw new SpecError(spec, "expected 'synthetic:N,D,C[,blobs|linear[,NOISE]]'");
      const count = positiveInt(spec, 'N (samples)', parts[0]);
      const dims = positiveInt(spec, 'D (features)', parts[1]);
      const classes = positiveInt(spec, 'C (classes)', parts[2], 256);
      if (classes < 2) throw new SpecError(spec, 'C (classes) must be at least 2');
      const generator = (parts[3] ?? 'blobs') as SyntheticKind;
      if (generator !== 'blobs' && generator !== 'linear') throw new SpecError(spec, `generator must be 'blobs' or 'linear', got '${parts[3]}'`);
      let noise = SYNTHETIC_NOISE[generator];
      if (parts[4] !== undefined) {
        noise = Number(parts[4]);
        if (parts[4] === '' || !Number.isFinite(noise) || noise < 0) throw new SpecError(spec, `NOISE must be a finite number >= 0, got '${parts[4]}'`);
      }
      return { kind: 'synthetic', count, dims, classes, generator, noise };
    }
    default:
      throw new SpecError(spec, 'unknown dataset; expected mnist, fashion-mnist, csv:PATH, npy:X.npy,y.npy, cifar10:DIR or synthetic:N,D,C');
  }
}
