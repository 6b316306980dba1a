/**
 * Scale study: 10,000 simulated devices on one 2-core box, and throughput vs device count.
 *
 *   node --import tsx bench/repro/scale.ts [--quick] [--workers N] [--out DIR]
 *
 * Two parts:
 * 1. Throughput (reuses bench/engine.ts, the engine benchmark, via `--json`): SGP on
 *    exponential:1, softmax regression 784x10 (d = 7,850) on synthetic data, batch 32, no
 *    evaluation inside the timed rounds; rounds/s and device-steps/s for 16, 256, 4,096 and
 *    10,000 devices with 1 and 2 worker threads.
 * 2. End-to-end 10,000-device training through the CLI on Fashion-MNIST (60,000 samples, so 6 per
 *    device; data.smallShards=wrap lets a batch of 32 span reshuffled epochs of a device's 6),
 *    logistic, exponential:1, lr 0.05, momentum 0.9, batch 32, evaluation included:
 *    Sparse-Push with top-1%, gamma 0.05 (the project default), memory `ef` (the `choco` memory
 *    keeps 2 copies per phase of the schedule, 14 phases at this size, which needs ~9 GiB of
 *    arena, above wasm32's 4 GiB; the run refuses with that message), and in full mode also SGP
 *    and the project's example
 *    examples/scale-10000-logistic.yaml (synthetic 64-feature data, choco memory, topk 10% + int8).
 * Quick: 20 rounds of the Sparse-Push run, bench 1 s per point. Full: 100 rounds each, bench 3 s.
 * --workers sets the CLI runs' worker threads (default 1); the bench always measures 1 and 2.
 *
 * Measured runtime on the 2-core shared machine (shared with other agents; varies with their load):
 *   --quick: 1.3-3 minutes; full: about 10 minutes.
 */
import {
  fmtNum, isMain, parseStudyArgs, runMain, Study, UNKNOWN, type Analysis, type RunResult, type RunSpec, type StudyArgSpec, type StudyDefinition, type StudyOptions, type Table,
} from './common.js';
import { formatBits, formatDuration, formatPercent } from '../../src/output/format.js';

const HELP = `bench/repro/scale.ts: 10,000 devices on one box (logistic), and rounds/s vs devices and workers.`;

interface BenchRow {
  devices: number; workers: number; rounds: number; roundsPerS: number; deviceStepsPerS: number; msPerRound: number;
  overheadFraction: number; learnMsPerDeviceStep: number; setupS: number; arenaMiB: number; peakRssMiB: number;
}
interface BenchJson { rows: BenchRow[]; speedups: Array<{ devices: number; speedup2v1: number }> }

const ARGS: StudyArgSpec = { seeds: { quick: 1, full: 1 }, help: HELP };
const DEVICES = [16, 256, 4096, 10000];
const benchSeconds = (opts: StudyOptions): number => (opts.quick ? 1 : 3);

/** The 10,000-device runs through the CLI (the engine benchmark is not a run: see main). */
function plan(opts: StudyOptions): RunSpec[] {
  const q = opts.quick;
  const rounds = q ? 20 : 100;
  const evalEvery = q ? 10 : 20;
  const base = {
    seed: 1, devices: 10000, rounds, evalEvery, model: 'logistic', topology: 'exponential:1',
    // 6 samples per device, fewer than a batch: batches span reshuffled epochs of the shard.
    'data.train': 'fashion-mnist', 'data.test': 'fashion-mnist:test', 'data.partition': 'iid', 'data.volume': 'equal', 'data.smallShards': 'wrap',
    'algorithm.lr': 0.05, 'algorithm.momentum': 0.9, 'algorithm.batchSize': 32, 'algorithm.localSteps': 1,
  };
  const specs: RunSpec[] = [
    { id: 'fmnist-10000-sparse-push-ef-topk0.01', sets: { ...base, 'algorithm.name': 'sparse-push', 'algorithm.memory': 'ef', 'algorithm.gamma': 0.05, compressor: 'topk:0.01' }, tags: { run: 'Sparse-Push (ef), topk:0.01, Fashion-MNIST' } },
  ];
  if (!q) {
    specs.push({ id: 'fmnist-10000-sgp', sets: { ...base, 'algorithm.name': 'sgp', compressor: 'none' }, tags: { run: 'SGP, Fashion-MNIST' } });
    // The project's example file, unchanged but for the worker count.
    specs.push({ id: 'example-scale-10000-logistic', configFile: 'examples/scale-10000-logistic.yaml', sets: {}, tags: { run: 'examples/scale-10000-logistic.yaml (synthetic 64 features, choco, topk:0.1+int8)' } });
  }
  return specs;
}

