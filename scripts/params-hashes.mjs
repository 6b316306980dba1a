// Runs a fixed set of short runs through the library and prints run name -> summary paramsHash as
// JSON, so a refactoring that must not change results can be checked against the recorded hashes.
//
//   node --import tsx scripts/params-hashes.mjs            print the hashes
//   node --import tsx scripts/params-hashes.mjs --check    compare with scripts/params-hashes.expected.json (exit 1 on a difference)
//   node --import tsx scripts/params-hashes.mjs --write    record them there
//
// Every algorithm (logistic model on synthetic data) runs with 1 and 2 workers, plus faults, the lr
// schedules, partial participation, an mlp (tfjs learner), an inline run and a checkpoint + resume.
// The 1- and 2-worker hashes of a run must also agree (determinism); that is checked in every mode.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveConfig, runExperiment } from '../src/index.ts';

const EXPECTED = join(dirname(fileURLToPath(import.meta.url)), 'params-hashes.expected.json');

/** Common settings: 8 devices, 40 rounds (so multi-round tasks with between-round barriers run), logistic, synthetic blobs. */
function config(name, overrides = {}) {
  const { algorithm = {}, data = {}, ...rest } = overrides;
  return resolveConfig({
    name, seed: 3, devices: 8, rounds: 40, evalEvery: 20, model: 'logistic', topology: 'exponential:1', compressor: 'none',
    data: { train: 'synthetic:1200,12,4', test: null, ...data },
    algorithm: { name: 'sgp', lr: 0.05, momentum: 0.9, weightDecay: 1e-4, batchSize: 8, localSteps: 2, ...algorithm },
    ...rest,
  });
}

/** name -> config of every run (each runs with 1 and 2 workers). */
const RUNS = {
  sgp: config('sgp'),
  'sparse-push-choco': config('sparse-push-choco', { compressor: 'topk:0.1+int8', algorithm: { name: 'sparse-push', memory: 'choco' } }),
  'sparse-push-ef': config('sparse-push-ef', { compressor: 'topk:0.1+int8', algorithm: { name: 'sparse-push', memory: 'ef' } }),
  'sc-sparse-push': config('sc-sparse-push', { compressor: 'topk:0.1+int8', algorithm: { name: 'sc-sparse-push' } }),
  dpsgd: config('dpsgd', { topology: 'ring', algorithm: { name: 'dpsgd' } }),
  choco: config('choco', { topology: 'ring', compressor: 'topk:0.2', algorithm: { name: 'choco' } }),
  'ef-sgd': config('ef-sgd', { rounds: 20, evalEvery: 10, compressor: 'topk:0.1', algorithm: { name: 'ef-sgd' } }),
  'dagc-r': config('dagc-r', { rounds: 20, evalEvery: 10, compressor: 'topk:0.1', data: { volume: 'volume:4' }, algorithm: { name: 'dagc-r' } }),
  'dagc-a': config('dagc-a', { rounds: 20, evalEvery: 10, compressor: 'threshold:0.05', data: { volume: 'volume:4' }, algorithm: { name: 'dagc-a' } }),
  'ef-sgd-participation': config('ef-sgd-participation', { rounds: 20, evalEvery: 10, compressor: 'topk:0.1+int8', algorithm: { name: 'ef-sgd', participation: 0.5 } }),
  'sgp-faults': config('sgp-faults', { faults: { linkDrop: 0.1, offline: 0.1 } }),
  'sparse-push-faults': config('sparse-push-faults', { compressor: 'topk:0.1+int8', faults: { linkDrop: 0.05, offline: 0.1 }, algorithm: { name: 'sparse-push' } }),
  'sparse-push-cosine': config('sparse-push-cosine', { compressor: 'topk:0.1', algorithm: { name: 'sparse-push', lrSchedule: 'cosine' } }),
  'sgp-step': config('sgp-step', { data: { partition: 'skew:1' }, algorithm: { lrSchedule: 'step:0.5,0.75' } }),
  'mlp-sgp': config('mlp-sgp', { model: 'mlp:8', devices: 4, rounds: 6, evalEvery: 3, backend: 'cpu' }),
};

/** A run of `rounds` rounds that stops after a checkpoint at `stopAt` and resumes: the same hash as an uninterrupted run. */
async function resumed(dir, name, base, workers) {
  const out = join(dir, `${name}-w${workers}`);
  const first = { ...base, rounds: 24, checkpoint: { every: 12, dir: null } };
  await runExperiment(first, { outDir: out, workers });
  const s = await runExperiment({ ...base, checkpoint: { every: 12, dir: null } }, { outDir: out, workers, resume: true });
  return s.paramsHash;
}

async function collect() {
  const dir = mkdtempSync(join(tmpdir(), 'sp-hashes-'));
  const hashes = {};
  try {
    for (const [name, cfg] of Object.entries(RUNS)) {
      for (const workers of [1, 2]) {
        const s = await runExperiment(cfg, { outDir: join(dir, `${name}-w${workers}`), workers });
        hashes[`${name}@w${workers}`] = s.paramsHash;
      }
    }
    hashes['sparse-push-choco@inline'] = (await runExperiment(RUNS['sparse-push-choco'], { outDir: join(dir, 'inline'), inline: true })).paramsHash;
    const resumeBase = config('sparse-push-resume', { compressor: 'topk:0.1+int8', algorithm: { name: 'sparse-push' } });
    const serverBase = config('ef-sgd-resume', { compressor: 'topk:0.1', algorithm: { name: 'ef-sgd' } });
    for (const workers of [1, 2]) {
      hashes[`sparse-push-resume@w${workers}`] = await resumed(dir, 'sparse-push-resume', resumeBase, workers);
      hashes[`ef-sgd-resume@w${workers}`] = await resumed(dir, 'ef-sgd-resume', serverBase, workers);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return hashes;
}

/** Names whose runs must share a hash: the same run with 1 and 2 workers, inline, resumed. */
function determinismProblems(h) {
  const problems = [];
  for (const name of [...Object.keys(RUNS), 'sparse-push-resume', 'ef-sgd-resume']) {
    if (h[`${name}@w1`] !== h[`${name}@w2`]) problems.push(`${name}: 1 worker ${h[`${name}@w1`]} != 2 workers ${h[`${name}@w2`]}`);
  }
  if (h['sparse-push-choco@inline'] !== h['sparse-push-choco@w1']) problems.push('sparse-push-choco: inline differs from the pool');
  if (h['sparse-push-resume@w1'] !== h['sparse-push-choco@w1']) problems.push('sparse-push: checkpoint + resume differs from the uninterrupted run');
  return problems;
}

const mode = process.argv[2];
if (mode !== undefined && mode !== '--check' && mode !== '--write') {
  console.error('usage: node --import tsx scripts/params-hashes.mjs [--check|--write]');
  process.exit(2);
}
const hashes = await collect();
const problems = determinismProblems(hashes);
if (mode === '--write') writeFileSync(EXPECTED, `${JSON.stringify(hashes, null, 2)}\n`);
if (mode === '--check') {
  const expected = JSON.parse(readFileSync(EXPECTED, 'utf8'));
  for (const name of new Set([...Object.keys(expected), ...Object.keys(hashes)])) {
    if (expected[name] !== hashes[name]) problems.push(`${name}: expected ${expected[name] ?? '(none)'}, got ${hashes[name] ?? '(none)'}`);
  }
}
console.log(JSON.stringify(hashes, null, 2));
if (problems.length > 0) {
  console.error(`${problems.length} difference(s):\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
if (mode === '--check') console.error(`all ${Object.keys(hashes).length} hashes match ${EXPECTED}`);
