/**
 * Compressor spec strings -> validated structured form (used by createCompressor and by config
 * validation). Grammar: `SPARSIFIER`, `QUANTIZER`, `SPARSIFIER+QUANTIZER` or `none`, with
 *   SPARSIFIER = topk:f | randk:f | randk:f:scaled | threshold:λ
 *   QUANTIZER  = int8[:bucket] | int4[:bucket] | qsgd:s[:bucket] | sign
 * f in (0, 1], λ >= 0 finite, s integer in 1..127, bucket integer in 1..2^24 (default 512).
 */
import { SpecError } from '../errors.js';
import type { CompressorSpec, QuantizerSpec, SparsifierSpec } from './types.js';

export const DEFAULT_BUCKET = 512;
export const MAX_BUCKET = 1 << 24;
export const MAX_QSGD_LEVELS = 127;

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^\d+$/;

function decimal(spec: string, what: string, text: string | undefined): number {
  if (text === undefined || text === '') throw new SpecError(spec, `${what} is missing`);
  if (!DECIMAL.test(text)) throw new SpecError(spec, `${what} '${text}' is not a number`);
  const v = Number(text);
  if (!Number.isFinite(v)) throw new SpecError(spec, `${what} '${text}' is not finite`);
  return v;
}

function integer(spec: string, what: string, text: string, lo: number, hi: number): number {
  if (!INTEGER.test(text)) throw new SpecError(spec, `${what} '${text}' is not an integer`);
  const v = Number(text);
  if (v < lo || v > hi) throw new SpecError(spec, `${what} ${v} is outside ${lo}..${hi}`);
  return v;
}

function ratio(spec: string, name: string, text: string | undefined): number {
  const f = decimal(spec, `${name} ratio`, text);
  if (!(f > 0 && f <= 1)) throw new SpecError(spec, `${name} ratio ${text} must be in (0, 1]`);
  return f;
}

function arity(spec: string, name: string, args: string[], max: number): void {
  if (args.length > max) throw new SpecError(spec, `'${name}' takes at most ${max} parameter(s), got ${args.length}`);
}

function bucketArg(spec: string, name: string, text: string | undefined): number {
  return text === undefined ? DEFAULT_BUCKET : integer(spec, `${name} bucket`, text, 1, MAX_BUCKET);
}

function parseSparsifier(spec: string, name: string, args: string[]): SparsifierSpec | undefined {
  switch (name) {
    case 'topk':
      arity(spec, name, args, 1);
      return { kind: 'topk', ratio: ratio(spec, name, args[0]) };
    case 'randk': {
      arity(spec, name, args, 2);
      const f = ratio(spec, name, args[0]);
      if (args[1] !== undefined && args[1] !== 'scaled') {
        throw new SpecError(spec, `randk option '${args[1]}' is unknown (only 'scaled')`);
      }
      return { kind: 'randk', ratio: f, scaled: args[1] === 'scaled' };
    }
    case 'threshold': {
      arity(spec, name, args, 1);
      const lambda = decimal(spec, 'threshold λ', args[0]);
      if (!(lambda >= 0)) throw new SpecError(spec, `threshold λ ${args[0]} must be >= 0`);
      return { kind: 'threshold', lambda };
    }
    default:
      return undefined;
  }
}

function parseQuantizer(spec: string, name: string, args: string[]): QuantizerSpec | undefined {
  switch (name) {
    case 'int8':
    case 'int4':
      arity(spec, name, args, 1);
      return { kind: name, bucket: bucketArg(spec, name, args[0]) };
    case 'qsgd': {
      arity(spec, name, args, 2);
      if (args[0] === undefined || args[0] === '') throw new SpecError(spec, 'qsgd levels s is missing');
      const levels = integer(spec, 'qsgd levels s', args[0], 1, MAX_QSGD_LEVELS);
      return { kind: 'qsgd', levels, bucket: bucketArg(spec, name, args[1]) };
    }
    case 'sign':
      arity(spec, name, args, 0);
      return { kind: 'sign' };
    default:
      return undefined;
  }
}

