/**
 * Beyond one process: softmax regression 784 x 10 on MNIST with 60,000 devices (one sample each),
 * Sparse-Push with memory ef and top-1% messages on exponential:1. One process refuses it before
 * allocating (its arena would pass the 4 GiB wasm32 limit); 4 host processes on this machine run
 * it. Not a test: it needs ~10 GB of memory and minutes.
 *
 *   node --import tsx bench/nats-scale.ts [--json] [--devices 60000] [--hosts 4] [--rounds 10] [--evaluate]
 *
 * Prints the single process's refusal, then per round the wall time (each round its own task),
 * each host's device range, arena size and peak resident set (VmHWM), the coordinator's peak
 * resident set, and with --evaluate the metrics after the last round (one evaluation of every
 * device: slow).
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { hashParams } from '../src/engine/run.js';
import { NatsRun } from '../src/transport/nats/distributed.js';
import { serverTraffic, spawnCli, startNatsServer, type ChildRun } from '../test/support/nats.js';
import { machine, median } from './support.js';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const SETS = (n: number): string[] => [
  `devices=${n}`, 'model=logistic', 'data.train=mnist', 'data.test=mnist:test', 'data.smallShards=wrap', 'topology=exponential:1',
  'algorithm.name=sparse-push', 'algorithm.memory=ef', 'compressor=topk:0.01', 'algorithm.batchSize=8', 'algorithm.lr=0.05', 'rounds=10',
];

function config(n: number): RunConfig {
  const raw: Record<string, unknown> = {};
  for (const s of SETS(n)) {
    const [key, value] = s.split('=') as [string, string];
    const path = key.split('.');
    let at = raw;
    for (const p of path.slice(0, -1)) at = (at[p] ??= {}) as Record<string, unknown>;
    at[path.at(-1)!] = /^[\d.]+$/.test(value) ? Number(value) : value;
  }
  return resolveConfig({ name: `scale-${n}`, ...raw });
}

const status = (pid: number, key: string): number => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const n = Number(arg('devices') ?? 60000);
  const hostCount = Number(arg('hosts') ?? 4);
  const rounds = Number(arg('rounds') ?? 10);
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
    const perHost = run.hosts.map((h, k) => ({
      ...h, pid: hosts[k]!.pid, peakRssMiB: status(hosts[k]!.pid, 'VmHWM'), rssMiB: status(hosts[k]!.pid, 'VmRSS'),
    }));
    let metrics = null;
    if (process.argv.includes('--evaluate')) {
      const m = await run.evaluate(0);
      metrics = { accuracy: m.accuracy, loss: m.loss, bitsSent: m.bitsSent, consensusDistance: m.consensusDistance, paramsHash: hashParams(run.zavg()) };
      say(`after ${rounds} rounds: accuracy ${(100 * m.accuracy).toFixed(2)}%, bits sent ${m.bitsSent.toExponential(3)}`);
    }
    const result = {
      bench: 'nats-scale', machine: machine(), devices: n, hosts: hostCount, workersPerHost: 1, config: SETS(n), oneProcess, setupS,
      roundMs, medianRoundMs: median(roundMs), busInBytesPerRound: (after.inBytes - before.inBytes) / rounds, busOutBytesPerRound: (after.outBytes - before.outBytes) / rounds,
      perHost, coordinatorPeakRssMiB: process.resourceUsage().maxRSS / 1024, metrics,
    };
    await run.close(true);
    if (json) console.log(JSON.stringify(result, null, 2));
    else {
      say(`median round ${(result.medianRoundMs / 1000).toFixed(2)} s; bus ${(result.busInBytesPerRound / 1e6).toFixed(1)} MB in / ${(result.busOutBytesPerRound / 1e6).toFixed(1)} MB out per round`);
      for (const h of perHost) say(`host ${h.name}: devices ${h.from}..${h.to - 1}, peak RSS ${h.peakRssMiB.toFixed(0)} MiB`);
      say(`coordinator peak RSS ${result.coordinatorPeakRssMiB.toFixed(0)} MiB`);
    }
  } finally {
    for (const h of hosts) await h.stop();
    await server.stop();
  }
}

await main();
