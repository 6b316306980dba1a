/**
 * The command line of every benchmark script: declared options (node:util parseArgs, strict),
 * `--help`, and clear errors. A script declares its options once; the usage text, the defaults
 * and the validation all come from that declaration.
 *
 *   const opts = benchArgs({ script: 'bench/x.ts', purpose: '...', options: { n: { type: 'number', ... } } });
 *
 * --help (or -h) prints the usage and exits 0; an unknown option, a missing or invalid value exits
 * 2 with a message naming the option, before the script does any work.
 */
import { parseArgs } from 'node:util';

interface Described {
  /** One line for --help. */
  description: string;
  /** What --help shows as the default when it is not a fixed value (e.g. it depends on --quick). */
  defaultText?: string;
}

export interface BooleanOption extends Described { type: 'boolean' }

export interface StringOption extends Described {
  type: 'string';
  default?: string;
  /** The value's name in the usage line (default VALUE). */
  placeholder?: string;
  /** The only values accepted. */
  choices?: readonly string[];
}

/** Bounds of a number: inclusive (min, max) and exclusive (above, below). */
interface Bounds { integer?: boolean; min?: number; max?: number; above?: number; below?: number }

export interface NumberOption extends Described, Bounds { type: 'number'; default?: number; placeholder?: string }

/** A comma-separated list of numbers, each within the bounds. */
export interface NumberListOption extends Described, Bounds {
  type: 'numbers';
  default?: readonly number[];
  placeholder?: string;
  /** Exactly this many numbers. */
  length?: number;
}

export type OptionSpec = BooleanOption | StringOption | NumberOption | NumberListOption;

export interface BenchCommand<O extends Record<string, OptionSpec>> {
  /** The script's path from the repository root (names it in usage and errors). */
  script: string;
  /** One line: what the script measures or prints. */
  purpose: string;
  options: O;
  /** Positional arguments the script accepts (none unless declared). */
  positionals?: { name: string; description: string };
}

type ValueOf<S extends OptionSpec> =
  S extends BooleanOption ? boolean
    : S extends NumberOption ? (S extends { default: number } ? number : number | undefined)
      : S extends NumberListOption ? (S extends { default: readonly number[] } ? number[] : number[] | undefined)
        : S extends { default: string } ? string : string | undefined;

export type BenchValues<O extends Record<string, OptionSpec>> = { [K in keyof O]: ValueOf<O[K]> };

export interface BenchArgs<O extends Record<string, OptionSpec>> {
  values: BenchValues<O>;
  positionals: string[];
  /** Reports a bad combination of arguments the declaration cannot express, like a bad option. */
  fail(message: string): never;
}

/** A bad command line; the message names the option. */
export class BenchArgsError extends Error {
  override name = 'BenchArgsError';
}

function placeholderOf(spec: OptionSpec): string {
  if (spec.type === 'boolean') return '';
  if (spec.type === 'string' && spec.choices) return ` ${spec.choices.join('|')}`;
  return ` ${spec.placeholder ?? (spec.type === 'numbers' ? 'LIST' : spec.type === 'number' ? 'N' : 'VALUE')}`;
}

function defaultOf(spec: OptionSpec): string | undefined {
  if (spec.defaultText !== undefined) return spec.defaultText;
  if (spec.type === 'boolean' || spec.default === undefined) return undefined;
  return spec.type === 'numbers' ? spec.default.join(',') : String(spec.default);
}

/** The --help text: usage, purpose, each option with its description and default. */
export function benchUsage<O extends Record<string, OptionSpec>>(command: BenchCommand<O>): string {
  const entries = Object.entries(command.options).map(([name, spec]) => [`--${name}${placeholderOf(spec)}`, spec] as const);
  const positional = command.positionals ? [[command.positionals.name, { description: command.positionals.description }] as const] : [];
  const width = Math.max(6, ...[...entries, ...positional].map(([left]) => left.length));
  const line = (left: string, text: string): string => `  ${left.padEnd(width)}  ${text}`;
  return [
    `Usage: node --import tsx ${command.script} [options]${command.positionals ? ` [${command.positionals.name} ...]` : ''}`,
    '',
    command.purpose,
    '',
    'Options:',
    ...entries.map(([left, spec]) => {
      const fallback = defaultOf(spec);
      return line(left, fallback === undefined ? spec.description : `${spec.description} (default ${fallback})`);
    }),
    line('--help', 'print this help and exit'),
    ...positional.map(([left, { description }]) => line(left, description)),
    '',
  ].join('\n');
}