function analyze(results: readonly RunResult[], opts: StudyOptions, extra: unknown): Analysis {
  const tables: Table[] = [];
  const bench = extra as BenchJson | undefined;
  if (bench) {
    tables.push({
      title: 'Throughput: SGP, logistic 784x10, exponential:1, batch 32 (bench/engine.ts)',
      headers: ['Devices', 'Workers', 'Rounds/s', 'Device-steps/s', 'ms / round', 'Outside learning', 'Learn µs / step', 'Arena', 'Peak RSS', 'Setup', 'Timed rounds'],
      rows: bench.rows.map((b) => [
        String(b.devices), String(b.workers), fmtNum(b.roundsPerS), fmtNum(b.deviceStepsPerS, 4), fmtNum(b.msPerRound), formatPercent(b.overheadFraction, 0),
        fmtNum(1000 * b.learnMsPerDeviceStep), `${b.arenaMiB.toFixed(0)} MiB`, `${b.peakRssMiB.toFixed(0)} MiB`, `${b.setupS.toFixed(1)} s`, String(b.rounds),
      ]),
      caption: `${benchSeconds(opts)} s of timed rounds per point after two warm-up rounds. Outside learning: 1 − (mean worker time inside gradient calls / round wall time): scheduling, sampling, momentum, mixing, barriers, imbalance. 2 workers / 1 worker (device-steps/s): ${bench.speedups.map((s) => `${s.devices}: ${s.speedup2v1.toFixed(2)}x`).join(', ')}.`,
    });
  }
  if (results.length > 0) {
    tables.push({
      title: `10,000 devices end to end through the CLI (${opts.workers} worker thread(s))`,
      headers: ['Run', 'Rounds', 'Avg-model acc. %', 'Device acc. %', 'Consensus dist.', 'Bits sent', 'Wire ratio', 'Wall time', 's / round (incl. eval)', 'Backend'],
      rows: results.map((x) => {
        const f = x.summary.final;
        // The first evaluation (round 0) is always kept: metrics are kept in full (few evaluations).
        const first = x.metrics[0]?.wallTimeS ?? 0;
        const perRound = ((f.wallTimeS ?? x.summary.wallTimeS) - first) / x.summary.rounds;
        return [
          String(x.spec.tags['run']), String(x.summary.rounds), formatPercent(f.accuracy), formatPercent(f.meanDeviceAccuracy), fmtNum(f.consensusDistance),
          formatBits(f.bitsSent ?? 0), fmtNum(f.compressionRatio), formatDuration(x.summary.wallTimeS), x.kept === 'none' ? UNKNOWN : fmtNum(perRound), x.summary.backend,
        ];
      }),
      caption: 'Wall time: the whole run (data loading, arena set-up, training, every evaluation, report). s / round: from the first evaluation (round 0) to the end, evaluations included (the device accuracy evaluates all 10,000 device models on a 200-sample subset). Logistic runs on the WASM kernels (backend "native"), not tfjs.',
    });
  }
  return {
    tables,
    notes: ['The machine is shared with other agents: rates vary with their load (see the load averages); 2 worker threads only help when both cores are free.'],
    reports: results.length > 1 ? [{ file: 'compare-10000.html', title: 'Scale study: 10,000 devices', runs: results.map((r) => r.spec.id) }] : [],
  };
}

export const SCALE_STUDY: StudyDefinition = { id: 'scale', title: 'Scale: 10,000 devices on one box', script: 'bench/repro/scale.ts', args: ARGS, plan, analyze };

async function main(): Promise<void> {
  const opts = parseStudyArgs('scale', ARGS);
  const study = new Study(opts);
  // 1. Throughput, through the engine benchmark (its JSON is the study's raw data, study.json "extra").
  const benchArgs = ['--import', 'tsx', 'bench/engine.ts', '--json', '--devices', DEVICES.join(','), '--workers', '1,2', '--seconds', String(benchSeconds(opts))];
  const r = await study.exec(`node ${benchArgs.join(' ')}`, process.execPath, benchArgs);
  let bench: BenchJson | undefined;
  if (!opts.dryRun) {
    if (r.code !== 0) throw new Error(`bench/engine.ts failed (exit ${r.code}):\n${r.stderr}`);
    bench = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as BenchJson;
    study.log(`engine bench done in ${formatDuration(r.wallS)}`);
  }
  // 2. End-to-end 10,000-device runs through the CLI.
  const results = await study.runAll(plan(opts));
  const analysis = analyze(results, opts, bench);
  for (const rep of analysis.reports) await study.compare(rep.runs.map((id) => results.find((x) => x.spec.id === id)!), rep.file, rep.title);
  study.finish(analysis, bench);
}

if (isMain(import.meta.url)) runMain(main);
