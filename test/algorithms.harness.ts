// Test harness for the decentralized algorithms: drives an Algorithm's hooks (local, send, mix)
// over a small arena on the real kernels and compressors, without the engine, with a synthetic
// quadratic loss F_i(z) = 0.5 ||z - b_i||^2 (gradient z - b_i: deterministic, no data), arbitrary
// initial x_i and optional offline devices (same semantics as src/engine/round.ts: an offline
// device runs no hook, senders drop offline peers and split their mass over the rest).
import { ScratchAllocator, KERNEL_RESERVED_BYTES } from '../src/arena/arena.js';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAlgorithm } from '../src/algorithms/registry.js';
import { fillInitialVector } from '../src/algorithms/common.js';
import type { Algorithm, AlgorithmSetup, DeviceContext, InMessage, Vec } from '../src/algorithms/types.js';
import { createCompressorSync } from '../src/compress/registry.js';
import type { KernelCompressor } from '../src/compress/types.js';
import { DEFAULT_CONFIG, resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import { createTopology } from '../src/graph/registry.js';
import type { RoundGraph, Topology } from '../src/graph/types.js';
import { createSharedMemory, loadKernels, type KernelExports } from '../src/kernels/index.js';
import { rngKey } from '../src/kernels/rng.js';
import { runExperiment } from '../src/engine/run.js';
import { blobs } from './fixtures/engine-data.js';
import { configError } from './support/assert-error.js';
import { metricsWithoutWall } from './support/metrics.js';

export interface HarnessOptions {
  algorithm: string;
  n: number;
  d: number;
  topology: string | Topology;
  compressor?: string;
  gamma?: number;
  /** May be 0 here (the config schema wants > 0). */
  lr?: number;
  /** algorithm.lrSchedule (default constant), over `rounds` rounds (default the config's). */
  lrSchedule?: string;
  rounds?: number;
  momentum?: number;
  memory?: 'choco' | 'ef';
  /** sc-sparse-push's algorithm.compensation (default the config's). */
  compensation?: 'qgm' | 'tracking';
  localSteps?: number;
  seed?: number;
  /** Initial x_i (default 0). */
  init?: (i: number, x: Float32Array) => void;
  /**
   * The common initial model x(0) that init-'x' state vectors start from, as the engine's learner
   * init (default 0; devices may still start elsewhere through `init`).
   */
  model0?: Float32Array;
  /** Targets b_i of the quadratic loss (default 0). */
  targets?: (i: number, b: Float32Array) => void;
  /** Offline devices per round (default none). */
  offline?: (round: number, i: number) => boolean;
}

interface Posted { round: number; bytes: number; weight: number; selfWeight: number; outDegree: number }

const align = (v: number): number => Math.ceil(v / 64) * 64;

export class Harness {
  readonly algorithm: Algorithm;
  readonly config: RunConfig;
  readonly setup: AlgorithmSetup;
  readonly topology: Topology;
  readonly n: number;
  readonly d: number;
  round = 0;
  /** Sum over devices of the change of x made by this round's local steps (f64). */
  localDelta!: Float64Array;
  /** Bits posted so far (payload bytes * 8 + 64 for the weight, times out-degree). */
  bits = 0;
  private readonly posted: (Posted | null)[];
  private readonly vectorLength = new Map<string, number>();

  private constructor(
    opts: HarnessOptions,
    readonly kernels: KernelExports,
    readonly memory: WebAssembly.Memory,
    private readonly compressor: KernelCompressor,
    private readonly streams: readonly KernelCompressor[],
    private readonly regions: Map<string, number>,
    private readonly outboxBytes: number,
    private readonly scratchBase: number,
    private readonly offline: (round: number, i: number) => boolean,
    private readonly targets: Float32Array[],
  ) {
    this.n = opts.n;
    this.d = opts.d;
    this.algorithm = createAlgorithm(opts.algorithm);
    this.config = harnessConfig(opts);
    this.topology = typeof opts.topology === 'string' ? createTopology(opts.topology, opts.n, { seed: this.config.seed }) : opts.topology;
    this.setup = { config: this.config, d: opts.d, n: opts.n, dataFractions: new Float64Array(opts.n).fill(1 / opts.n), topology: this.topology };
    this.posted = new Array<Posted | null>(opts.n).fill(null);
    for (const v of this.algorithm.deviceVectors(this.setup)) this.vectorLength.set(v.name, v.length ?? opts.d);
  }

  static async create(opts: HarnessOptions): Promise<Harness> {
    const { n, d } = opts;
    const config = harnessConfig(opts);
    const algorithm = createAlgorithm(opts.algorithm);
    const topology = typeof opts.topology === 'string' ? createTopology(opts.topology, n, { seed: config.seed }) : opts.topology;
    const setup: AlgorithmSetup = { config, d, n, dataFractions: new Float64Array(n).fill(1 / n), topology };
    algorithm.validate(setup);
    const spec = algorithm.compressorSpec(setup, 0);
    const streamSpecs = algorithm.streamSpecs?.(setup, 0) ?? [spec];
    const probe = await loadKernels();
    let outboxBytes = 0;
    let compScratch = 0;
    for (const s of new Set([spec, ...streamSpecs])) {
      const sizing = createCompressorSync(s, { module: probe.module });
      outboxBytes += streamSpecs.filter((t) => t === s).length * sizing.maxEncodedBytes(d);
      compScratch = Math.max(compScratch, align(sizing.scratchBytes(d)));
    }
    outboxBytes = align(outboxBytes);
    const vectors = [...algorithm.deviceVectors(setup)];
    const plan: [string, number][] = [['x', 4 * n * d], ['w', 8 * n], ['m', 4 * n * d]];
    for (const v of vectors) plan.push([`dev.${v.name}`, 4 * n * (v.length ?? d)]);
    plan.push(['outbox', n * outboxBytes], ['scratch', 4 * d * Math.max(1, algorithm.scratchVectors)], ['compressor', compScratch]);
    const regions = new Map<string, number>();
    let at = KERNEL_RESERVED_BYTES;
    for (const [name, bytes] of plan) { regions.set(name, at); at = align(at + bytes); }
    const memory = createSharedMemory(at);
    const { exports } = await loadKernels({ memory, simd: probe.simd });
    const bind = (s: string): KernelCompressor => createCompressorSync(s, {
      kernels: { exports, memory, scratch: new ScratchAllocator(regions.get('compressor')!, compScratch) },
    });
    const compressor = bind(spec);
    const streams = streamSpecs.map((s) => (s === spec ? compressor : bind(s)));
    const targets: Float32Array[] = [];
    for (let i = 0; i < n; i++) {
      const b = new Float32Array(d);
      opts.targets?.(i, b);
      targets.push(b);
    }
    const h = new Harness(opts, exports, memory, compressor, streams, regions, outboxBytes, regions.get('scratch')!, opts.offline ?? (() => false), targets);
    const w = h.wAll();
    w.fill(1);
    for (let i = 0; i < n; i++) {
      opts.init?.(i, h.x(i));
      for (const v of vectors) fillInitialVector(v, i, opts.model0 ?? new Float32Array(d), h.vec(`dev.${v.name}`, i, v.length ?? d));
    }
    return h;
  }

  private vecPtr(region: string, i: number, len = this.d): number {
    const base = this.regions.get(region);
    if (base === undefined) throw new Error(`harness: no region ${region}`);
    return base + 4 * i * len;
  }

  vec(region: string, i: number, len = this.d): Float32Array {
    return new Float32Array(this.memory.buffer, this.vecPtr(region, i, len), len);
  }

  x(i: number): Float32Array { return this.vec('x', i); }
  wAll(): Float64Array { return new Float64Array(this.memory.buffer, this.regions.get('w')!, this.n); }
  w(i: number): number { return this.wAll()[i]!; }

  /** De-biased model z_i = x_i / w_i (f64). */
  z(i: number): Float64Array {
    const x = this.x(i);
    const w = this.w(i);
    return Float64Array.from(x, (v) => v / w);
  }

  /** sum_i x_i (f64). */
  sumX(): Float64Array {
    const s = new Float64Array(this.d);
    for (let i = 0; i < this.n; i++) {
      const x = this.x(i);
      for (let k = 0; k < this.d; k++) s[k] += x[k]!;
    }
    return s;
  }

  sumW(): number {
    let s = 0;
    for (const v of this.wAll()) s += v;
    return s;
  }

  /** sqrt(mean_i ||z_i - z_avg||^2). */
  consensusDistance(): number {
    const avg = new Float64Array(this.d);
    const zs = Array.from({ length: this.n }, (_, i) => this.z(i));
    for (const z of zs) for (let k = 0; k < this.d; k++) avg[k] += z[k]! / this.n;
    let s = 0;
    for (const z of zs) for (let k = 0; k < this.d; k++) s += (z[k]! - avg[k]!) ** 2;
    return Math.sqrt(s / this.n);
  }

  private graph(): RoundGraph { return this.topology.round(this.round); }

  private outPeers(i: number): readonly number[] {
    const peers = this.graph().outPeers[i]!;
    return peers.filter((j) => !this.offline(this.round, j));
  }

  /** One round: every online device's local + send, then every online device's mix. */
  async step(): Promise<void> {
    const n = this.n;
    this.localDelta = new Float64Array(this.d);
    for (let i = 0; i < n; i++) {
      if (this.offline(this.round, i)) continue;
      const ctx = this.context(i);
      const before = Float64Array.from(this.x(i));
      await this.algorithm.local(ctx);
      const after = this.x(i);
      for (let k = 0; k < this.d; k++) this.localDelta[k] += after[k]! - before[k]!;
      this.algorithm.send(ctx);
    }
    for (let i = 0; i < n; i++) {
      if (this.offline(this.round, i)) continue;
      this.algorithm.mix(this.context(i));
    }
    this.round++;
  }

  async run(rounds: number, each?: (h: Harness) => void): Promise<void> {
    for (let t = 0; t < rounds; t++) {
      await this.step();
      each?.(this);
    }
  }

  private context(i: number): DeviceContext {
    const d = this.d;
    const round = this.round;
    const outPeers = this.outPeers(i);
    const selfWeight = 1 / (outPeers.length + 1);
    const vec = (region: string, len = d): Vec => {
      const ptr = this.vecPtr(region, i, len);
      return { ptr, view: new Float32Array(this.memory.buffer, ptr, len) };
    };
    const outboxPtr = this.regions.get('outbox')! + i * this.outboxBytes;
    const sendsWeight = this.algorithm.sendsWeight;
    return {
      round, d, n: this.n, config: this.config, setup: this.setup,
      kernels: this.kernels as DeviceContext['kernels'],
      device: i,
      compressor: this.compressor,
      streams: this.streams,
      x: vec('x'),
      w: new Float64Array(this.memory.buffer, this.regions.get('w')! + 8 * i, 1),
      momentum: vec('m'),
      selfWeight,
      outPeers,
      vector: (name: string) => vec(`dev.${name}`, this.vectorLength.get(name) ?? d),
      scratch: (slot: number) => {
        if (slot >= this.algorithm.scratchVectors) throw new Error(`scratch(${slot}) >= scratchVectors ${this.algorithm.scratchVectors}`);
        const ptr = this.scratchBase + 4 * d * slot;
        return { ptr, view: new Float32Array(this.memory.buffer, ptr, d) };
      },
      rngKey: (purpose: number) => rngKey(this.config.seed, i, round, purpose),
      outbox: () => new Uint8Array(this.memory.buffer, outboxPtr, this.outboxBytes),
      post: (bytes: number, weight?: number) => {
        this.posted[i] = { round, bytes, weight: sendsWeight ? (weight ?? Number.NaN) : Number.NaN, selfWeight, outDegree: outPeers.length };
        this.bits += (8 * bytes + (sendsWeight ? 64 : 0)) * outPeers.length;
      },
      gradient: async (params: Vec, grad: Vec) => {
        const b = this.targets[i]!;
        let loss = 0;
        for (let k = 0; k < d; k++) {
          const r = params.view[k]! - b[k]!;
          grad.view[k] = r;
          loss += 0.5 * r * r;
        }
        return loss;
      },
      inbox: () => {
        const list: InMessage[] = [];
        for (const j of this.graph().inPeers[i]!) {
          const p = this.posted[j];
          if (!p || p.round !== round || this.offline(round, j)) continue;
          const base = this.regions.get('outbox')! + j * this.outboxBytes;
          list.push({ from: j, bytes: new Uint8Array(this.memory.buffer, base, p.bytes), selfWeight: p.selfWeight, weight: p.weight, outDegree: p.outDegree });
        }
        return list;
      },
      receiveBroadcast: () => false,
      xCheckedFinite: () => {},
    };
  }
}

export function harnessConfig(opts: HarnessOptions): RunConfig {
  const base = resolveConfig({
    algorithm: { name: opts.algorithm, memory: opts.memory ?? 'choco', momentum: opts.momentum ?? 0, localSteps: opts.localSteps ?? 1 },
    compressor: opts.compressor ?? 'none',
    devices: opts.n,
    topology: typeof opts.topology === 'string' ? opts.topology : 'ring',
    seed: opts.seed ?? 1,
  });
  const config = structuredClone(base) as RunConfig;
  config.algorithm.lr = opts.lr ?? 0.1;
  if (opts.lrSchedule !== undefined) config.algorithm.lrSchedule = opts.lrSchedule;
  if (opts.rounds !== undefined) config.rounds = opts.rounds;
  if (opts.gamma !== undefined) config.algorithm.gamma = opts.gamma;
  if (opts.compensation !== undefined) config.algorithm.compensation = opts.compensation;
  return config;
}

/** Deterministic values for test vectors (not the project RNG on purpose). */
export function pseudoRandom(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5; s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

/** init / targets filler: uniform in [-scale/2, scale/2) from a seed per device. */
export function fill(seed: number, scale = 2): (i: number, v: Float32Array) => void {
  return (i, v) => {
    const r = pseudoRandom(seed * 7919 + i * 104729 + 1);
    for (let k = 0; k < v.length; k++) v[k] = scale * r();
  };
}

// ---------------------------------------------------------------- shared checks

/**
 * Offline pattern: every third round everyone is online, otherwise each device is offline with
 * probability 0.2 (a seeded table, so runs repeat).
 */
export function randomOffline(seed: number): (round: number, i: number) => boolean {
  const r = pseudoRandom(seed);
  const table: boolean[][] = [];
  return (round, i) => {
    while (table.length <= round) {
      const t = table.length;
      table.push(Array.from({ length: 64 }, () => t % 3 !== 2 && r() < -0.3));
    }
    return table[round]![i]!;
  };
}

/** Every compressor family and a few compositions. */
export const ALL_SPECS = [
  'none', 'topk:0.1', 'topk:0.01+int8', 'randk:0.1', 'randk:0.1:scaled', 'threshold:0.3', 'qsgd:4', 'int8', 'int4', 'sign',
  'topk:0.05+int8', 'randk:0.2+qsgd:2', 'threshold:0.1+int4', 'topk:0.1+sign', 'randk:0.2:scaled+int8',
];

/**
 * Devices that all start at `model0`, trained for one round, once with the public copies starting
 * at model0 (the engine's init 'x') and once at 0: with the first, every copy in `copyRegion` is
 * within the compressed progress of x_i; with the second it still lacks most of model0.
 */
export async function assertCopiesStartAtModel0(train: HarnessOptions, copyRegion: string, model0: Float32Array, label: string): Promise<void> {
  const lag = (g: Harness): number => {
    let worst = 0;
    for (let i = 0; i < g.n; i++) {
      const x = g.x(i);
      const copy = g.vec(copyRegion, i);
      for (let k = 0; k < g.d; k++) worst = Math.max(worst, Math.abs(x[k]! - copy[k]!));
    }
    return worst;
  };
  const start = { ...train, init: (_i: number, x: Float32Array): void => x.set(model0) };
  const warm = await Harness.create({ ...start, model0 });
  const cold = await Harness.create({ ...start, model0: undefined });
  await warm.step();
  await cold.step();
  assert.ok(lag(warm) < 0.2 * lag(cold) && lag(cold) > 0.5 * maxAbs(model0),
    `${label}: max |x_i - copy_i| after round 0: ${lag(warm)} (copies at x(0)) vs ${lag(cold)} (copies at 0), max |x(0)| ${maxAbs(model0)}`);
}

export function maxAbs(v: ArrayLike<number>): number {
  let m = 0;
  for (let k = 0; k < v.length; k++) m = Math.max(m, Math.abs(v[k]!));
  return m;
}

/**
 * Runs `rounds` rounds checking, after every round in which no device was offline, that
 * sum_i w_i = n and sum_i x_i - (local steps' change so far) equals its start value.
 */
export async function assertSumsConserved(opts: HarnessOptions, rounds: number, what: string): Promise<Harness> {
  const h = await Harness.create(opts);
  const start = h.sumX();
  const local = new Float64Array(h.d);
  const n = h.n;
  let checked = 0;
  for (let t = 0; t < rounds; t++) {
    await h.step();
    for (let k = 0; k < h.d; k++) local[k] += h.localDelta[k]!;
    // A device that was offline applies its missed gossip terms when it is back: the sums are
    // exact again after a round in which every device was online.
    let allOnline = true;
    for (let i = 0; i < n; i++) if (opts.offline?.(t, i)) allOnline = false;
    if (!allOnline) continue;
    checked++;
    const sw = h.sumW();
    if (!(Math.abs(sw - n) <= 1e-9 * n)) assert.fail(`${what}: round ${t}: sum w = ${sw}, expected ${n}`);
    const now = h.sumX();
    const scale = 1 + Math.max(maxAbs(start), maxAbs(now));
    for (let k = 0; k < h.d; k++) {
      const drift = now[k]! - local[k]! - start[k]!;
      if (!(Math.abs(drift) <= 2e-5 * scale)) assert.fail(`${what}: round ${t}: sum x[${k}] drifted by ${drift} (scale ${scale})`);
    }
  }
  assert.ok(checked >= rounds / 4, `${what}: only ${checked} of ${rounds} rounds had every device online`);
  return h;
}

/** Max |a_i - b_i| over devices and coordinates, and max |a| (for relative tolerances). */
export function compareX(a: Harness, b: Harness): { diff: number; scale: number } {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.n; i++) {
    const xa = a.x(i);
    const xb = b.x(i);
    for (let k = 0; k < a.d; k++) diff = Math.max(diff, Math.abs(xa[k]! - xb[k]!));
    scale = Math.max(scale, maxAbs(xa));
  }
  return { diff, scale };
}

/** The AlgorithmSetup of `name` on 12 devices, d = 10 (ring for choco, exponential:1 otherwise unless patched). */
export function setupFor(name: string, patch: { gamma?: number; compressor?: string; memory?: 'choco' | 'ef'; topology?: string }): AlgorithmSetup {
  const topology = patch.topology ?? (name === 'choco' ? 'ring' : 'exponential:1');
  const config: RunConfig = harnessConfig({ algorithm: name, n: 12, d: 10, topology, memory: patch.memory });
  if (patch.gamma !== undefined) config.algorithm.gamma = patch.gamma;
  if (patch.compressor !== undefined) config.compressor = patch.compressor;
  return { config, d: 10, n: 12, dataFractions: new Float64Array(12).fill(1 / 12), topology: createTopology(topology, 12, { seed: 1 }) };
}

/** Asserts `fn` throws a ConfigError naming `key` whose message (one line) matches `pattern`. */
export function assertConfigError(fn: () => unknown, key: string, pattern: RegExp): void {
  assert.throws(fn, configError(key, pattern));
}

export function badInputChecks(name: string): void {
  const alg = createAlgorithm(name);
  for (const gamma of [0, -0.5, 1.5, Number.NaN]) {
    assertConfigError(() => alg.validate(setupFor(name, { gamma })), 'algorithm.gamma', /\(0, 1\]/);
  }
  for (const compressor of ['topk:1.5', 'zip', 'topk:0.1+int8+sign', 'int8+topk:0.1', 'qsgd:500']) {
    assertConfigError(() => alg.validate(setupFor(name, { compressor })), 'compressor', new RegExp(compressor.replace(/[+.]/g, '\\$&')));
  }
  for (const compressor of ALL_SPECS) alg.validate(setupFor(name, { compressor }));
  if (name !== 'choco') {
    assertConfigError(() => alg.validate(setupFor(name, { topology: 'erdos-renyi:0.3' })), 'algorithm.memory', /resampled every round.*memory = ef/);
    alg.validate(setupFor(name, { topology: 'erdos-renyi:0.3', memory: 'ef' }));
    alg.validate(setupFor(name, { topology: 'erdos-renyi:0.3:fixed' }));
  }
}

// ---------------------------------------------------------------- through the engine

const train = blobs(600, 12, 3, 1);
const testSet = blobs(300, 12, 3, 2);

export function engineConfig(name: string, topology: string, compressor: string, memory: 'choco' | 'ef', gamma: number): RunConfig {
  return {
    ...DEFAULT_CONFIG, name, devices: 10, rounds: 12, evalEvery: 4, model: 'logistic', topology, compressor,
    faults: { linkDrop: 0.1, offline: 0.1 },
    algorithm: { ...DEFAULT_CONFIG.algorithm, name, lr: 0.05, momentum: 0.9, weightDecay: 1e-3, batchSize: 8, localSteps: 2, memory, gamma },
  };
}

export async function assertDeterministic(config: RunConfig, label: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `sp-det-${config.algorithm.name}-`));
  try {
    const hashes: string[] = [];
    const lines: unknown[][] = [];
    for (const workers of [1, 2, 4]) {
      const out = join(dir, `w${workers}`);
      const s = await runExperiment(config, { outDir: out, workers, data: { train, test: testSet } });
      assert.equal(s.workers, workers);
      hashes.push(s.paramsHash);
      lines.push(metricsWithoutWall(out));
    }
    assert.match(hashes[0]!, /^[0-9a-f]{64}$/);
    assert.deepEqual(hashes, [hashes[0], hashes[0], hashes[0]], `${label}: paramsHash`);
    assert.deepEqual(lines[1], lines[0], `${label}: metrics, 2 workers`);
    assert.deepEqual(lines[2], lines[0], `${label}: metrics, 4 workers`);
    const last = lines[0]!.at(-1) as { accuracy: number; round: number; bitsSent: number };
    assert.equal(last.round, config.rounds);
    assert.ok(last.accuracy > 0.5, `${label}: accuracy ${last.accuracy}`);
    assert.ok(last.bitsSent > 0, `${label}: bits ${last.bitsSent}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

