import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BenchArgsError, benchUsage, parseBenchArgs, type BenchCommand, type OptionSpec } from '../bench/args.js';
import { packageRoot } from '../src/package.js';

const command = {
  script: 'bench/example.ts',
  purpose: 'Times an example.',
  options: {
    json: { type: 'boolean', description: 'one JSON document on stdout' },
    n: { type: 'number', integer: true, min: 1000, max: 1e8, default: 1e7, description: 'vector length' },
    ratio: { type: 'number', above: 0, below: 1, default: 0.01, description: 'k = round(ratio n)' },
    seconds: { type: 'number', above: 0, description: 'seconds per point', defaultText: '3; 1 with --quick' },
    devices: { type: 'numbers', integer: true, min: 1, default: [16, 256], description: 'device counts' },
    single: { type: 'numbers', integer: true, min: 1, length: 2, placeholder: 'N,W', description: 'one point' },
    backend: { type: 'string', choices: ['auto', 'wasm'], default: 'auto', description: 'backend' },
    from: { type: 'string', placeholder: 'FILE', description: 'a stored run' },
    'no-ts': { type: 'boolean', description: 'skip the references' },
  },
} as const satisfies BenchCommand<Record<string, OptionSpec>>;

const parse = (...argv: string[]): ReturnType<typeof parseBenchArgs<typeof command.options>> => parseBenchArgs(command, argv);

function parseError(argv: string[]): string {
  try {
    parse(...argv);
  } catch (err) {
    assert.ok(err instanceof BenchArgsError, `expected a BenchArgsError, got ${String(err)}`);
    return err.message;
  }
  assert.fail(`${argv.join(' ')} was accepted`);
}

test('no arguments: every declared option, with its default or undefined', () => {
  assert.deepEqual(parse(), {
    values: { json: false, n: 1e7, ratio: 0.01, seconds: undefined, devices: [16, 256], single: undefined, backend: 'auto', from: undefined, 'no-ts': false },
    positionals: [],
  });
});

test('given values are converted: numbers, lists, choices, booleans, --name=value', () => {
  const parsed = parse('--json', '--n', '1e5', '--ratio=0.5', '--seconds', '2.5', '--devices', '16,4096', '--single', '10,2', '--backend', 'wasm', '--from', 'a.json', '--no-ts');
  assert.deepEqual(parsed?.values, { json: true, n: 1e5, ratio: 0.5, seconds: 2.5, devices: [16, 4096], single: [10, 2], backend: 'wasm', from: 'a.json', 'no-ts': true });
});

test('a list default is a fresh copy each time', () => {
  const first = parse()!;
  first.values.devices.push(1);
  assert.deepEqual(parse()!.values.devices, [16, 256]);
});

test('--help (or -h) asks for the usage, even beside other arguments', () => {
  assert.equal(parse('--help'), null);
  assert.equal(parse('-h'), null);
  assert.equal(parse('--n', '5', '--help'), null);
  const withFiles = { ...command, positionals: { name: 'FILE', description: 'stored runs' } };
  assert.deepEqual(parseBenchArgs(withFiles, ['--', '--help'])?.positionals, ['--help'], 'after -- it is a positional');
});

test('the usage lists the purpose, every option with its description and default, and --help', () => {
  const usage = benchUsage(command);
  const lines = usage.split('\n');
  assert.equal(lines[0], 'Usage: node --import tsx bench/example.ts [options]');
  assert.ok(lines.includes('Times an example.'));
  const line = (flag: string): string => {
    const found = lines.find((l) => l.trimStart().startsWith(`${flag} `));
    assert.ok(found, `no line for ${flag} in\n${usage}`);
    return found;
  };
  assert.match(line('--json'), /one JSON document on stdout$/);
  assert.match(line('--n N'), /vector length \(default 10000000\)$/);
  assert.match(line('--ratio N'), /k = round\(ratio n\) \(default 0\.01\)$/);
  assert.match(line('--seconds N'), /seconds per point \(default 3; 1 with --quick\)$/);
  assert.match(line('--devices LIST'), /device counts \(default 16,256\)$/);
  assert.match(line('--single N,W'), /one point$/);
  assert.match(line('--backend auto|wasm'), /backend \(default auto\)$/);
  assert.match(line('--from FILE'), /a stored run$/);
  assert.match(line('--no-ts'), /skip the references$/);
  assert.match(line('--help'), /print this help and exit$/);
});

