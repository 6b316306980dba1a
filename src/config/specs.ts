/**
 * Spec-string checks used by the config schema. Each check returns null when the spec is
 * acceptable, or a one-line reason. The owning modules (src/compress, src/graph, src/data,
 * src/models) have the final say: where their parser has landed the check delegates to it
 * (see `ownerParsers` below); until then a grammar check here keeps bad specs out of runs.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';

export const ALGORITHM_NAMES = [
  'sgp', 'sparse-push', 'sc-sparse-push', 'dpsgd', 'choco', 'ef-sgd', 'dagc-r', 'dagc-a',
] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];
export const SERVER_ALGORITHMS: readonly string[] = ['ef-sgd', 'dagc-r', 'dagc-a'];

const NUMBER_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INT_RE = /^\d+$/;

function num(text: string | undefined): number | null {
  if (text === undefined || !NUMBER_RE.test(text)) return null;
  const v = Number(text);
  return Number.isFinite(v) ? v : null;
}
function int(text: string | undefined): number | null {
  if (text === undefined || !INT_RE.test(text)) return null;
  const v = Number(text);
  return Number.isSafeInteger(v) ? v : null;
}
function splitHead(spec: string): [string, string | undefined] {
  const at = spec.indexOf(':');
  return at < 0 ? [spec, undefined] : [spec.slice(0, at), spec.slice(at + 1)];
}
function bad(spec: string, why: string): string {
  return `bad spec '${spec}': ${why}`;
}
function fileProblem(spec: string, path: string, kind: 'file' | 'directory'): string | null {
  if (path === '') return bad(spec, `expected a ${kind} path after ':'`);
  const full = resolve(path);
  if (!existsSync(full)) return bad(spec, `${kind} not found: ${full}`);
  const isDir = statSync(full).isDirectory();
  if (kind === 'file' && isDir) return bad(spec, `expected a file, ${full} is a directory`);
  if (kind === 'directory' && !isDir) return bad(spec, `expected a directory, ${full} is a file`);
  return null;
}

// ---------------------------------------------------------------- compressor
const SPARSIFIERS = ['topk', 'randk', 'threshold'];
const QUANTIZERS = ['qsgd', 'int8', 'int4', 'sign'];
const COMPRESSOR_OPTIONS: Record<string, readonly string[]> = {
  topk: ['layerwise'],
  randk: ['layerwise', 'rescale'],
  threshold: ['layerwise'],
};

function checkCompressorPart(spec: string, part: string): string | null {
  const [name, ...args] = part.split(':');
  switch (name) {
    case 'topk':
    case 'randk': {
      const f = num(args[0]);
      if (f === null || !(f > 0 && f <= 1)) return bad(spec, `${name} needs a ratio in (0, 1], e.g. ${name}:0.01`);
      break;
    }
    case 'threshold': {
      const l = num(args[0]);
      if (l === null || !(l > 0)) return bad(spec, 'threshold needs a positive magnitude, e.g. threshold:0.05');
      break;
    }
    case 'qsgd': {
      const s = int(args[0]);
      if (s === null || s < 1 || s > 255) return bad(spec, 'qsgd needs an integer number of levels in [1, 255], e.g. qsgd:16');
      if (args.length > 1) return bad(spec, `unexpected '${args.slice(1).join(':')}' after qsgd:${args[0]}`);
      return null;
    }
    case 'int8': case 'int4': case 'sign': case 'none':
      if (args.length > 0) return bad(spec, `${name} takes no arguments`);
      return null;
    default:
      return bad(spec, `unknown compressor '${name}' (expected topk:f, randk:f, threshold:λ, qsgd:s, int8, int4, sign or none, joined with '+')`);
  }
  for (const opt of args.slice(1)) {
    if (!COMPRESSOR_OPTIONS[name]!.includes(opt)) {
      return bad(spec, `unknown ${name} option '${opt}' (expected ${COMPRESSOR_OPTIONS[name]!.join(' or ')})`);
    }
  }
  return null;
}

export function checkCompressorSpec(spec: string): string | null {
  const parts = spec.split('+');
  for (const part of parts) {
    const p = checkCompressorPart(spec, part);
    if (p) return p;
  }
  const names = parts.map((p) => p.split(':')[0]!);
  if (names.includes('none') && names.length > 1) return bad(spec, "'none' cannot be combined");
  if (names.length > 2) return bad(spec, 'at most one sparsifier followed by one quantizer');
  if (names.length === 2 && !(SPARSIFIERS.includes(names[0]!) && QUANTIZERS.includes(names[1]!))) {
    return bad(spec, 'a composition is a sparsifier (topk, randk, threshold) followed by a quantizer (qsgd, int8, int4, sign)');
  }
  return null;
}

// ---------------------------------------------------------------- topology
export function checkTopologySpec(spec: string, devices?: number): string | null {
  const [name, arg] = splitHead(spec);
  const noArg = (): string | null => (arg === undefined ? null : bad(spec, `${name} takes no arguments`));
  switch (name) {
    case 'ring': case 'directed-ring': case 'complete': case 'star':
      return noArg();
    case 'torus': {
      if (arg === undefined) return null;
      const m = /^(\d+)x(\d+)$/.exec(arg);
      if (!m) return bad(spec, 'expected torus or torus:RxC, e.g. torus:4x4');
      const cells = Number(m[1]) * Number(m[2]);
      if (devices !== undefined && cells !== devices) return bad(spec, `a ${m[1]}x${m[2]} torus has ${cells} nodes, but devices is ${devices}`);
      return null;
    }
    case 'exponential': {
      const p = int(arg);
      if (p === null || p < 1) return bad(spec, 'exponential needs a positive integer number of peers per round, e.g. exponential:1');
      if (devices !== undefined && devices > 1 && p > devices - 1) return bad(spec, `${p} peers per round needs more than ${p} devices (devices is ${devices})`);
      return null;
    }
    case 'random-regular': {
      const k = int(arg);
      if (k === null || k < 1) return bad(spec, 'random-regular needs a positive integer degree, e.g. random-regular:4');
      if (devices !== undefined && k > devices - 1) return bad(spec, `degree ${k} needs more than ${k} devices (devices is ${devices})`);
      return null;
    }
    case 'erdos-renyi': {
      const [pText, mode, ...rest] = (arg ?? '').split(':');
      const p = num(pText);
      if (p === null || !(p > 0 && p <= 1)) return bad(spec, 'erdos-renyi needs an edge probability in (0, 1], e.g. erdos-renyi:0.2');
      if (mode !== undefined && mode !== 'fixed' && mode !== 'resample') return bad(spec, `unknown erdos-renyi mode '${mode}' (expected fixed or resample)`);
      if (rest.length > 0) return bad(spec, `unexpected '${rest.join(':')}'`);
      return null;
    }
    case 'edges':
      return fileProblem(spec, arg ?? '', 'file');
    default:
      return bad(spec, `unknown topology '${name}' (expected ring, directed-ring, torus, complete, star, exponential:p, random-regular:k, erdos-renyi:p or edges:FILE)`);
  }
}

// ---------------------------------------------------------------- model
export function checkModelSpec(spec: string): string | null {
  const [name, arg] = splitHead(spec);
  switch (name) {
    case 'logistic': case 'lenet': case 'resnet20': case 'vgg11':
      return arg === undefined ? null : bad(spec, `${name} takes no arguments`);
    case 'mlp': {
      if (arg === undefined) return null;
      const widths = arg.split(',');
      if (widths.some((w) => { const v = int(w); return v === null || v < 1; })) {
        return bad(spec, 'mlp hidden widths are positive integers separated by commas, e.g. mlp:128,64');
      }
      return null;
    }
    default:
      return bad(spec, `unknown model '${name}' (expected logistic, mlp:W1,W2,..., lenet, resnet20 or vgg11)`);
  }
}

// ---------------------------------------------------------------- data
const PACKAGED = ['mnist', 'fashion-mnist'];

export function checkDataSpec(spec: string, role: 'train' | 'test'): string | null {
  const [name, arg] = splitHead(spec);
  if (PACKAGED.includes(name)) {
    if (arg === undefined || arg === 'train' || arg === 'test') return null;
    return bad(spec, `expected ${name}, ${name}:train or ${name}:test`);
  }
  switch (name) {
    case 'csv':
      return fileProblem(spec, arg ?? '', 'file');
    case 'npy': {
      const files = (arg ?? '').split(',');
      if (files.length !== 2 || files.some((f) => f === '')) return bad(spec, 'expected npy:FEATURES.npy,LABELS.npy');
      for (const f of files) {
        const p = fileProblem(spec, f, 'file');
        if (p) return p;
      }
      return null;
    }
    case 'cifar10':
      return fileProblem(spec, arg ?? '', 'directory');
    case 'synthetic':
      return null; // parameters are checked by src/data when its parser lands
    default:
      return bad(spec, `unknown ${role} dataset '${name}' (expected mnist, fashion-mnist, csv:PATH, npy:X.npy,y.npy, cifar10:DIR or synthetic:...)`);
  }
}

export function checkPartitionSpec(spec: string): string | null {
  const [name, arg] = splitHead(spec);
  switch (name) {
    case 'iid':
      return arg === undefined ? null : bad(spec, 'iid takes no arguments');
    case 'dirichlet': {
      const a = num(arg);
      return a !== null && a > 0 ? null : bad(spec, 'dirichlet needs a positive concentration, e.g. dirichlet:0.5');
    }
    case 'skew': {
      const s = num(arg);
      return s !== null && s >= 0 && s <= 1 ? null : bad(spec, 'skew needs a sorted fraction in [0, 1], e.g. skew:0.8');
    }
    case 'shards': {
      const c = int(arg);
      return c !== null && c >= 1 ? null : bad(spec, 'shards needs a positive integer number of classes per device, e.g. shards:2');
    }
    default:
      return bad(spec, `unknown partition '${name}' (expected iid, dirichlet:α, skew:s or shards:c)`);
  }
}

export function checkVolumeSpec(spec: string): string | null {
  const [name, arg] = splitHead(spec);
  switch (name) {
    case 'equal':
      return arg === undefined ? null : bad(spec, 'equal takes no arguments');
    case 'volume': {
      const r = num(arg);
      return r !== null && r >= 1 ? null : bad(spec, 'volume needs a size ratio p_1/p_n ≥ 1, e.g. volume:100');
    }
    case 'zipf': {
      const a = num(arg);
      return a !== null && a > 0 ? null : bad(spec, 'zipf needs a positive exponent, e.g. zipf:1.2');
    }
    default:
      return bad(spec, `unknown volume '${name}' (expected equal, volume:SR or zipf:a)`);
  }
}

/** Ratio δ̄ of a `topk:δ` compressor (first part), or null. */
export function topkRatio(spec: string): number | null {
  const [head] = spec.split('+');
  const [name, arg] = (head ?? '').split(':');
  return name === 'topk' ? num(arg) : null;
}
/** Leading sparsifier name of a compressor spec. */
export function compressorHead(spec: string): string {
  return (spec.split('+')[0] ?? '').split(':')[0] ?? '';
}
