/**
 * Runs over NATS against one process: round time, bytes on the bus and the overhead of K host
 * processes (1 worker each) against one process with K workers, on loopback.
 *
 *   node --import tsx bench/nats.ts [--json] [--devices 1000,10000] [--hosts 1,2,3]
 *   node --import tsx bench/nats.ts --from docs/results/nats/bench.json   (the text report of a stored --json run)
 *
 * Model and run: logistic regression 784 x 10 (d = 7,850) on synthetic blobs (8 samples per device,
 * batches of 32 wrap), Sparse-Push with memory ef and top-1% messages, exponential:1, one local
 * step; no evaluation inside the timed rounds. Each point: 2 warm-up rounds, then one period of
 * the schedule (ceil(log2 n) rounds: every offset 2^k once, so the bytes on the bus are a
 * period's average) in batches of 2 rounds timed one by one; the row gives the median ms per
 * round over the batches. Local points run in a child process each (their
 * own peak RSS); NATS points start nats-server (token, max_payload 1 MiB, monitoring on) and K
 * `sparsepush host --once --workers 1` processes, with this process as the coordinator. Bytes on
 * the bus are the server's in_bytes / out_bytes (its /varz page) over the timed rounds: every
 * message is received once and delivered once per subscriber (so through one server every byte
 * crosses twice). Memory per process: VmHWM of each host (its peak resident set) at the end of
 * the point.
 *
 * The ratio the scale-out aims at: rounds/s of 2 hosts x 1 worker over rounds/s of 1 process x
 * 2 workers, at 10,000 devices (goal >= 0.8). One run, on a machine shared with other work: the
 * load average is recorded with each row.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { Simulation } from '../src/engine/simulation.js';
import { NatsRun } from '../src/transport/nats/distributed.js';
import type { ChildRun } from '../test/support/child.js';
import { serverTraffic, spawnCli, startNatsServer, type NatsServer } from '../test/support/nats.js';
import { benchArgs } from './args.js';
import { isMain, markdownTable } from './repro/common.js';
import { machine, median, pointInChild, residentMiB } from './support.js';

export interface Row {
  devices: number;
  /** local: one process with `workers` workers; nats: `hosts` host processes of 1 worker each. */
  kind: 'local' | 'nats';
  hosts: number;
  workers: number;
  rounds: number;
  /** Median over the batches. */
  msPerRound: number;
  roundsPerS: number;
  /** Bytes the server received / delivered per round (nats rows). */
  busInBytesPerRound: number | null;
  busOutBytesPerRound: number | null;
  busMsgsPerRound: number | null;
  /**
   * CPU time per round (ms) of every process taking part: the local process, or the hosts, the
   * coordinator and nats-server together. Less sensitive to the machine's load than wall time.
   */
  cpuMsPerRound: number;
  /** Peak resident set of each process that holds devices (MiB): the local process, or each host. */
  peakRssMiB: number[];
  setupS: number;
  load1: number;
}

export function benchConfig(n: number): RunConfig {
  return resolveConfig({
    name: `nats-bench-${n}`, seed: 1, devices: n, rounds: 1_000_000, evalEvery: 1_000_000, model: 'logistic', topology: 'exponential:1',
    compressor: 'topk:0.01', data: { train: `synthetic:${8 * n},784,10`, test: 'synthetic:512,784,10', smallShards: 'wrap' },
    algorithm: { name: 'sparse-push', memory: 'ef', lr: 0.01, momentum: 0.9, batchSize: 32, localSteps: 1 },
  });
}

const PER_BATCH = 2;
/** Timed batches: one period of exponential:1 on n devices. */
const batchesOf = (n: number): number => Math.ceil(Math.ceil(Math.log2(n)) / PER_BATCH);

/** Times batchesOf(n) batches of rounds after 2 warm-up rounds; ms per round of each batch. */
async function timeRounds(steps: (k: number) => Promise<void>, n: number, between?: () => Promise<void>): Promise<number[]> {
  await steps(2);
  await between?.();
  const out: number[] = [];
  for (let b = 0; b < batchesOf(n); b++) {
    const t0 = performance.now();
    await steps(PER_BATCH);
    out.push((performance.now() - t0) / PER_BATCH);
  }
  return out;
}