test('an unknown option is an error naming it', () => {
  assert.match(parseError(['--bogus']), /Unknown option '--bogus'/);
  assert.match(parseError(['--json', '--devicez', '16']), /Unknown option '--devicez'/);
  assert.match(parseError(['-x']), /Unknown option '-x'/);
});

test('a missing value, a value for a boolean and an undeclared positional are errors naming the argument', () => {
  assert.match(parseError(['--n']), /'--n <value>' argument missing/);
  assert.match(parseError(['--from', '--json']), /'--from' argument is ambiguous/);
  assert.match(parseError(['--json=yes']), /'--json' does not take an argument/);
  assert.match(parseError(['stray.json']), /Unexpected argument 'stray.json'/);
});

test('bad numbers are errors naming the option and the value', () => {
  assert.equal(parseError(['--n', 'ten']), "--n: 'ten' is not a finite number");
  assert.equal(parseError(['--n', '']), "--n: '' is not a finite number");
  assert.equal(parseError(['--n', 'Infinity']), "--n: 'Infinity' is not a finite number");
  assert.equal(parseError(['--n', '1000.5']), "--n: '1000.5' is not an integer");
  assert.equal(parseError(['--n', '999']), "--n: '999' is not >= 1000");
  assert.equal(parseError(['--n', '2e8']), "--n: '2e8' is not <= 100000000");
  assert.equal(parseError(['--ratio', '0']), "--ratio: '0' is not > 0");
  assert.equal(parseError(['--ratio', '1']), "--ratio: '1' is not < 1");
  assert.equal(parseError(['--seconds=-1']), "--seconds: '-1' is not > 0");
  assert.equal(parseError(['--devices', '16,,256']), "--devices: '' is not a finite number");
  assert.equal(parseError(['--devices', '16,0']), "--devices: '0' is not >= 1");
  assert.equal(parseError(['--single', '10']), "--single: '10' is not 2 comma-separated numbers");
  assert.equal(parseError(['--backend', 'gpu']), "--backend: 'gpu' is not one of auto, wasm");
});

test('positionals are accepted only when declared', () => {
  const withFiles = { ...command, positionals: { name: 'FILE', description: 'stored runs' } };
  assert.deepEqual(parseBenchArgs(withFiles, ['a.json', '--json', 'b.json'])?.positionals, ['a.json', 'b.json']);
  assert.match(benchUsage(withFiles), /^Usage: node --import tsx bench\/example\.ts \[options\] \[FILE \.\.\.\]$/m);
  assert.match(benchUsage(withFiles), /^ {2}FILE +stored runs$/m);
});

// Every benchmark script answers --help and rejects an unknown flag before doing any work.
const root = packageRoot();
const scripts = readdirSync(join(root, 'bench')).filter((f) => f.endsWith('.ts') && !['args.ts', 'support.ts'].includes(f)).sort();

test('the bench scripts are the ones this test knows to check', () => {
  assert.deepEqual(scripts, ['dagc-fmnist.ts', 'engine.ts', 'kernels.ts', 'learners.ts', 'nats-scale.ts', 'nats.ts', 'numpy-topk.ts', 'page-responsiveness.ts', 'page.ts']);
});

const runScript = (script: string, ...args: string[]): ReturnType<typeof spawnSync> =>
  spawnSync(process.execPath, ['--import', 'tsx', join('bench', script), ...args], { cwd: root, encoding: 'utf8', timeout: 60_000 });

for (const script of scripts) {
  test(`bench/${script}: --help prints its options and exits 0; an unknown flag exits 2 naming it`, () => {
    const help = runScript(script, '--help');
    assert.equal(help.error, undefined);
    assert.equal(help.status, 0, String(help.stderr));
    const out = String(help.stdout);
    assert.ok(out.startsWith(`Usage: node --import tsx bench/${script} [options]`), out);
    assert.match(out, /^Options:$/m);
    assert.match(out, /^ {2}--help +print this help and exit$/m);
    assert.equal(help.stderr, '');

    const bad = runScript(script, '--bogus-flag');
    assert.equal(bad.error, undefined);
    assert.equal(bad.status, 2, String(bad.stderr));
    assert.equal(bad.stdout, '', 'nothing ran');
    assert.equal(String(bad.stderr), `bench/${script}: Unknown option '--bogus-flag' (see bench/${script} --help)\n`);
  });
}
