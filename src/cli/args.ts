/** Option parsing for the subcommands (node:util parseArgs, with one-line messages). */
import { relative } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export function parseCommandArgs(command: string, argv: string[], options: Options, allowPositionals: boolean): Parsed {
  try {
    const { values, positionals, tokens } = parseArgs({ args: argv, options, allowPositionals, strict: true, tokens: true });
    // An empty value (`--out ""`) would mean the working directory or nothing at all: refused. parseArgs
    // keeps the last of a repeated option; a second --config or --out is a mistake, not an override.
    const seen = new Map<string, string[]>();
    for (const t of tokens) {
      if (t.kind !== 'option' || options[t.name]?.type !== 'string') continue;
      if (t.value === '') throw new UsageError(`option --${t.name} needs a value, got an empty string (see sparsepush ${command} --help)`);
      if (options[t.name]?.multiple) continue;
      const given = [...(seen.get(t.name) ?? []), t.value ?? ''];
      seen.set(t.name, given);
      if (given.length > 1) {
        throw new UsageError(`option --${t.name} given more than once (${given.map((v) => JSON.stringify(v)).join(', ')}); give it once (see sparsepush ${command} --help)`);
      }
    }
    if ((positionals as string[]).includes('')) throw new UsageError(`unexpected empty argument (see sparsepush ${command} --help)`);
    return { values: values as Parsed['values'], positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    const m = /'(-[^']*)'/.exec(e.message);
    const flag = m?.[1] ?? '';
    switch (e.code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(`unknown option ${flag} (see sparsepush ${command} --help)`);
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
        const name = flag.split(/[ ,]/)[0];
        const why = e.message.includes('does not take') ? 'takes no value' : 'needs a value';
        throw new UsageError(`option ${name} ${why} (see sparsepush ${command} --help)`);
      }
      case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
        throw new UsageError(`unexpected argument ${e.message.match(/'([^']*)'/)?.[0] ?? ''} (see sparsepush ${command} --help)`);
      default:
        throw new UsageError(`${e.message} (see sparsepush ${command} --help)`);
    }
  }
}

export function str(v: string | boolean | string[] | undefined): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
export function list(v: string | boolean | string[] | undefined): string[] {
  return Array.isArray(v) ? v : typeof v === 'string' ? [v] : [];
}

/** `20261124-101530`: sortable, filesystem-safe local time. */
export function timestamp(d = new Date()): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** A path as the user will want to see it: relative below the working directory, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}