function checkNumber(name: string, text: string, bounds: Bounds): number {
  const v = text.trim() === '' ? Number.NaN : Number(text);
  const fail = (what: string): never => { throw new BenchArgsError(`--${name}: '${text}' is not ${what}`); };
  if (!Number.isFinite(v)) fail('a finite number');
  if (bounds.integer && !Number.isInteger(v)) fail('an integer');
  if (bounds.min !== undefined && v < bounds.min) fail(`>= ${bounds.min}`);
  if (bounds.max !== undefined && v > bounds.max) fail(`<= ${bounds.max}`);
  if (bounds.above !== undefined && v <= bounds.above) fail(`> ${bounds.above}`);
  if (bounds.below !== undefined && v >= bounds.below) fail(`< ${bounds.below}`);
  return v;
}

function convert(name: string, spec: OptionSpec, raw: string | boolean | undefined): unknown {
  if (spec.type === 'boolean') return raw === true;
  if (raw === undefined) return spec.type === 'numbers' && spec.default ? [...spec.default] : spec.default;
  const text = String(raw);
  switch (spec.type) {
    case 'string':
      if (spec.choices && !spec.choices.includes(text)) throw new BenchArgsError(`--${name}: '${text}' is not one of ${spec.choices.join(', ')}`);
      return text;
    case 'number':
      return checkNumber(name, text, spec);
    case 'numbers': {
      const list = text.split(',').map((part) => checkNumber(name, part, spec));
      if (spec.length !== undefined && list.length !== spec.length) throw new BenchArgsError(`--${name}: '${text}' is not ${spec.length} comma-separated numbers`);
      return list;
    }
  }
}

/**
 * Parses argv against the declaration: null when --help was asked for, else the values (every
 * declared option, defaults filled in). Throws BenchArgsError naming the option on bad input.
 */
export function parseBenchArgs<const O extends Record<string, OptionSpec>>(command: BenchCommand<O>, argv: readonly string[]): { values: BenchValues<O>; positionals: string[] } | null {
  const end = argv.indexOf('--');
  const flags = end < 0 ? argv : argv.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) return null;
  const options = Object.fromEntries(Object.entries(command.options).map(([name, spec]) => [name, { type: spec.type === 'boolean' ? 'boolean' as const : 'string' as const }]));
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: command.positionals !== undefined }) as typeof parsed;
  } catch (err) {
    // Node's first sentence names the option ("Unknown option '--x'", "Option '--n <value>' argument missing").
    const message = err instanceof Error ? err.message.split(/\.(\s|$)/)[0]! : String(err);
    throw new BenchArgsError(message);
  }
  const values = Object.fromEntries(Object.entries(command.options).map(([name, spec]) => [name, convert(name, spec, parsed.values[name])]));
  return { values: values as BenchValues<O>, positionals: parsed.positionals };
}

function exitWith(command: { script: string }, message: string): never {
  process.stderr.write(`${command.script}: ${message} (see ${command.script} --help)\n`);
  process.exit(2);
}

/** The script's arguments: prints --help and exits 0, or reports bad input and exits 2. */
export function benchArgs<const O extends Record<string, OptionSpec>>(command: BenchCommand<O>, argv: readonly string[] = process.argv.slice(2)): BenchArgs<O> {
  let parsed: ReturnType<typeof parseBenchArgs<O>>;
  try {
    parsed = parseBenchArgs(command, argv);
  } catch (err) {
    if (!(err instanceof BenchArgsError)) throw err;
    exitWith(command, err.message);
  }
  if (parsed === null) {
    process.stdout.write(benchUsage(command));
    process.exit(0);
  }
  return { ...parsed, fail: (message) => exitWith(command, message) };
}
