/**
 * Engine scale benchmark: logistic regression (784 features x 10 classes, d = 7850) on synthetic
 * data, SGP on exponential:1, batch 32, one local step, no evaluation inside the timed rounds.
 *
 *   node --import tsx bench/engine.ts [--quick] [--json] [--devices 16,256] [--workers 1,2] [--seconds 3]
 *
 * Reports per (devices, workers): rounds/s, device-steps/s, the fraction of round time spent
 * outside learning (the "scheduling, messages, mixing": sending, mixing, finiteness checks,
 * dispatch, barriers and load imbalance: 1 - mean worker time inside the algorithm's local-step hook
 * / round wall time; the local step is batch sampling, de-biasing, the gradient and the optimizer
 * update), the stricter fraction outside the learner's gradient calls alone (which also counts
 * sampling, de-biasing and the momentum update as overhead), arena size and peak RSS
 * (process.resourceUsage().maxRSS, which includes the touched shared arena). Each (devices,
 * workers) point runs in its own child process, so its peak RSS is its own. Rounds run in batches
 * of 10 (Simulation.steps), as a run with the default evalEvery = 10 dispatches them.
 *
 * On a shared machine wall-clock figures move with the load, so each row also carries the
 * process's CPU time per round and the time its threads sat runnable waiting for a CPU (Linux
 * /proc/self/task/<tid>/schedstat), and the load average at the start of the point.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { DEFAULT_CONFIG } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import type { Dataset, Partition } from '../src/data/types.js';
import { Simulation } from '../src/engine/simulation.js';
import { benchArgs } from './args.js';
import { pointInChild } from './support.js';

interface Row {
  devices: number;
  workers: number;
  rounds: number;
  roundsPerS: number;
  deviceStepsPerS: number;
  msPerRound: number;
  /** Outside the local-step hooks (send, mix, checks, scheduling, dispatch, barriers, imbalance). */
  overheadFraction: number;
  /** Outside the learner's gradient calls alone (also counts sampling, de-biasing, the optimizer update). */
  outsideGradientFraction: number;
  /** Part of overheadFraction inside the worker tasks (send, mix, checks, bookkeeping). */
  inTaskFraction: number;
  /** Part of it outside the tasks (dispatch, wake-ups, barrier waits, imbalance). */
  dispatchFraction: number;
  learnMsPerDeviceStep: number;
  /** CPU time of all the process's threads per round (ms). */
  cpuMsPerRound: number;
  /** Device steps per CPU-second of the process (less sensitive to the machine's load than wall-clock rates). */
  deviceStepsPerCpuS: number;
  /** Time the process's threads were runnable but waiting for a CPU, per round (ms; null off Linux). */
  runqueueMsPerRound: number | null;
  /** 1-minute load average when the point started. */
  load1: number;
  setupS: number;
  arenaMiB: number;
  peakRssMiB: number;
}

const FEATURES = 784;
const CLASSES = 10;

const ROUNDS_PER_BATCH = 10;

/** Cheap synthetic blobs (xorshift noise around per-class means): throughput does not care about realism. */
function makeData(count: number, seed: number): Dataset {
  let s = seed >>> 0 || 1;
  const rnd = (): number => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 - 0.5; };
  const means = new Float32Array(CLASSES * FEATURES);
  for (let i = 0; i < means.length; i++) means[i] = rnd();
  const x = new Float32Array(new SharedArrayBuffer(count * FEATURES * 4));
  const y = new Uint8Array(new SharedArrayBuffer(count));
  for (let i = 0; i < count; i++) {
    const c = i % CLASSES;
    y[i] = c;
    const row = i * FEATURES;
    for (let j = 0; j < FEATURES; j++) x[row + j] = means[c * FEATURES + j]! + rnd();
  }
  return { name: `bench:${count}`, count, features: FEATURES, shape: [FEATURES], classes: CLASSES, x, y };
}

/** [on-CPU ns, runqueue-wait ns] summed over the process's threads (Linux), else CPU from process.cpuUsage(). */
function cpuSample(): [number, number | null] {
  if (existsSync('/proc/self/task')) {
    let run = 0;
    let wait = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      try {
        const [r, w] = readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ').map(Number);
        run += r!;
        wait += w!;
      } catch { /* the thread ended */ }
    }
    return [run, wait];
  }
  const u = process.cpuUsage();
  return [1000 * (u.user + u.system), null];
}

function contiguousShards(n: number, per: number): Partition {
  return { shards: Array.from({ length: n }, (_, i) => Uint32Array.from({ length: per }, (_, k) => i * per + k)) };
}

