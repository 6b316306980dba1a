/**
 * Dotted key paths (`algorithm.lr`) in a raw config: read one, or set one on a copy. No node:
 * imports, so the page's form uses the same code as `--set`.
 */

export type RawConfig = Record<string, unknown>;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** The value at `path`, or undefined when a section on the way is missing or not an object. */
export function getPath(config: RawConfig, path: string): unknown {
  let node: unknown = config;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as RawConfig)[key];
  }
  return node;
}

/** A copy of `config` with the value at `path` (a dotted string or its keys) set; sections are created as needed. */
export function setPath<T extends object>(config: T, path: string | readonly string[], value: unknown): T {
  const keys = typeof path === 'string' ? path.split('.') : path;
  const out = structuredClone(config) as RawConfig;
  let node = out;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as RawConfig;
  }
  node[keys[keys.length - 1]!] = value;
  return out as T;
}
