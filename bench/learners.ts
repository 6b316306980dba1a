/**
 * Learner benchmark: milliseconds per local step (one gradient call, batch 32, on synthetic data)
 * for each model on the tfjs backend in use, plus the per-step cost of the flat-parameter bridge
 * (parameter tensors made from the flat Float32Array, gradients copied back into one).
 *
 *   node --import tsx bench/learners.ts [--quick] [--json] [--backend auto|wasm|cpu|tensorflow] [--models mlp:128,64,lenet]
 *
 * Models: logistic (only when the native learner registers), mlp:128,64 and lenet on 28x28x1,
 * resnet20 and vgg11:16 on 32x32x3 (few iterations: a ResNet-20 step takes most of a second).
 * Single-threaded; numbers on a shared machine vary by 2x with load, so min and median are given.
 */
import { Bench } from 'tinybench';
import { BACKEND_CHOICES, selectBackend, tf, type BackendChoice } from '../src/models/backend.js';
import { createLearner, nativeLearners, registerNativeLogistic } from '../src/models/registry.js';
import { TfjsLearner } from '../src/models/tfjs/learner.js';
import type { Batch, Learner } from '../src/models/types.js';
import { benchArgs } from './args.js';
import { median } from './support.js';

interface Row {
  model: string;
  backend: string;
  inputShape: string;
  batch: number;
  params: number;
  samples: number;
  msPerStepMean: number;
  msPerStepMedian: number;
  msPerStepMin: number;
  samplesPerS: number;
  gflopsPerS: number;
  bridgeInMs: number | null;
  bridgeOutMs: number | null;
  bridgeFraction: number | null;
  wasmHeapMiB: number | null;
}

const BATCH = 32;

/** Cheap deterministic inputs (xorshift): speed does not depend on the values. */
function syntheticBatch(features: number, classes: number, count: number): Batch {
  let s = 0x2545f491;
  const x = new Float32Array(count * features);
  for (let i = 0; i < x.length; i++) { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; x[i] = s / 4294967296 - 0.5; }
  const y = Uint8Array.from({ length: count }, (_, i) => i % classes);
  return { x, y, count };
}

function wasmHeapMiB(): number | null {
  if (tf.getBackend() !== 'wasm') return null;
  const heap = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.byteLength / 2 ** 20 : null;
}

async function measure(l: Learner, shape: readonly number[], iterations: number, timeMs: number): Promise<Row> {
  const features = shape.reduce((a, b) => a * b, 1);
  const batch = syntheticBatch(features, 10, BATCH);
  const params = new Float32Array(l.paramCount);
  const state = new Float32Array(l.stateCount);
  const grad = new Float32Array(l.paramCount);
  l.init(params, state, 1);

  const bench = new Bench({ iterations, time: timeMs, warmupIterations: 1, warmupTime: 0, retainSamples: true });
  bench.add(l.spec, async () => { await l.gradient(params, state, batch, grad); });
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed') throw new Error(`${l.spec}: benchmark ${r.state}${'error' in r ? `: ${String(r.error)}` : ''}`);
  const samples = r.latency.samples ?? [];

  let bridgeIn: number | null = null;
  let bridgeOut: number | null = null;
  if (l instanceof TfjsLearner) {
    const ins: number[] = [];
    const outs: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t = await l.bridgeRoundTrip(params, grad);
      if (i > 0) { ins.push(t.inMs); outs.push(t.outMs); }
    }
    bridgeIn = median(ins);
    bridgeOut = median(outs);
  }
  const med = samples.length ? median(samples) : r.latency.p50;
  return {
    model: l.spec,
    backend: l.backend,
    inputShape: shape.join('x'),
    batch: BATCH,
    params: l.paramCount,
    samples: r.latency.samplesCount,
    msPerStepMean: r.latency.mean,
    msPerStepMedian: med,
    msPerStepMin: r.latency.min,
    samplesPerS: (1000 * BATCH) / med,
    gflopsPerS: (l.flopsPerSample * BATCH) / (med * 1e6),
    bridgeInMs: bridgeIn,
    bridgeOutMs: bridgeOut,
    bridgeFraction: bridgeIn === null || bridgeOut === null ? null : (bridgeIn + bridgeOut) / med,
    wasmHeapMiB: l.backend === 'wasm' ? wasmHeapMiB() : null,
  };
}

