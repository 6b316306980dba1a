/**
 * Beyond one process: softmax regression 784 x 10 with 60,000 devices (synthetic blobs of MNIST's
 * shape and size: 60,000 training samples, one per device, batches wrap),
 * Sparse-Push with memory ef and top-1% messages on exponential:1. One process refuses it before
 * allocating (its arena would pass the 4 GiB wasm32 limit); 4 host processes on this machine run
 * it. Not a test: it needs ~10 GB of memory and minutes.
 *
 *   node --import tsx bench/nats-scale.ts [--json] [--devices 60000] [--hosts 4] [--rounds 10] [--evaluate]
 *   node --import tsx bench/nats-scale.ts --from docs/results/nats/scale.json   (the text report of a stored --json run)
 *
 * Prints the single process's refusal, then per round the wall time (each round its own task),
 * each host's device range, arena size and peak resident set (VmHWM), the coordinator's peak
 * resident set, and with --evaluate the metrics after the last round (one evaluation of every
 * device: slow).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setKey } from '../src/config/load.js';
import { resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { hashParams } from '../src/engine/run.js';
import { NatsRun } from '../src/transport/nats/distributed.js';
import type { ChildRun } from '../test/support/child.js';
import { serverTraffic, spawnCli, startNatsServer } from '../test/support/nats.js';
import { benchArgs } from './args.js';
import { machine, median, residentMiB } from './support.js';

const SETS = (n: number): string[] => [
  `devices=${n}`, 'model=logistic', `data.train=synthetic:${n},784,10`, 'data.test=synthetic:10000,784,10', 'data.smallShards=wrap', 'topology=exponential:1',
  'algorithm.name=sparse-push', 'algorithm.memory=ef', 'compressor=topk:0.01', 'algorithm.batchSize=8', 'algorithm.lr=0.05', 'rounds=10',
];

function config(n: number): RunConfig {
  return resolveConfig(SETS(n).reduce(setKey, { name: `scale-${n}` }));
}

interface Result {
  machine: unknown; devices: number; hosts: number; oneProcess: { exitCode: number | string; seconds: number; message: string }; setupS: number;
  roundMs: number[]; medianRoundMs: number; busInBytesPerRound: number; busOutBytesPerRound: number;
  perHost: { name: string; from: number; to: number; peakRssMiB: number }[]; coordinatorPeakRssMiB: number;
  metrics: { accuracy: number; loss: number; bitsSent: number; consensusDistance: number; paramsHash: string } | null;
}

function report(r: Result): string[] {
  return [
    `machine: ${JSON.stringify(r.machine)}`,
    `one process (${r.devices} devices): exit ${r.oneProcess.exitCode} after ${r.oneProcess.seconds.toFixed(1)} s: ${r.oneProcess.message}`,
    `${r.hosts} hosts x 1 worker: set up in ${r.setupS.toFixed(1)} s; rounds ${r.roundMs.map((m) => (m / 1000).toFixed(1)).join(', ')} s; median ${(r.medianRoundMs / 1000).toFixed(2)} s`,
    `bus ${(r.busInBytesPerRound / 1e6).toFixed(2)} MB in / ${(r.busOutBytesPerRound / 1e6).toFixed(2)} MB out per round`,
    ...r.perHost.map((h) => `host ${h.name}: devices ${h.from}..${h.to - 1}, peak RSS ${h.peakRssMiB.toFixed(0)} MiB`),
    `coordinator peak RSS ${r.coordinatorPeakRssMiB.toFixed(0)} MiB`,
    ...(r.metrics ? [`after ${r.roundMs.length} rounds: accuracy ${(100 * r.metrics.accuracy).toFixed(2)}%, bits sent ${r.metrics.bitsSent.toExponential(3)}, paramsHash ${r.metrics.paramsHash}`] : []),
  ];
}

async function main(): Promise<void> {
  const { values: opts } = benchArgs({
    script: 'bench/nats-scale.ts',
    purpose: 'A softmax-regression run one process refuses (its arena passes 4 GiB), then the same run on host processes over NATS.',
    options: {
      json: { type: 'boolean', description: 'one JSON document on stdout (docs/results/nats/scale.json)' },
      devices: { type: 'number', integer: true, min: 2, default: 60000, description: 'devices (one synthetic sample each)' },
      hosts: { type: 'number', integer: true, min: 1, default: 4, description: 'host processes, 1 worker each' },
      rounds: { type: 'number', integer: true, min: 1, default: 10, description: 'rounds, each timed on its own' },
      evaluate: { type: 'boolean', description: 'evaluate every device after the last round (slow)' },
      from: { type: 'string', placeholder: 'FILE', description: 'print the text report of a stored --json run instead of measuring' },
    },
  });
  if (opts.from !== undefined) {
    for (const line of report(JSON.parse(readFileSync(opts.from, 'utf8')) as Result)) console.log(line);
    return;
  }
  const { json, devices: n, hosts: hostCount, rounds } = opts;
  const say = (line: string): void => { if (!json) console.log(line); };

  // One process: refused before its arena is allocated.
  const t1 = performance.now();
  const one = spawnCli(['run', ...SETS(n).flatMap((s) => ['--set', s]), '--out', `/tmp/sparsepush-scale-one-${process.pid}`, '--quiet']);
  const oneCode = await one.exited;
  const oneProcess = { exitCode: oneCode, seconds: (performance.now() - t1) / 1000, message: one.output().trim() };
  say(`one process: exit ${oneCode} after ${oneProcess.seconds.toFixed(1)} s: ${oneProcess.message}`);

  const server = await startNatsServer({ monitor: true });
  const hosts: ChildRun[] = Array.from({ length: hostCount }, () => spawnCli(['host', '--nats', server.url, '--token', server.token, '--once', '--workers', '1']));
  try {
    const t0 = performance.now();
    const run = await NatsRun.create(config(n), { url: server.url, token: server.token, hosts: hostCount, prefix: 'sparsepush', waitS: 600, silenceS: 300, log: say });
    const setupS = (performance.now() - t0) / 1000;
    say(`${hostCount} hosts set up in ${setupS.toFixed(1)} s: ${run.hosts.map((h) => `${h.from}..${h.to - 1}`).join(', ')}`);
    const before = await serverTraffic(server);
    const roundMs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const t = performance.now();
      await run.steps(1);
      roundMs.push(performance.now() - t);
      say(`round ${r + 1}: ${(roundMs.at(-1)! / 1000).toFixed(2)} s (load ${loadavg()[0]!.toFixed(1)})`);
    }
    const after = await serverTraffic(server);
    // Hosts are named hostname:pid (in the order they joined, not the order they were started).
    const perHost = run.hosts.map((h) => {
      const pid = Number(h.name.split(':').pop());
      return { ...h, pid, peakRssMiB: residentMiB(pid, 'VmHWM'), rssMiB: residentMiB(pid, 'VmRSS') };
    });
    let metrics = null;
    if (opts.evaluate) {
      const m = await run.evaluate(0);
      metrics = { accuracy: m.accuracy, loss: m.loss, bitsSent: m.bitsSent, consensusDistance: m.consensusDistance, paramsHash: hashParams(run.zavg()) };
      say(`after ${rounds} rounds: accuracy ${(100 * m.accuracy).toFixed(2)}%, bits sent ${m.bitsSent.toExponential(3)}`);
    }
    const result: Result & Record<string, unknown> = {
      bench: 'nats-scale', machine: machine(), devices: n, hosts: hostCount, workersPerHost: 1, config: SETS(n), oneProcess, setupS,
      roundMs, medianRoundMs: median(roundMs), busInBytesPerRound: (after.inBytes - before.inBytes) / rounds, busOutBytesPerRound: (after.outBytes - before.outBytes) / rounds,
      perHost, coordinatorPeakRssMiB: process.resourceUsage().maxRSS / 1024, metrics,
    };
    await run.close(true);
    if (json) console.log(JSON.stringify(result, null, 2));
    else for (const line of report(result)) say(line);
  } finally {
    for (const h of hosts) await h.stop();
    await server.stop();
  }
}

await main();
