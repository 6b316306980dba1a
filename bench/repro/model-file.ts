/**
 * The trained model as a file, checked with numpy: a 1,000-round SGP run of softmax regression
 * on a CSV set, then scripts/check_softmax_model.py (numpy + scipy, no sparsepush code) loads the
 * run's model.npz and recomputes the test accuracy, the training objective (the run's trainLoss)
 * and the objective's optimum (full-batch L-BFGS).
 *
 *   node --import tsx bench/repro/model-file.ts [--out DIR] [--rounds 1000] [--reuse] [--record]
 *   node --import tsx bench/repro/model-file.ts --from docs/results/model-file   (the table of a recorded check)
 *
 * The CSV set: the packaged MNIST split (8,000 training / 2,000 test digits, src/data/mnist.ts),
 * pixels in [0, 1] written with 4 decimals, label last: DIR/data/train.csv and test.csv. The run
 * goes through the public command line (`sparsepush run ...`, printed and saved to
 * DIR/commands.sh, paths relative to the repository root) into DIR/run; the check's JSON goes to
 * DIR/check.json. --reuse keeps an existing DIR/run. --record copies the run's summary, metrics,
 * resolved config and model.npz, check.json and commands.sh to docs/results/model-file/ (the
 * CSV files are not committed: this script re-creates them from the package).
 * Exit code 1 when a criterion fails: numpy's accuracy != the reported one,
 * |numpy objective - trainLoss| > 1e-5, or trainLoss - optimum > GAP_LIMIT.
 */
import { spawnSync } from 'node:child_process';
import { benchArgs } from '../args.js';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDataset } from '../../src/data/index.js';
import type { Dataset } from '../../src/data/types.js';
import { isMain, markdownTable } from './common.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The largest trainLoss − (the objective's minimum) the check accepts. */
export const GAP_LIMIT = 0.015;

interface Options { out: string; rounds: number; reuse: boolean; record: boolean; from: string | null }

/** What scripts/check_softmax_model.py prints (check.json). */
export interface ModelCheck {
  trainSamples: number; weightDecay: number; accuracy: number; reportedAccuracy: number; objective: number; reportedTrainLoss: number;
  objectiveMinusTrainLoss: number; optimum: number; optimumGradNorm: number;
}

/** The run's summary.json fields the table reads. */
export interface CheckedRun { final: { accuracy: number; trainLoss: number } }

/** numpy's figures beside the run's as a Markdown table (docs/results/model-file/README.md). */
export function modelFileTable(c: ModelCheck, run: CheckedRun): string {
  return markdownTable(['quantity', 'numpy on model.npz', 'the run (summary.json)'], [
    ['test accuracy', c.accuracy.toFixed(4), `\`final.accuracy\` ${run.final.accuracy.toFixed(4)}`],
    [`training objective: mean cross-entropy over the ${c.trainSamples.toLocaleString('en-US')} training samples + ${c.weightDecay}/2·‖(W, b)‖²`, c.objective.toFixed(11),
      `\`final.trainLoss\` ${run.final.trainLoss.toFixed(11)} (difference ${c.objectiveMinusTrainLoss.toExponential(1)})`],
    [`the objective's minimum (full-batch L-BFGS, float64, gradient norm ${c.optimumGradNorm.toExponential(1)})`, c.optimum.toFixed(11), ''],
    ['trainLoss − minimum', '', `${(run.final.trainLoss - c.optimum).toFixed(4)} (criterion: ≤ ${GAP_LIMIT})`],
  ]);
}

function parseOptions(): Options {
  const { values } = benchArgs({
    script: 'bench/repro/model-file.ts',
    purpose: 'A 1,000-round SGP run of softmax regression on a CSV set, its model.npz checked with numpy (scripts/check_softmax_model.py).',
    options: {
      out: { type: 'string', placeholder: 'DIR', description: 'working directory: the CSV files, the run, check.json, commands.sh', defaultText: 'runs/repro/model-file' },
      rounds: { type: 'number', integer: true, min: 1, default: 1000, description: 'rounds of the run' },
      reuse: { type: 'boolean', description: 'keep an existing DIR/run instead of training again' },
      record: { type: 'boolean', description: 'copy the run and the check to docs/results/model-file/' },
      from: { type: 'string', placeholder: 'DIR', description: 'only print the table of a recorded check (e.g. docs/results/model-file)' },
    },
  });
  return {
    out: resolve(values.out ?? join(ROOT, 'runs', 'repro', 'model-file')), rounds: values.rounds, reuse: values.reuse, record: values.record,
    from: values.from === undefined ? null : resolve(values.from),
  };
}

function writeCsv(file: string, data: Dataset): void {
  const f = data.features;
  const lines: string[] = [];
  for (let i = 0; i < data.count; i++) {
    const row: string[] = [];
    for (let j = 0; j < f; j++) {
      const v = data.x[i * f + j]!;
      row.push(v === 0 ? '0' : String(Number(v.toFixed(4))));
    }
    row.push(String(data.y[i]));
    lines.push(row.join(','));
  }
  writeFileSync(file, `${lines.join('\n')}\n`);
}