async function measure(n: number, workers: number, seconds: number): Promise<Row> {
  const load1 = loadavg()[0]!;
  const per = n >= 4096 ? 16 : 64;
  const test = makeData(256, 9);
  const config: RunConfig = {
    ...DEFAULT_CONFIG,
    devices: n, rounds: 1_000_000, evalEvery: 1_000_000, model: 'logistic', topology: 'exponential:1',
    // 16 samples per device from 4096 devices on: batches of 32 span two reshuffled epochs.
    data: { ...DEFAULT_CONFIG.data, smallShards: 'wrap' },
    algorithm: { ...DEFAULT_CONFIG.algorithm, name: 'sgp', lr: 0.01, momentum: 0.9, batchSize: 32, localSteps: 1 },
    compressor: 'none', workers,
  };
  const t0 = performance.now();
  // The dataset is only referenced during setup (the engine copies it into the arena).
  const sim = await Simulation.create(config, { workers, data: { train: makeData(n * per, 7), test }, partition: contiguousShards(n, per) });
  const setupS = (performance.now() - t0) / 1000;
  try {
    await sim.step(); // warm-up: first batches, JIT
    await sim.step();
    let rounds = 0;
    let wallMs = 0;
    let learnMs = 0;
    let localMs = 0;
    let busyMs = 0;
    const [cpu0, wait0] = cpuSample();
    const start = performance.now();
    while (rounds < 3 || (performance.now() - start) / 1000 < seconds) {
      const r0 = performance.now();
      await sim.steps(ROUNDS_PER_BATCH);
      wallMs += performance.now() - r0;
      for (const t of sim.lastTimings) { learnMs += t.learnMs; localMs += t.localMs; busyMs += t.busyMs; }
      rounds += ROUNDS_PER_BATCH;
    }
    const [cpu1, wait1] = cpuSample();
    const cpuMs = (cpu1 - cpu0) / 1e6;
    const arenaMiB = sim.layout.totalBytes / 2 ** 20;
    return {
      devices: n, workers: sim.workers, rounds,
      roundsPerS: rounds / (wallMs / 1000),
      deviceStepsPerS: (rounds * n) / (wallMs / 1000),
      msPerRound: wallMs / rounds,
      overheadFraction: 1 - localMs / sim.workers / wallMs,
      outsideGradientFraction: 1 - learnMs / sim.workers / wallMs,
      inTaskFraction: (busyMs - localMs) / sim.workers / wallMs,
      dispatchFraction: 1 - busyMs / sim.workers / wallMs,
      learnMsPerDeviceStep: learnMs / (rounds * n),
      cpuMsPerRound: cpuMs / rounds,
      deviceStepsPerCpuS: (rounds * n) / (cpuMs / 1000),
      runqueueMsPerRound: wait0 === null || wait1 === null ? null : (wait1 - wait0) / 1e6 / rounds,
      load1,
      setupS,
      arenaMiB,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await sim.close();
  }
}

async function main(): Promise<void> {
  const { values: opts } = benchArgs({
    script: 'bench/engine.ts',
    purpose: 'Engine throughput: SGP on exponential:1, logistic 784x10, per (devices, workers) point in a child process.',
    options: {
      quick: { type: 'boolean', description: 'fewer device counts and 1 s per point' },
      json: { type: 'boolean', description: 'one JSON document on stdout' },
      devices: { type: 'numbers', integer: true, min: 1, description: 'device counts', defaultText: '16,256,4096,10000; 16,256 with --quick' },
      workers: { type: 'numbers', integer: true, min: 1, default: [1, 2], description: 'worker thread counts' },
      seconds: { type: 'number', above: 0, description: 'timed seconds per point (at least one batch of 10 rounds)', defaultText: '3; 1 with --quick' },
      single: { type: 'numbers', integer: true, min: 1, length: 2, placeholder: 'N,W', description: 'internal: measure one point (N devices, W workers) and print its row as JSON' },
    },
  });
  const devices = opts.devices ?? (opts.quick ? [16, 256] : [16, 256, 4096, 10000]);
  const workerCounts = opts.workers;
  const seconds = opts.seconds ?? (opts.quick ? 1 : 3);
  const json = opts.json;
  if (opts.single) {
    const [n, w] = opts.single as [number, number];
    console.log(JSON.stringify(await measure(n, w, seconds)));
    return;
  }
  const rows: Row[] = [];
  for (const n of devices) {
    for (const w of workerCounts) {
      const row = pointInChild<Row>(['--single', `${n},${w}`, '--seconds', String(seconds)], `bench point n=${n} workers=${w}`);
      rows.push(row);
      if (!json) {
        console.log(`n=${String(n).padStart(5)} workers=${w}: ${row.msPerRound.toFixed(1).padStart(8)} ms/round  ${row.roundsPerS.toFixed(2).padStart(8)} rounds/s  ${Math.round(row.deviceStepsPerS).toString().padStart(7)} device-steps/s  outside learning ${(100 * row.overheadFraction).toFixed(1)}% (in tasks ${(100 * row.inTaskFraction).toFixed(1)}%, dispatch+barrier ${(100 * row.dispatchFraction).toFixed(1)}%; outside gradient calls ${(100 * row.outsideGradientFraction).toFixed(1)}%)  learn ${(1000 * row.learnMsPerDeviceStep).toFixed(0)} us/step  cpu ${row.cpuMsPerRound.toFixed(1)} ms/round (${Math.round(row.deviceStepsPerCpuS)} steps/cpu-s), runqueue wait ${row.runqueueMsPerRound === null ? '-' : row.runqueueMsPerRound.toFixed(1)} ms/round, load ${row.load1.toFixed(1)}  arena ${row.arenaMiB.toFixed(0)} MiB  peak RSS ${row.peakRssMiB.toFixed(0)} MiB  (setup ${row.setupS.toFixed(1)} s, ${row.rounds} rounds)`);
      }
    }
  }
  const speedups = devices.map((n) => {
    const one = rows.find((r) => r.devices === n && r.workers === 1);
    const two = rows.find((r) => r.devices === n && r.workers === 2);
    return one && two ? { devices: n, speedup2v1: two.deviceStepsPerS / one.deviceStepsPerS } : null;
  }).filter((s) => s !== null);
  if (json) {
    console.log(JSON.stringify({ bench: 'engine', model: 'logistic 784x10', algorithm: 'sgp', topology: 'exponential:1', batchSize: 32, localSteps: 1, rows, speedups }, null, 2));
  } else {
    for (const s of speedups) console.log(`n=${s!.devices}: 2 workers / 1 worker = ${s!.speedup2v1.toFixed(2)}x`);
  }
}

await main();
