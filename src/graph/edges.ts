/**
 * `edges:FILE`: a fixed directed graph read from a text file with one `from to` pair per line
 * (whitespace separated, 0-based node ids); `#` starts a comment; blank lines are ignored.
 * Malformed lines, nodes outside 0..n-1, self-loops and repeated edges are errors naming the file
 * and line. Strong connectivity is checked by assertStronglyConnected, not here.
 */
import { GraphError } from '../errors.js';
import { nodeBuiltin } from '../node-builtin.js';
import type { Topology } from './types.js';
import { PeriodicTopology, checkDevices, roundGraphFromOutPeers } from './build.js';

export type ReadText = (path: string) => string;

export interface EdgeListEntry { readonly from: number; readonly to: number; readonly line: number }

/** Parses an edge list; `file` is only used in messages. */
export function parseEdgeList(text: string, file: string, n: number): EdgeListEntry[] {
  const edges: EdgeListEntry[] = [];
  const firstLine = new Map<number, number>();
  const lines = text.split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const hash = lines[index]!.indexOf('#');
    const content = (hash >= 0 ? lines[index]!.slice(0, hash) : lines[index]!).trim();
    if (content === '') continue;
    const tokens = content.split(/\s+/);
    if (tokens.length !== 2 || !tokens.every((s) => /^\d+$/.test(s))) {
      throw new GraphError(`${file}:${line}: expected 'from to' (two non-negative integers), got '${content}'`);
    }
    const from = Number(tokens[0]);
    const to = Number(tokens[1]);
    for (const node of [from, to]) {
      if (node >= n) throw new GraphError(`${file}:${line}: node ${node} is out of range for devices = ${n} (ids are 0..${n - 1})`);
    }
    if (from === to) throw new GraphError(`${file}:${line}: self-loop ${from} -> ${to} (every node keeps its own share already)`);
    const key = from * n + to;
    const earlier = firstLine.get(key);
    if (earlier !== undefined) throw new GraphError(`${file}:${line}: repeated edge ${from} -> ${to} (first on line ${earlier})`);
    firstLine.set(key, line);
    edges.push({ from, to, line });
  }
  return edges;
}

interface FsLike { readFileSync(path: string, encoding: 'utf8'): string }
interface PathLike { isAbsolute(p: string): boolean; resolve(...p: string[]): string }

/** Reads the file with node:fs (resolved against baseDir when relative). Browsers pass their own reader. */
export function defaultReadText(baseDir?: string): ReadText {
  return (file) => {
    const fs = nodeBuiltin<FsLike>('node:fs');
    const path = nodeBuiltin<PathLike>('node:path');
    if (!fs || !path) throw new GraphError(`edges file '${file}': no file system here; pass opts.readText to createTopology`);
    const resolved = baseDir && !path.isAbsolute(file) ? path.resolve(baseDir, file) : file;
    try {
      return fs.readFileSync(resolved, 'utf8');
    } catch (err) {
      throw new GraphError(`edges file '${resolved}': cannot read it (${err instanceof Error ? err.message : String(err)})`);
    }
  };
}

export function createEdgesTopology(n: number, file: string, readText: ReadText = defaultReadText(), spec = `edges:${file}`): Topology {
  checkDevices(n, spec);
  const edges = parseEdgeList(readText(file), file, n);
  const outPeers: number[][] = Array.from({ length: n }, () => []);
  for (const { from, to } of edges) outPeers[from]!.push(to);
  const graph = roundGraphFromOutPeers(spec, 0, outPeers);
  return new PeriodicTopology(spec, n, 1, () => graph);
}