/** The run's settings, as --set arguments (everything else: the defaults). */
function runArgs(train: string, test: string, rounds: number): string[] {
  const sets = {
    name: 'sgp-softmax-mnist-csv', seed: 1, devices: 16, rounds, evalEvery: 100, model: 'logistic',
    'data.train': `csv:${train}`, 'data.test': `csv:${test}`, topology: 'exponential:1', compressor: 'none',
    'algorithm.name': 'sgp', 'algorithm.lr': 0.1, 'algorithm.lrSchedule': 'cosine', 'algorithm.momentum': 0.9,
    'algorithm.weightDecay': 0.001, 'algorithm.batchSize': 32, 'algorithm.localSteps': 1,
  };
  return Object.entries(sets).flatMap(([k, v]) => ['--set', `${k}=${v}`]);
}

async function main(): Promise<void> {
  const opts = parseOptions();
  if (opts.from !== null) {
    const read = <T>(f: string): T => JSON.parse(readFileSync(join(opts.from!, f), 'utf8')) as T;
    console.log(modelFileTable(read<ModelCheck>('check.json'), read<CheckedRun>(join('run', 'summary.json'))));
    return;
  }
  const dataDir = join(opts.out, 'data');
  const runDir = join(opts.out, 'run');
  mkdirSync(dataDir, { recursive: true });
  const trainCsv = join(dataDir, 'train.csv');
  const testCsv = join(dataDir, 'test.csv');
  const cacheDir = join(opts.out, 'cache');
  writeCsv(trainCsv, await loadDataset('mnist', { split: 'train', seed: 1, cacheDir }));
  writeCsv(testCsv, await loadDataset('mnist:test', { split: 'train', seed: 1, cacheDir }));

  // Paths relative to the repository root (the working directory of both commands).
  const rel = (p: string): string => relative(ROOT, p);
  const cli = ['--import', 'tsx', join(ROOT, 'src', 'cli', 'entry.ts'), 'run', ...runArgs(rel(trainCsv), rel(testCsv), opts.rounds), '--out', rel(runDir), '--quiet'];
  const shown = ['sparsepush', ...cli.slice(3)].map((a) => (/[\s=:]/.test(a) ? `'${a}'` : a)).join(' ');
  const check = ['python3', 'scripts/check_softmax_model.py', rel(runDir), rel(trainCsv), rel(testCsv)];
  writeFileSync(join(opts.out, 'commands.sh'), `${shown}\n${check.join(' ')} > check.json\n`);
  if (!(opts.reuse && existsSync(join(runDir, 'summary.json')))) {
    console.log(shown);
    const r = spawnSync(process.execPath, cli, { stdio: 'inherit', cwd: ROOT });
    if (r.status !== 0) throw new Error(`the run failed (exit ${r.status})`);
  }
  console.log(check.join(' '));
  const py = spawnSync(check[0]!, check.slice(1), { encoding: 'utf8', cwd: ROOT });
  if (py.status !== 0) throw new Error(`the numpy check failed: ${py.stderr}`);
  writeFileSync(join(opts.out, 'check.json'), py.stdout);
  const c = JSON.parse(py.stdout) as Record<string, number>;
  const criteria: Array<[string, boolean]> = [
    [`numpy accuracy ${c['accuracy']} = reported ${c['reportedAccuracy']}`, c['accuracy'] === c['reportedAccuracy']],
    [`numpy objective ${c['objective']!.toFixed(6)} = trainLoss ${c['reportedTrainLoss']!.toFixed(6)} (|diff| ${Math.abs(c['objectiveMinusTrainLoss']!).toExponential(1)} <= 1e-5)`, Math.abs(c['objectiveMinusTrainLoss']!) <= 1e-5],
    [`trainLoss - optimum ${c['optimum']!.toFixed(6)} = ${(c['reportedTrainLoss']! - c['optimum']!).toFixed(4)} <= ${GAP_LIMIT}`, c['reportedTrainLoss']! - c['optimum']! <= GAP_LIMIT],
  ];
  for (const [what, ok] of criteria) console.log(`${ok ? 'ok    ' : 'FAILED'} ${what}`);
  const summary = JSON.parse(readFileSync(join(runDir, 'summary.json'), 'utf8')) as { rounds: number; wallTimeS: number };
  console.log(`${summary.rounds} rounds in ${summary.wallTimeS.toFixed(1)} s; results in ${opts.out}`);
  if (criteria.some(([, ok]) => !ok)) process.exitCode = 1;
  if (opts.record) {
    const dest = join(ROOT, 'docs', 'results', 'model-file');
    mkdirSync(join(dest, 'run'), { recursive: true });
    for (const f of ['summary.json', 'metrics.jsonl', 'config.resolved.yaml', 'model.npz']) copyFileSync(join(runDir, f), join(dest, 'run', f));
    for (const f of ['check.json', 'commands.sh']) copyFileSync(join(opts.out, f), join(dest, f));
    console.log(`recorded in ${rel(dest)}`);
  }
}

if (isMain(import.meta.url)) await main();
