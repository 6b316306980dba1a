/**
 * Spec-string checks used by the config schema. Each check returns null when the spec is
 * acceptable, or a one-line reason. The owning modules have the final say: compressor and
 * topology specs go through their parsers (src/compress/spec.ts, src/graph/registry.ts); data,
 * partition, volume and model specs are checked by the grammar here until their parsers land.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCompressorSpec } from '../compress/spec.js';
import { SparsepushError } from '../errors.js';
import { createTopology, parseTopologySpec } from '../graph/registry.js';

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

// ---------------------------------------------------------------- compressor (src/compress owns the grammar)
/** Runs an owning module's parser; its SpecError message becomes the reason. */
function viaOwner(parse: () => unknown): string | null {
  try {
    parse();
    return null;
  } catch (err) {
    if (err instanceof SparsepushError) return err.message;
    throw err;
  }
}

export function checkCompressorSpec(spec: string): string | null {
  return viaOwner(() => parseCompressorSpec(spec));
}

/** Leading sparsifier kind of a (valid) compressor spec: dense, topk, randk or threshold. */
export function compressorHead(spec: string): string {
  return parseCompressorSpec(spec).sparsifier.kind;
}

// ---------------------------------------------------------------- topology (src/graph owns the grammar)
/** Spec grammar only; `checkTopologyFor` also builds it for the device count. */
export function checkTopologySpec(spec: string): string | null {
  return viaOwner(() => parseTopologySpec(spec));
}

/** Builds the topology for n devices (torus factorization, degree vs n, edges file, ...). */
export function checkTopologyFor(spec: string, devices: number, seed: number): string | null {
  return viaOwner(() => createTopology(spec, devices, { seed }));
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