const SPARSIFIERS = 'topk:f, randk:f[:scaled], threshold:λ';
const QUANTIZERS = 'int8[:bucket], int4[:bucket], qsgd:s[:bucket], sign';

/** Parses and validates a spec string; throws SpecError naming the spec. */
export function parseCompressorSpec(spec: string): CompressorSpec {
  if (typeof spec !== 'string') throw new SpecError(String(spec), 'a compressor spec must be a string');
  const text = spec.trim();
  if (text === '') throw new SpecError(spec, 'empty compressor spec');
  const parts = text.split('+');
  if (parts.length > 2) throw new SpecError(spec, 'at most one sparsifier and one quantizer can be composed (A+B)');
  const split = parts.map((p) => {
    const [name = '', ...args] = p.split(':');
    if (name === '') throw new SpecError(spec, `empty component in '${text}'`);
    return { name, args };
  });

  let sparsifier: SparsifierSpec;
  let quantizer: QuantizerSpec;
  if (split.length === 1) {
    const { name, args } = split[0]!;
    if (name === 'none') {
      arity(spec, name, args, 0);
      sparsifier = { kind: 'dense' };
      quantizer = { kind: 'f32' };
    } else {
      const s = parseSparsifier(spec, name, args);
      const q = s ? undefined : parseQuantizer(spec, name, args);
      if (!s && !q) throw new SpecError(spec, `unknown compressor '${name}' (known: none, ${SPARSIFIERS}, ${QUANTIZERS}, and SPARSIFIER+QUANTIZER)`);
      sparsifier = s ?? { kind: 'dense' };
      quantizer = q ?? { kind: 'f32' };
    }
  } else {
    const [a, b] = split as [{ name: string; args: string[] }, { name: string; args: string[] }];
    const s = parseSparsifier(spec, a.name, a.args);
    if (!s) throw new SpecError(spec, `'${a.name}' is not a sparsifier (the part before '+' must be one of ${SPARSIFIERS})`);
    const q = parseQuantizer(spec, b.name, b.args);
    if (!q) throw new SpecError(spec, `'${b.name}' is not a quantizer (the part after '+' must be one of ${QUANTIZERS})`);
    sparsifier = s;
    quantizer = q;
  }
  return { spec: formatSpec(sparsifier, quantizer), sparsifier, quantizer };
}

function formatSparsifier(s: SparsifierSpec): string {
  switch (s.kind) {
    case 'dense': return '';
    case 'topk': return `topk:${s.ratio}`;
    case 'randk': return `randk:${s.ratio}${s.scaled ? ':scaled' : ''}`;
    case 'threshold': return `threshold:${s.lambda}`;
    default: throw new SpecError(describeKind(s), `unknown sparsifier kind (known: dense, topk, randk, threshold)`);
  }
}

function formatQuantizer(q: QuantizerSpec): string {
  const bucket = (b: number): string => (b === DEFAULT_BUCKET ? '' : `:${b}`);
  switch (q.kind) {
    case 'f32': return '';
    case 'int8': case 'int4': return `${q.kind}${bucket(q.bucket)}`;
    case 'qsgd': return `qsgd:${q.levels}${bucket(q.bucket)}`;
    case 'sign': return 'sign';
    default: throw new SpecError(describeKind(q), `unknown quantizer kind (known: f32, int8, int4, qsgd, sign)`);
  }
}

/** A structured spec part built outside the type system (JavaScript callers, JSON) as text for an error. */
function describeKind(part: never): string {
  return JSON.stringify(part) ?? String(part);
}

/** Canonical spec string of a structured spec (numbers in shortest form, default bucket omitted). */
export function formatSpec(s: SparsifierSpec, q: QuantizerSpec): string {
  const a = formatSparsifier(s);
  const b = formatQuantizer(q);
  if (a && b) return `${a}+${b}`;
  return a || b || 'none';
}

/** The canonical form of a spec string (`topk:1e-2` -> `topk:0.01`, `int8:512` -> `int8`). */
export function canonicalSpec(spec: string): string {
  return parseCompressorSpec(spec).spec;
}
