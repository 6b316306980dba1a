/**
 * Spec-string checks used by the config schema. Each check returns null when the spec is
 * acceptable, or a one-line reason (the owning parser's SpecError message). Compressor, topology,
 * dataset, partition and volume specs go through their modules' parsers; on top of that, files
 * named by specs must exist and topologies must fit the device count. Model specs go through
 * src/models/spec.ts, the registry's tfjs-free grammar.
 */
import { parseCompressorSpec } from '../compress/spec.js';
import { SparsepushError } from '../errors.js';
import { nodeBuiltin } from '../node-builtin.js';
import { parseDataSpec, type DataSpec } from '../data/spec.js';
import { parsePartitionSpec } from '../data/partition/index.js';
import { parseVolumeSpec } from '../data/partition/volume.js';
import { createTopology, parseTopologySpec } from '../graph/registry.js';
import { parseModelSpec } from '../models/spec.js';
import { parseLrSchedule } from '../algorithms/lr-schedule.js';

function bad(spec: string, why: string): string {
  return `bad spec '${spec}': ${why}`;
}
interface FsLike { existsSync(path: string): boolean; statSync(path: string): { isDirectory(): boolean } }
interface PathLike { resolve(...paths: string[]): string }

// Through nodeBuiltin, not imports: the schema also validates configs in the browser page.
function fileProblem(spec: string, path: string, kind: 'file' | 'directory'): string | null {
  if (path === '') return bad(spec, `expected a ${kind} path after ':'`);
  const fs = nodeBuiltin<FsLike>('node:fs');
  const paths = nodeBuiltin<PathLike>('node:path');
  if (!fs || !paths) return bad(spec, `no file system here to read a ${kind} from (in the browser use synthetic:N,D,C or mnist)`);
  const full = paths.resolve(path);
  if (!fs.existsSync(full)) return bad(spec, `${kind} not found: ${full}`);
  const isDir = fs.statSync(full).isDirectory();
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
// The grammar is src/models/spec.ts's (no tfjs import, so validation stays fast).
export function checkModelSpec(spec: string): string | null {
  return viaOwner(() => parseModelSpec(spec));
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

export function checkLrScheduleSpec(spec: string): string | null {
  return viaOwner(() => parseLrSchedule(spec));
}