/** The models timed, with their input shape and how long each is timed (full run, --quick). */
const MODELS: ReadonlyArray<{ spec: string; shape: number[]; iterations: [number, number]; timeMs: [number, number] }> = [
  { spec: 'logistic', shape: [28, 28, 1], iterations: [200, 50], timeMs: [1000, 200] },
  { spec: 'mlp:128,64', shape: [28, 28, 1], iterations: [50, 10], timeMs: [2000, 300] },
  { spec: 'lenet', shape: [28, 28, 1], iterations: [30, 10], timeMs: [2000, 300] },
  { spec: 'resnet20', shape: [32, 32, 3], iterations: [6, 2], timeMs: [0, 0] },
  { spec: 'vgg11:16', shape: [32, 32, 3], iterations: [6, 2], timeMs: [0, 0] },
];

async function main(): Promise<void> {
  const { values: opts, fail } = benchArgs({
    script: 'bench/learners.ts',
    purpose: 'Milliseconds per local step (one gradient call, batch 32) of each model on the tfjs backend, and the flat-parameter bridge.',
    options: {
      quick: { type: 'boolean', description: 'fewer iterations' },
      json: { type: 'boolean', description: 'one JSON document on stdout' },
      backend: { type: 'string', choices: BACKEND_CHOICES, default: 'auto', description: 'tfjs backend' },
      models: { type: 'string', placeholder: 'LIST', description: `models to time, comma-separated (of ${MODELS.map((m) => m.spec).join(' ')})`, defaultText: 'all' },
    },
  });
  const { quick, json } = opts;
  const choice = opts.backend as BackendChoice;
  // Model specs hold commas themselves (mlp:128,64): a new spec starts at a comma before a letter.
  const only = opts.models?.split(/,(?=[a-z])/);
  const unknown = only?.filter((spec) => !MODELS.some((m) => m.spec === spec)) ?? [];
  if (unknown.length > 0) fail(`--models: unknown model ${unknown.map((u) => `'${u}'`).join(', ')} (models: ${MODELS.map((m) => m.spec).join(' ')})`);
  const backend = await selectBackend(choice);

  await registerNativeLogistic();

  const wanted = MODELS.filter((m) => !only || only.includes(m.spec)).map((m) => ({
    spec: m.spec, shape: m.shape, iterations: m.iterations[quick ? 1 : 0], timeMs: m.timeMs[quick ? 1 : 0],
  }));
  const rows: Row[] = [];
  for (const m of wanted) {
    if (m.spec === 'logistic' && !nativeLearners.has('logistic')) continue;
    const l = await createLearner(m.spec, { inputShape: m.shape, classes: 10, backend: choice });
    try {
      const row = await measure(l, m.shape, m.iterations, m.timeMs);
      rows.push(row);
      if (!json) {
        const bridge = row.bridgeInMs === null ? '-' : `${row.bridgeInMs.toFixed(3)} in + ${row.bridgeOutMs!.toFixed(3)} out ms (${(100 * row.bridgeFraction!).toFixed(2)}%)`;
        console.log(`${row.model.padEnd(11)} ${row.backend.padEnd(7)} ${row.inputShape.padEnd(8)} params ${String(row.params).padStart(8)}  ` +
          `step ${row.msPerStepMedian.toFixed(1).padStart(7)} ms (min ${row.msPerStepMin.toFixed(1)}, n=${row.samples})  ` +
          `${row.samplesPerS.toFixed(0).padStart(6)} samples/s  ${row.gflopsPerS.toFixed(2)} GFLOP/s  bridge ${bridge}` +
          (row.wasmHeapMiB === null ? '' : `  heap ${row.wasmHeapMiB.toFixed(0)} MiB`));
      }
    } finally {
      l.dispose();
    }
  }
  if (json) {
    console.log(JSON.stringify({ bench: 'learners', backend, batch: BATCH, quick, node: process.version, rows }, null, 2));
  }
}

await main();