/** CPU time (ms) a live process has used so far, from /proc (utime + stime, in clock ticks of 10 ms). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const ownCpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

async function localPoint(n: number, workers: number): Promise<Row> {
  const load1 = loadavg()[0]!;
  const t0 = performance.now();
  const sim = await Simulation.create(benchConfig(n), { workers });
  const setupS = (performance.now() - t0) / 1000;
  try {
    let cpu0 = 0;
    const times = await timeRounds((k) => sim.steps(k), n, async () => { cpu0 = ownCpuMs(); });
    const cpuMsPerRound = (ownCpuMs() - cpu0) / (times.length * PER_BATCH);
    const ms = median(times);
    return {
      devices: n, kind: 'local', hosts: 1, workers, rounds: times.length * PER_BATCH, msPerRound: ms, roundsPerS: 1000 / ms, cpuMsPerRound,
      busInBytesPerRound: null, busOutBytesPerRound: null, busMsgsPerRound: null, peakRssMiB: [process.resourceUsage().maxRSS / 1024], setupS, load1,
    };
  } finally {
    await sim.close();
  }
}

async function natsPoint(server: NatsServer, n: number, hosts: number): Promise<Row> {
  const load1 = loadavg()[0]!;
  const children: ChildRun[] = Array.from({ length: hosts }, () => spawnCli(['host', '--nats', server.url, '--token', server.token, '--once', '--workers', '1']));
  try {
    const t0 = performance.now();
    const run = await NatsRun.create(benchConfig(n), { url: server.url, token: server.token, hosts, prefix: 'sparsepush', waitS: 600, silenceS: 120, log: () => {} });
    const setupS = (performance.now() - t0) / 1000;
    let before = { inBytes: 0, outBytes: 0, inMsgs: 0, outMsgs: 0 };
    const cpuAll = (): number => ownCpuMs() + cpuMsOf(server.pid) + children.reduce((a, c) => a + cpuMsOf(c.pid), 0);
    let cpu0 = 0;
    try {
      const times = await timeRounds((k) => run.steps(k), n, async () => { before = await serverTraffic(server); cpu0 = cpuAll(); });
      const cpuMs = cpuAll() - cpu0;
      const after = await serverTraffic(server);
      const rounds = times.length * PER_BATCH;
      const ms = median(times);
      return {
        devices: n, kind: 'nats', hosts, workers: 1, rounds, msPerRound: ms, roundsPerS: 1000 / ms, cpuMsPerRound: cpuMs / rounds,
        busInBytesPerRound: (after.inBytes - before.inBytes) / rounds, busOutBytesPerRound: (after.outBytes - before.outBytes) / rounds,
        busMsgsPerRound: (after.inMsgs - before.inMsgs) / rounds, peakRssMiB: children.map((c) => residentMiB(c.pid, 'VmHWM')), setupS, load1,
      };
    } finally {
      await run.close(true);
    }
  } finally {
    for (const c of children) await c.stop();
  }
}

export interface Ratio { devices: number; hosts: number; natsOverLocal: number; overhead: number; cpuOverhead: number }

/** Each NATS row against the local row with as many workers as it has hosts. */
export function ratiosOf(rows: readonly Row[]): Ratio[] {
  return rows.filter((r) => r.kind === 'nats').flatMap((nats) => {
    const local = rows.find((r) => r.kind === 'local' && r.devices === nats.devices && r.workers === nats.hosts);
    return local ? [{
      devices: nats.devices, hosts: nats.hosts, natsOverLocal: nats.roundsPerS / local.roundsPerS, overhead: nats.msPerRound / local.msPerRound - 1,
      cpuOverhead: nats.cpuMsPerRound / local.cpuMsPerRound - 1,
    }] : [];
  });
}

function rowLine(r: Row): string {
  const bus = r.busInBytesPerRound === null ? '' : `  bus in ${(r.busInBytesPerRound / 1e6).toFixed(2)} MB/round, out ${(r.busOutBytesPerRound! / 1e6).toFixed(2)} MB/round, ${r.busMsgsPerRound!.toFixed(0)} msgs/round`;
  return `n=${String(r.devices).padStart(5)} ${r.kind === 'local' ? `local, ${r.workers} workers` : `${r.hosts} hosts x 1 worker`}: ${r.msPerRound.toFixed(1)} ms/round (median of ${r.rounds / PER_BATCH}), cpu ${r.cpuMsPerRound.toFixed(0)} ms/round${bus}  peak RSS ${r.peakRssMiB.map((m) => m.toFixed(0)).join('/')} MiB  setup ${r.setupS.toFixed(1)} s  load ${r.load1.toFixed(1)}`;
}

function ratioLine(r: Ratio): string {
  return `n=${r.devices}: ${r.hosts} hosts x 1 worker / 1 process x ${r.hosts} workers = ${r.natsOverLocal.toFixed(2)}x rounds/s (wall overhead ${(100 * r.overhead).toFixed(0)}%, CPU overhead ${(100 * r.cpuOverhead).toFixed(0)}%)`;
}

