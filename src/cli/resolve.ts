/** Building a RunConfig from CLI inputs: config file, `--set` overrides and dedicated flags. */
import { ConfigError } from '../errors.js';
import { inFile, readConfigFile, setKey, type RawConfig } from '../config/load.js';
import { resolveConfig } from '../config/schema.js';
import type { RunConfig } from '../config/types.js';

export interface ConfigInputs {
  /** A .json/.yaml/.yml file, or none (all defaults). */
  file?: string;
  /** `key=value` overrides, applied in order after the file. */
  sets?: readonly string[];
  /** Dedicated flags (`--name`, `--workers`, `--backend`), applied last. */
  name?: string;
  workers?: string;
  backend?: string;
  /** Raw values applied before the file's keys are validated (e.g. the demo's embedded config). */
  base?: RawConfig;
}

function isMapping(v: unknown): v is RawConfig {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Section-wise merge: keys of `over` win; nested mappings merge. */
export function deepMerge(base: RawConfig, over: RawConfig): RawConfig {
  const out: RawConfig = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isMapping(b) && isMapping(v) ? deepMerge(b, v) : v;
  }
  return out;
}

function workersValue(text: string): unknown {
  if (text === 'auto') return 'auto';
  return /^\d+$/.test(text) ? Number(text) : text; // anything else fails validation, naming `workers`
}

/** Resolve, or throw a ConfigError that starts with the key (and names the file when the key came from it). */
export function configFromInputs(inputs: ConfigInputs): RunConfig {
  let raw: RawConfig = structuredClone(inputs.base ?? {});
  if (inputs.file) raw = deepMerge(raw, readConfigFile(inputs.file));
  const fromCli = new Set<string>();
  for (const s of inputs.sets ?? []) {
    raw = setKey(raw, s);
    fromCli.add(s.slice(0, s.indexOf('=')).trim());
  }
  if (inputs.name !== undefined) { raw.name = inputs.name; fromCli.add('name'); }
  if (inputs.workers !== undefined) { raw.workers = workersValue(inputs.workers); fromCli.add('workers'); }
  if (inputs.backend !== undefined) { raw.backend = inputs.backend; fromCli.add('backend'); }
  try {
    return resolveConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError && inputs.file && ![...fromCli].some((k) => err.key === k || err.key.startsWith(`${k}.`) || k.startsWith(`${err.key}.`))) {
      throw inFile(err, inputs.file);
    }
    throw err;
  }
}

/** Dotted keys whose values differ between two resolved configs (sections compared key by key). */
export function differingKeys(a: RunConfig, b: RunConfig): string[] {
  const out: string[] = [];
  const walk = (x: unknown, y: unknown, path: string): void => {
    if (isMapping(x) && isMapping(y)) {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) walk(x[k], y[k], path ? `${path}.${k}` : k);
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push(path);
    }
  };
  walk(a, b, '');
  return out;
}
