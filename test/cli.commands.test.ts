import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { main, type CliIO } from '../src/cli/main.js';
import type { RunSummaryFile } from '../src/metrics/records.js';
import { demoClaims, demoConfigs, DEMO_VARIANTS } from '../src/cli/demo.js';
import type { RunExperiment, RunExperimentOptions } from '../src/cli/engine.js';
import { loadConfigFile } from '../src/config/load.js';
import { resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { ConfigError, RunError } from '../src/errors.js';
import { fakeRun, writeFakeRun } from './report.fixtures.js';
import { ENTRY, ROOT } from './support/child.js';

const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-cli-'));
let counter = 0;
const freshDir = (label: string): string => join(tmp, `${label}-${++counter}`);

interface Captured { io: CliIO; out: () => string; err: () => string }
function capture(tty = false): Captured {
  let out = '';
  let err = '';
  return { io: { stdout: (t) => { out += t; }, stderr: (t) => { err += t; }, isTTY: tty, columns: 100 }, out: () => out, err: () => err };
}

/** A stand-in engine: checks the CLI wrote config.resolved.yaml first, reports progress, writes the run files. */
function fakeEngine(calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = []): RunExperiment {
  return async (config, opts) => {
    calls.push({ config, opts });
    assert.ok(existsSync(join(opts.outDir, 'config.resolved.yaml')), 'config.resolved.yaml is written before the run starts');
    for (let round = 1; round <= config.rounds; round++) {
      opts.onProgress?.({ round, rounds: config.rounds, metrics: round % config.evalEvery === 0 ? { round, accuracy: 0.5, loss: 1, bitsSent: round * 1e4 } : undefined });
    }
    return writeFakeRun(opts.outDir, config)!;
  };
}

async function run(argv: string[], engine: RunExperiment = fakeEngine()): Promise<{ code: number; out: string; err: string }> {
  const c = capture();
  const code = await main(argv, c.io, { runExperiment: engine });
  return { code, out: c.out(), err: c.err() };
}

test('--help of the command and of every subcommand exits 0 and shows examples', async () => {
  for (const argv of [['--help'], [], ['run', '--help'], ['compare', '--help'], ['demo', '--help'], ['config', '--help'], ['bench', '--help'], ['topology', '--help'], ['dagc', '--help'], ['serve', '--help'], ['help', 'run']]) {
    const r = await run(argv);
    assert.equal(r.code, 0, `${argv.join(' ')}: ${r.err}`);
    assert.match(r.out, /Usage: sparsepush/, argv.join(' '));
    assert.match(r.out, /Examples:/, argv.join(' '));
    assert.equal(r.err, '');
  }
});

test('bench --help lists the options bench/kernels declares (its own --help), not a copy', async () => {
  const r = await run(['bench', '--help']);
  assert.equal(r.code, 0, r.err);
  for (const option of ['--sizes LIST', '--quick', '--json', '--only LIST', '--no-ts', '--no-api']) assert.ok(r.out.includes(`  ${option}`), `${option} in:\n${r.out}`);
  assert.doesNotMatch(r.out, /not in this build|--help failed/);
});

test('--version prints the package version', async () => {
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  for (const flag of ['--version', '-v']) {
    const r = await run([flag]);
    assert.equal(r.code, 0);
    assert.equal(r.out, `${version}\n`);
  }
});

test('unknown commands and options are usage errors (exit 2, one line)', async () => {
  for (const argv of [['frobnicate'], ['run', '--frob'], ['run', '--out'], ['compare'], ['demo', 'extra'], ['config', '--quiet']]) {
    const r = await run(argv);
    assert.equal(r.code, 2, argv.join(' '));
    assert.equal(r.err.trim().split('\n').length, 1, r.err);
    assert.equal(r.out, '');
  }
});

test('bad configs exit 2 with one stderr line naming the key, and create no output directory', async () => {
  const badYaml = join(tmp, 'bad-nested.yaml');
  writeFileSync(badYaml, 'algorithm:\n  name: sgp\n  lrr: 0.1\n');
  const cases: Array<[string[], string]> = [
    [['--set', 'algorithm.gamma=1.5'], 'algorithm.gamma: expected a number in (0, 1] or null, got 1.5'],
    [['--set', 'algorithm.gama=0.5'], 'algorithm.gama: unknown key'],
    [['--set', 'faults.linkDrop=1'], 'faults.linkDrop: expected a number in [0, 1), got 1'],
    [['--set', 'compressor=topk:2'], "compressor: bad spec 'topk:2'"],
    [['--set', 'data.train=csv:/no/such.csv'], 'data.train: bad spec'],
    [['--config', badYaml], `algorithm.lrr: unknown key`],
    [['--config', join(tmp, 'missing.yaml')], 'config file not found'],
    [['--workers', 'many'], 'workers: expected an integer ≥ 0 or auto, got "many"'],
    [['--backend', 'gpu'], 'backend: expected one of auto, tensorflow, wasm, cpu, got "gpu"'],
    [['--name', 'bad name'], 'name: expected a run name'],
  ];
  for (const [args, expected] of cases) {
    const out = freshDir('bad');
    const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
    const r = await run(['run', ...args, '--out', out], fakeEngine(calls));
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    const lines = r.err.trimEnd().split('\n');
    assert.equal(lines.length, 1, r.err);
    assert.ok(lines[0]!.startsWith('sparsepush run: '), lines[0]);
    assert.ok(lines[0]!.includes(expected), `${lines[0]} should include ${expected}`);
    assert.equal(existsSync(out), false, `no output directory for ${args.join(' ')}`);
    assert.equal(calls.length, 0);
  }
  // Errors from a file name the file.
  const r = await run(['run', '--config', badYaml, '--out', freshDir('bad')]);
  assert.ok(r.err.includes(`(in ${badYaml})`), r.err);
});

test('run: resolved config, engine call, report and final metrics', async () => {
  const out = freshDir('run');
  const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
  const r = await run(['run', '--set', 'rounds=20', '--set', 'evalEvery=5', '--set', 'algorithm.lr=0.1', '--name', 'unit', '--workers', '2', '--out', out], fakeEngine(calls));
  assert.equal(r.code, 0, r.err);
  assert.equal(calls.length, 1);
  const { config, opts } = calls[0]!;
  assert.equal(config.rounds, 20);
  assert.equal(config.algorithm.lr, 0.1);
  assert.equal(config.name, 'unit');
  assert.equal(config.workers, 2);
  assert.equal(opts.workers, 2);
  assert.equal(opts.outDir, out);
  assert.ok(opts.signal instanceof AbortSignal);
  assert.deepEqual(resolveConfig(parseYaml(readFileSync(join(out, 'config.resolved.yaml'), 'utf8'))), config);
  assert.ok(existsSync(join(out, 'report.html')));
  assert.match(r.out, /report: .*report\.html/);
  assert.match(r.out, /unit: round 20: accuracy \d+\.\d\d%/);
  assert.match(r.out, /paramsHash: [0-9a-f]{64}/);
  // Not a TTY: one plain progress line per evaluation.
  assert.equal(r.err.split('\n').filter((l) => /^round \d+\/20 /.test(l)).length, 4, r.err);
});

test('run --quiet prints no progress; a config file plus --set overrides', async () => {
  const file = join(tmp, 'small.json');
  writeFileSync(file, JSON.stringify({ rounds: 10, evalEvery: 5, algorithm: { name: 'sgp' }, compressor: 'none' }));
  const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
  const r = await run(['run', '--config', file, '--set', 'rounds=6', '--quiet', '--out', freshDir('quiet')], fakeEngine(calls));
  assert.equal(r.code, 0, r.err);
  assert.equal(r.err, '');
  assert.equal(calls[0]!.config.rounds, 6);
  assert.equal(calls[0]!.config.algorithm.name, 'sgp');
});

test('run refuses a finished output directory unless --force', async () => {
  const out = freshDir('finished');
  assert.equal((await run(['run', '--set', 'rounds=5', '--set', 'evalEvery=5', '--quiet', '--out', out])).code, 0);
  const before = readFileSync(join(out, 'summary.json'), 'utf8');
  const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
  const again = await run(['run', '--set', 'rounds=5', '--quiet', '--out', out], fakeEngine(calls));
  assert.equal(again.code, 2);
  assert.match(again.err, /finished run .*--force/);
  assert.equal(calls.length, 0);
  assert.equal(readFileSync(join(out, 'summary.json'), 'utf8'), before);
  const forced = await run(['run', '--set', 'rounds=5', '--set', 'evalEvery=5', '--quiet', '--force', '--out', out], fakeEngine(calls));
  assert.equal(forced.code, 0, forced.err);
  assert.equal(calls.length, 1);
});

test('run failures: engine errors exit 1 (config problems found by the engine exit 2) and leave error.json, not summary.json', async () => {
  const out = freshDir('fail');
  const r = await run(['run', '--quiet', '--out', out], async () => { throw new RunError('NaN in parameters of device 3 at round 7'); });
  assert.equal(r.code, 1);
  assert.match(r.err, /device 3 at round 7/);
  assert.equal(r.err.trimEnd().split('\n').length, 1);
  assert.ok(existsSync(join(out, 'error.json')));
  assert.equal(existsSync(join(out, 'summary.json')), false);
  assert.equal((JSON.parse(readFileSync(join(out, 'error.json'), 'utf8')) as { code: string }).code, 'E_RUN');

  const out2 = freshDir('fail');
  const r2 = await run(['run', '--quiet', '--out', out2], async () => { throw new ConfigError('data.partition', 'shards:9 needs 9 classes per device, the dataset has 2'); });
  assert.equal(r2.code, 2);
  assert.match(r2.err, /^sparsepush run: data.partition: /);
});

test('run without --out writes runs/<timestamp>-<name> under the working directory', async () => {
  const cwd = process.cwd();
  const work = freshDir('cwd');
  mkdirSync(work);
  process.chdir(work);
  try {
    const r = await run(['run', '--set', 'rounds=5', '--set', 'evalEvery=5', '--name', 'named', '--quiet']);
    assert.equal(r.code, 0, r.err);
    const dirs = readdirSync(join(work, 'runs'));
    assert.equal(dirs.length, 1);
    assert.match(dirs[0]!, /^\d{8}-\d{6}-named$/);
    assert.ok(existsSync(join(work, 'runs', dirs[0]!, 'summary.json')));
  } finally {
    process.chdir(cwd);
  }
});

test('run --resume DIR continues in DIR with its resolved config', async () => {
  const out = freshDir('resume');
  const first = await run(['run', '--set', 'rounds=8', '--set', 'evalEvery=4', '--quiet', '--out', out], async (config, opts) => {
    throw new RunError(`interrupted at round 4 of ${config.rounds} in ${opts.outDir}`);
  });
  assert.equal(first.code, 1);
  const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
  const r = await run(['run', '--resume', out, '--quiet'], fakeEngine(calls));
  assert.equal(r.code, 0, r.err);
  assert.equal(calls[0]!.config.rounds, 8);
  assert.equal(calls[0]!.opts.resume, true);
  assert.equal(calls[0]!.opts.outDir, out);
  const done = await run(['run', '--resume', out, '--quiet']);
  assert.equal(done.code, 2);
  assert.match(done.err, /already finished/);
  assert.equal((await run(['run', '--resume', out, '--out', freshDir('x')])).code, 2);
});

test('compare builds one report over several runs; bad directories exit 2', async () => {
  const root = freshDir('compare');
  const a = fakeRun(root, { name: 'sgp', algorithm: 'sgp', compressor: 'none' });
  const b = fakeRun(root, { name: 'sparse-push' });
  const file = join(root, 'cmp.html');
  const r = await run(['compare', a, b, '--out', file]);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(file));
  assert.match(r.out, /sgp\s+accuracy/);
  assert.match(r.out, /sparse-push\s+accuracy/);
  const bad = await run(['compare', a, join(root, 'nope'), '--out', join(root, 'x.html')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /nope: not a directory/);
  mkdirSync(join(root, 'empty'));
  assert.match((await run(['compare', join(root, 'empty')])).err, /not a run directory/);
});

test('demo runs IID and skewed runs into one directory and prints their summaries and the two claims', async () => {
  const out = freshDir('demo');
  const calls: Array<{ config: RunConfig; opts: RunExperimentOptions }> = [];
  const r = await run(['demo', '--rounds', '10', '--quiet', '--out', out], fakeEngine(calls));
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(calls.map((c) => c.config.algorithm.name), ['sgp', 'sparse-push', 'sgp', 'sparse-push', 'sc-sparse-push']);
  assert.deepEqual(calls.map((c) => c.config.compressor), ['none', 'topk:0.01+int8', 'none', 'topk:0.01+int8', 'topk:0.01+int8']);
  assert.deepEqual(calls.map((c) => c.config.data.partition), ['iid', 'iid', 'skew:1', 'skew:1', 'skew:1']);
  for (const c of calls) {
    assert.equal(c.config.rounds, 10);
    assert.equal(c.config.devices, 16);
    assert.equal(c.config.topology, 'exponential:1');
    assert.equal(c.config.data.train, 'fashion-mnist');
  }
  for (const v of DEMO_VARIANTS) assert.ok(existsSync(join(out, v.name, 'summary.json')));
  assert.ok(existsSync(join(out, 'report.html')));
  const lines = r.out.trimEnd().split('\n');
  assert.match(lines[0]!, /^report: .*report\.html$/);
  assert.equal(lines.length, 8);
  assert.match(lines[1]!, /^iid-sgp\s+accuracy\s+\d+\.\d\d%\s+bits sent/);
  assert.match(lines[6]!, /^IID: Sparse-Push \d+\.\d\d% vs SGP \d+\.\d\d% \([+-]\d+\.\d\d points\) with \d+x fewer bits$/);
  assert.match(lines[7]!, /^skew:1: SGP .* Skew-Compensated \d+\.\d\d%: (recovers -?\d+% of Sparse-Push's loss|Sparse-Push lost nothing to recover) at \d\.\d\dx Sparse-Push's bits$/);
  // A bad override stops the demo before anything is created.
  const bad = await run(['demo', '--set', 'algorithm.gamma=3', '--out', freshDir('demo')]);
  assert.equal(bad.code, 2);
  assert.match(bad.err, /algorithm.gamma/);
});

test('demoClaims: accuracy change and bit ratio on IID, the share of the loss recovered on skew', () => {
  const s = (accuracy: number, bitsSent: number) => ({ final: { accuracy, bitsSent } }) as unknown as RunSummaryFile;
  const lines = demoClaims({
    'iid-sgp': s(0.84, 3000e6), 'iid-sparse-push': s(0.835, 20e6),
    'skew-sgp': s(0.78, 3000e6), 'skew-sparse-push': s(0.64, 20e6), 'skew-sc-sparse-push': s(0.75, 20.4e6),
  });
  assert.deepEqual(lines, [
    'IID: Sparse-Push 83.50% vs SGP 84.00% (-0.50 points) with 150x fewer bits',
    "skew:1: SGP 78.00%, Sparse-Push 64.00% (-14.00 points), Skew-Compensated 75.00%: recovers 79% of Sparse-Push's loss at 1.02x Sparse-Push's bits",
  ]);
});

test('examples/demo.yaml is the demo\'s embedded Sparse-Push config', () => {
  const embedded = demoConfigs().find((c) => c.name === 'skew-sparse-push')!.config;
  assert.deepEqual(loadConfigFile(join(ROOT, 'examples', 'demo.yaml')), embedded);
});

test('config prints the resolved config (YAML or JSON) and the reference', async () => {
  const y = await run(['config', '--set', 'devices=32']);
  assert.equal(y.code, 0);
  assert.equal(resolveConfig(parseYaml(y.out)).devices, 32);
  const j = await run(['config', '--json', '--config', join(ROOT, 'examples', 'faults.yaml')]);
  assert.equal((JSON.parse(j.out) as RunConfig).faults.linkDrop, 0.1);
  const ref = await run(['config', '--reference']);
  assert.match(ref.out, /^\| Key \| Type \| Default \| Description \|/);
  assert.match(ref.out, /\| `algorithm.gamma` \| number in \(0, 1\] \\\| null \| the algorithm's/);
  const bad = await run(['config', '--set', 'algorithm.gamma=1.5']);
  assert.equal(bad.code, 2);
  assert.equal(bad.err, 'sparsepush config: algorithm.gamma: expected a number in (0, 1] or null, got 1.5\n');
});

test('topology and dagc dispatch to their commands', async () => {
  const t = await run(['topology', 'exponential:1', '--nodes', '8']);
  assert.equal(t.code, 0, t.err);
  assert.match(t.out, /out-peers/);
  const d = await run(['dagc', '--volumes', '5,3,1', '--ratio', '0.1']);
  assert.equal(d.code, 0, d.err);
  assert.match(d.out, /DAGC-R/);
});

test('the process entry point: exit codes and a one-line error', () => {
  const out = freshDir('spawn');
  const bad = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'run', '--set', 'algorithm.gamma=1.5', '--out', out], { encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.equal(bad.stderr, 'sparsepush run: algorithm.gamma: expected a number in (0, 1] or null, got 1.5\n');
  assert.equal(existsSync(out), false);
  const version = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, '--version'], { encoding: 'utf8' });
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);
});