/** What --json writes (docs/results/nats/bench.json). */
export interface NatsBench { machine: unknown; rows: Row[]; ratios: Ratio[]; goal: { devices: number; hosts: number; ratio: number; target: number } | null }

const int = (x: number): string => Math.round(x).toLocaleString('en-US');
const signedPct = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(0)}%`;
const busBytes = (b: number): string => (b < 1000 ? `${b.toFixed(0)} B` : `${(b / 1e6).toFixed(2)} MB`);

/** The rows of a stored run as a Markdown table (docs/results/nats/README.md). */
export function natsRowsTable(stored: Pick<NatsBench, 'rows'>): string {
  return markdownTable(['devices', 'run', 'ms / round (wall)', 'CPU ms / round', 'bus in / out per round', 'peak RSS per process (MiB)'], stored.rows.map((r) => [
    int(r.devices),
    r.kind === 'local' ? `1 process, ${r.workers} worker${r.workers === 1 ? '' : 's'}` : `${r.hosts} host${r.hosts === 1 ? '' : 's'} × 1 worker`,
    int(r.msPerRound), int(r.cpuMsPerRound),
    r.busInBytesPerRound === null ? '' : `${busBytes(r.busInBytesPerRound)} / ${busBytes(r.busOutBytesPerRound!)}`,
    r.peakRssMiB.map(int).join(', '),
  ]));
}

/** K hosts against one process with K workers, recomputed from the stored rows, as a Markdown table. */
export function natsRatiosTable(stored: Pick<NatsBench, 'rows'>): string {
  return markdownTable(['devices', 'K', 'rounds/s ratio', 'wall-time overhead', 'CPU-time overhead'], ratiosOf(stored.rows).map((r) => [
    int(r.devices), String(r.hosts), r.natsOverLocal.toFixed(2), signedPct(r.overhead), signedPct(r.cpuOverhead),
  ]));
}

async function main(): Promise<void> {
  const { values: opts } = benchArgs({
    script: 'bench/nats.ts',
    purpose: 'Runs over NATS against one process: round time, bytes on the bus, K host processes vs one process with K workers.',
    options: {
      json: { type: 'boolean', description: 'one JSON document on stdout (docs/results/nats/bench.json)' },
      devices: { type: 'numbers', integer: true, min: 2, default: [1000, 10000], description: 'device counts' },
      hosts: { type: 'numbers', integer: true, min: 1, default: [1, 2, 3], description: 'host counts K (each against one process with K workers)' },
      from: { type: 'string', placeholder: 'FILE', description: 'print the text report and tables of a stored --json run instead of measuring' },
      local: { type: 'numbers', integer: true, min: 1, length: 2, placeholder: 'N,W', description: 'internal: measure one local point (N devices, W workers) and print its row as JSON' },
    },
  });
  const json = opts.json;
  if (opts.local) {
    const [n, w] = opts.local as [number, number];
    console.log(JSON.stringify(await localPoint(n, w)));
    return;
  }
  const devices = opts.devices;
  const hostCounts = opts.hosts;
  if (opts.from !== undefined) {
    const stored = JSON.parse(readFileSync(opts.from, 'utf8')) as NatsBench;
    console.log(`machine: ${JSON.stringify(stored.machine)}`);
    for (const r of stored.rows) console.log(rowLine(r));
    for (const r of ratiosOf(stored.rows)) console.log(ratioLine(r));
    console.log(`\n${natsRowsTable(stored)}\n\n${natsRatiosTable(stored)}`);
    return;
  }
  const rows: Row[] = [];
  const log = (r: Row): void => {
    rows.push(r);
    if (!json) console.log(rowLine(r));
  };
  const server = await startNatsServer({ monitor: true });
  try {
    // Each NATS point right after the local point it is compared with (the load moves).
    for (const n of devices) {
      for (const k of hostCounts) {
        log(pointInChild<Row>(['--local', `${n},${k}`], `local point n=${n} workers=${k}`));
        log(await natsPoint(server, n, k));
      }
    }
  } finally {
    await server.stop();
  }
  const ratios = ratiosOf(rows);
  const goal = ratios.find((r) => r.devices === 10000 && r.hosts === 2) ?? null;
  if (json) {
    console.log(JSON.stringify({
      bench: 'nats', machine: machine(), model: 'logistic 784x10', algorithm: 'sparse-push (memory ef)', compressor: 'topk:0.01', topology: 'exponential:1',
      batchSize: 32, localSteps: 1, rows, ratios, goal: goal ? { devices: 10000, hosts: 2, ratio: goal.natsOverLocal, target: 0.8 } : null,
    }, null, 2));
  } else {
    for (const r of ratios) console.log(ratioLine(r));
  }
}

if (isMain(import.meta.url)) await main();
