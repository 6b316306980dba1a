/** Reading config files (JSON or YAML), `--set key=value` overrides, and writing resolved YAML. */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Document, parse as parseYaml, parseDocument } from 'yaml';
import { ConfigError } from '../errors.js';
import { isPlainObject, setPath, type RawConfig } from './paths.js';
import type { RunConfig } from './types.js';
import { checkNoPrototypeKeys, RunConfigSchema, resolveConfig, unwrapObject } from './schema.js';
import type { z } from 'zod';

export type { RawConfig } from './paths.js';

/** Re-key a ConfigError's message so it also names the file it came from. */
export function inFile(err: ConfigError, file: string): ConfigError {
  const prefix = `${err.key}: `;
  const rest = err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message;
  return new ConfigError(err.key, `${rest} (in ${file})`);
}

/** Parse a .json / .yaml / .yml config file into a raw (unvalidated) mapping. Errors name the file. */
export function readConfigFile(path: string): RawConfig {
  const ext = extname(path).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new ConfigError(path, `expected a .json, .yaml or .yml config file, got '${ext || 'no extension'}'`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(path, code === 'ENOENT' ? 'config file not found' : `cannot read config file (${code ?? String(err)})`);
  }
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(path, `invalid JSON: ${(err as Error).message}`);
    }
    // JSON.parse keeps the last of two equal keys; YAML refuses them, and so do we.
    const dup = duplicateJsonKey(text);
    if (dup) throw new ConfigError(path, `invalid JSON at line ${dup.line}: key '${dup.path}' appears twice`);
  } else {
    // `<<` merge keys are YAML 1.1 and widely used for sharing settings; they are merged, not keys.
    const doc = parseDocument(text, { prettyErrors: false, merge: true });
    const first = doc.errors[0];
    if (first) {
      const offset = first.pos[0];
      const before = text.slice(0, offset);
      const line = before.split('\n').length;
      const col = offset - before.lastIndexOf('\n');
      const where = Number.isInteger(offset) ? ` at line ${line}, column ${col}` : '';
      throw new ConfigError(path, `invalid YAML${where}: ${first.message.split('\n')[0]}`);
    }
    try {
      // The yaml package refuses documents whose aliases would expand past its budget (alias bombs).
      value = doc.toJS({ maxAliasCount: YAML_MAX_ALIAS_COUNT });
    } catch (err) {
      throw new ConfigError(path, `invalid YAML: ${(err as Error).message}`);
    }
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(path, 'expected a mapping of config keys at the top level');
  checkNoPrototypeKeys(value, path);
  return value;
}

/** Most alias expansions a YAML config may use (yaml's own default; a config needs a handful). */
const YAML_MAX_ALIAS_COUNT = 100;

/**
 * The first key that appears twice in one object of a (valid) JSON text, with its dotted path and
 * 1-based line; null when every object's keys are distinct.
 */
export function duplicateJsonKey(text: string): { path: string; line: number } | null {
  // One frame per open container: the keys seen so far (objects) and the key being read.
  const stack: Array<{ keys: Set<string> | null; key: string | null; expectKey: boolean }> = [];
  let line = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n') line++;
    else if (c === '{') stack.push({ keys: new Set(), key: null, expectKey: true });
    else if (c === '[') stack.push({ keys: null, key: null, expectKey: false });
    else if (c === '}' || c === ']') stack.pop();
    else if (c === ',') { const top = stack[stack.length - 1]; if (top?.keys) top.expectKey = true; }
    else if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        const path = [...stack.filter((f) => f.keys && f !== top).map((f) => f.key), key].join('.');
        if (top.keys.has(key)) return { path, line };
        top.keys.add(key);
        top.key = key;
        top.expectKey = false;
      }
      i = j;
    }
  }
  return null;
}

/** Read and resolve a config file. ConfigErrors start with the key path and name the file. */
export function loadConfigFile(path: string): RunConfig {
  const raw = readConfigFile(path);
  try {
    return resolveConfig(raw);
  } catch (err) {
    throw err instanceof ConfigError ? inFile(err, path) : err;
  }
}

/** Split `a.b=value` into the key path and the YAML-parsed value (numbers, booleans, null, lists). */
function parseAssignment(assignment: string): { path: string[]; value: unknown } {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new ConfigError(assignment || '--set', 'expected key=value, e.g. algorithm.lr=0.1');
  const key = assignment.slice(0, eq).trim();
  const text = assignment.slice(eq + 1);
  const path = key.split('.');
  checkKeyPath(path);
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch {
    value = text; // not YAML: keep the text; the schema decides whether a string is acceptable
  }
  checkNoPrototypeKeys(value, undefined, key);
  return { path, value };
}

/** Throws ConfigError naming the key when a dotted path is not a config key. */
function checkKeyPath(path: readonly string[]): void {
  let schema: z.ZodType = RunConfigSchema;
  for (let i = 0; i < path.length; i++) {
    const here = path.slice(0, i + 1).join('.');
    const obj = unwrapObject(schema);
    if (!obj) throw new ConfigError(here, `unknown key (${path.slice(0, i).join('.')} is a value, not a section)`);
    const next = Object.hasOwn(obj.shape, path[i]!) ? obj.shape[path[i]!] as z.ZodType : undefined;
    if (!next || path[i] === '') {
      throw new ConfigError(here, `unknown key (expected one of: ${Object.keys(obj.shape).join(', ')})`);
    }
    schema = next;
  }
}

/** Set `a.b=value` in a raw config (not validated beyond the key path); returns a new object. */
export function setKey<T extends object>(config: T, assignment: string): T {
  const { path, value } = parseAssignment(assignment);
  return setPath(config, path, value);
}

/** Apply one `a.b=value` override and validate: returns the resolved config or throws ConfigError. */
export function applySet(config: object, assignment: string): RunConfig {
  return resolveConfig(setKey(config, assignment));
}

/** First line (after `# `) of every config.resolved.yaml; it marks a directory as a run's. */
export const RESOLVED_CONFIG_HEADER = 'sparsepush run config (resolved: every key present)';

/** The resolved config as commented YAML (what `run` writes to config.resolved.yaml). */
export function configToYaml(config: RunConfig, header?: string): string {
  const doc = new Document(config);
  doc.commentBefore = ` ${header ?? RESOLVED_CONFIG_HEADER}`;
  return doc.toString({ lineWidth: 0 });
}
