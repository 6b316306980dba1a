/**
 * Model spec grammar, kept free of TensorFlow.js imports so config validation can use it without
 * loading tfjs (~0.5 s). The registry (registry.ts) builds learners from these specs.
 */
import { SpecError } from '../errors.js';

export type ModelSpec =
  | { readonly kind: 'logistic'; readonly spec: string }
  | { readonly kind: 'mlp'; readonly spec: string; readonly hidden: readonly number[] }
  | { readonly kind: 'lenet'; readonly spec: string }
  | { readonly kind: 'resnet20'; readonly spec: string }
  | { readonly kind: 'vgg11'; readonly spec: string; readonly width: number };

export type ModelKind = ModelSpec['kind'];
export const MODEL_KINDS: readonly ModelKind[] = ['logistic', 'mlp', 'lenet', 'resnet20', 'vgg11'];
export const DEFAULT_MLP_HIDDEN: readonly number[] = [128, 64];
export const DEFAULT_VGG_WIDTH = 64;

const POSITIVE_INT = /^[1-9]\d*$/;
const MAX_WIDTH = 1 << 16;

function positiveInt(spec: string, text: string, what: string): number {
  const v = Number(text);
  if (!POSITIVE_INT.test(text) || v > MAX_WIDTH) throw new SpecError(spec, `${what} must be a positive integer up to ${MAX_WIDTH}, got '${text}'`);
  return v;
}

/** Parse and validate a model spec string (throws SpecError naming the spec). */
export function parseModelSpec(spec: string): ModelSpec {
  if (typeof spec !== 'string' || spec.trim() === '') throw new SpecError(String(spec), 'empty model spec');
  const s = spec.trim();
  const colon = s.indexOf(':');
  const name = colon < 0 ? s : s.slice(0, colon);
  const arg = colon < 0 ? undefined : s.slice(colon + 1);
  const noArgs = (): void => {
    if (arg !== undefined) throw new SpecError(spec, `${name} takes no arguments`);
  };
  switch (name) {
    case 'logistic': noArgs(); return { kind: 'logistic', spec: 'logistic' };
    case 'lenet': noArgs(); return { kind: 'lenet', spec: 'lenet' };
    case 'resnet20': noArgs(); return { kind: 'resnet20', spec: 'resnet20' };
    case 'mlp': {
      if (arg === undefined) return { kind: 'mlp', spec: `mlp:${DEFAULT_MLP_HIDDEN.join(',')}`, hidden: DEFAULT_MLP_HIDDEN };
      if (arg === '') throw new SpecError(spec, 'mlp needs hidden widths after the colon, e.g. mlp:128,64');
      const hidden = arg.split(',').map((t) => positiveInt(spec, t.trim(), 'mlp hidden width'));
      return { kind: 'mlp', spec: `mlp:${hidden.join(',')}`, hidden };
    }
    case 'vgg11': {
      if (arg === undefined) return { kind: 'vgg11', spec: 'vgg11', width: DEFAULT_VGG_WIDTH };
      const width = positiveInt(spec, arg.trim(), 'vgg11 width');
      return { kind: 'vgg11', spec: width === DEFAULT_VGG_WIDTH ? 'vgg11' : `vgg11:${width}`, width };
    }
    default:
      throw new SpecError(spec, `unknown model '${name}' (expected logistic, mlp:h1,h2,..., lenet, resnet20 or vgg11[:width])`);
  }
}
