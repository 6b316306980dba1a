/**
 * Spec-string checks used by the config schema. Each check returns null when the spec is
 * acceptable, or a one-line reason (the owning parser's SpecError message). Compressor, topology,
 * dataset, partition and volume specs go through their modules' parsers; on top of that, files
 * named by specs must exist and topologies must fit the device count. Model specs use a mirror of
 * the model registry's grammar (see checkModelSpec).
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseCompressorSpec } from '../compress/spec.js';
import { SparsepushError } from '../errors.js';
import { parseDataSpec, type DataSpec } from '../data/spec.js';
import { parsePartitionSpec } from '../data/partition/index.js';
import { parseVolumeSpec } from '../data/partition/volume.js';
import { createTopology, parseTopologySpec } from '../graph/registry.js';

export const ALGORITHM_NAMES = [
  'sgp', 'sparse-push', 'sc-sparse-push', 'dpsgd', 'choco', 'ef-sgd', 'dagc-r', 'dagc-a',
] as const;
export type AlgorithmName = (typeof ALGORITHM_NAMES)[number];
export const SERVER_ALGORITHMS: readonly string[] = ['ef-sgd', 'dagc-r', 'dagc-a'];

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
// Mirrors parseModelSpec (src/models/registry.ts), which cannot be imported here: that module
// loads TensorFlow.js (~0.5 s), and config validation runs before every command. A test checks
// that this grammar and parseModelSpec agree.
const MAX_MODEL_WIDTH = 1 << 16;
function width(text: string): boolean {
  return /^[1-9]\d*$/.test(text) && Number(text) <= MAX_MODEL_WIDTH;
}

export function checkModelSpec(spec: string): string | null {
  const [name, arg] = splitHead(spec.trim());
  switch (name) {
    case 'logistic': case 'lenet': case 'resnet20':
      return arg === undefined ? null : bad(spec, `${name} takes no arguments`);
    case 'mlp':
      if (arg === undefined) return null;
      return arg !== '' && arg.split(',').every((w) => width(w.trim()))
        ? null : bad(spec, `mlp hidden widths are positive integers up to ${MAX_MODEL_WIDTH} separated by commas, e.g. mlp:128,64`);
    case 'vgg11':
      return arg === undefined || width(arg.trim()) ? null : bad(spec, `vgg11 width must be a positive integer up to ${MAX_MODEL_WIDTH}, e.g. vgg11:32`);
    default:
      return bad(spec, `unknown model '${name}' (expected logistic, mlp:h1,h2,..., lenet, resnet20 or vgg11[:width])`);
  }
}

// ---------------------------------------------------------------- data (src/data owns the grammar)
/** Grammar by parseDataSpec; the files it names must exist (relative to the working directory). */
export function checkDataSpec(spec: string): string | null {
  let parsed: DataSpec;
  try {
    parsed = parseDataSpec(spec);
  } catch (err) {
    if (err instanceof SparsepushError) return err.message;
    throw err;
  }
  switch (parsed.kind) {
    case 'csv': return fileProblem(spec, parsed.path, 'file');
    case 'npy': return fileProblem(spec, parsed.xPath, 'file') ?? fileProblem(spec, parsed.yPath, 'file');
    case 'cifar10': return fileProblem(spec, parsed.dir, 'directory');
    default:
      return null;
  }
}

/** The split a packaged / cifar10 spec pins (`mnist:test`), if any. */
export function dataSplit(spec: string): 'train' | 'test' | undefined {
  try {
    const parsed = parseDataSpec(spec);
    return 'split' in parsed ? parsed.split : undefined;
  } catch {
    return undefined;
  }
}

export function checkPartitionSpec(spec: string): string | null {
  return viaOwner(() => parsePartitionSpec(spec));
}

export function checkVolumeSpec(spec: string): string | null {
  return viaOwner(() => parseVolumeSpec(spec));
}
