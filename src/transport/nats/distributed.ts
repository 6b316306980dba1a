/**
 * A run over several host processes, driven by the coordinator: the same interface as a
 * Simulation for runExperiment (rounds, evaluation, z_avg, checkpoints), with the devices split
 * into contiguous ranges (ranges.ts) over the hosts that joined (coordinator.ts).
 *
 * The coordinator plans the run as a process holding no devices (config checks, datasets,
 * partition and topology, as every host computes them), refuses a range that would not fit a
 * host's 4 GiB arena before any host is asked, and compares what each host planned with its own
 * (model size, data and partition hash, kernels) before round 0. Rounds: one `rounds` command per
 * pool task (up to ROUNDS_PER_TASK rounds; the hosts meet at a barrier after each round); the
 * virtual clock adds each round's slowest device over all hosts. Evaluation: evalDevices on every
 * host, the z_avg reduction chain (evaluation.ts), evalGlobal with the test chunks split over the
 * hosts, then the metrics from the gathered per-device rows (metricsOf, as in one process).
 */
import type { ArenaLayout, Region } from '../../arena/arena.js';
import type { Algorithm } from '../../algorithms/types.js';
import type { RunConfig } from '../../config/types.js';
import { ConfigError, RunError, TransportError } from '../../errors.js';
import type { Topology } from '../../graph/types.js';
import { readCheckpoint, writeCheckpoint, type CheckpointState, type CheckpointSubject } from '../../engine/checkpoint.js';
import { ARENA_LIMIT_BYTES } from '../../engine/limits.js';
import { persistentRegions, planArena, ROUNDS_PER_TASK, STATS, testChunks } from '../../engine/layout.js';
import { nodeHost } from '../../engine/node-host.js';
import { planRun, type RunPlan } from '../../engine/plan.js';
import type { DeviceRange, EngineMeta } from '../../engine/protocol.js';
import { reviveError } from '../../engine/protocol.js';
import { firstRoundError, metricsOf, splitRange } from '../../engine/simulation.js';
import type { Metrics } from '../../metrics/records.js';
import { Coordinator, type CoordinatorOptions, type HostReply } from './coordinator.js';
import { averageOfChain, chunkRanges, emptyToken, tokenOf, tokenParts } from './evaluation.js';
import { hostRanges } from './ranges.js';
import { DATA_REGIONS, hashRegions, shareBytes } from './state.js';

export type NatsRunOptions = CoordinatorOptions;

const GiB = 2 ** 30;

export class NatsRun {
  round = 0;
  simTimeS = 0;
  private readonly stats: Float64Array;
  private readonly w: Float64Array;
  private readonly testParts: Float64Array;
  private readonly objParts: Float64Array;
  private lastZavg: Float32Array;
  private lastStateAvg: Float32Array;

  private constructor(readonly config: RunConfig, private readonly plan: RunPlan, readonly coordinator: Coordinator, readonly workers: number) {
    const { n, d, testCount } = plan.meta;
    this.stats = new Float64Array(n * STATS);
    this.w = new Float64Array(n).fill(1);
    this.testParts = new Float64Array(2 * testChunks(testCount));
    this.objParts = new Float64Array(2 * testChunks(plan.meta.objCount));
    this.lastZavg = new Float32Array(d);
    this.lastStateAvg = new Float32Array(plan.meta.stateCount);
  }

  get meta(): EngineMeta { return this.plan.meta; }
  get topology(): Topology | null { return this.plan.topology; }
  get algorithm(): Algorithm { return this.plan.algorithm; }
  get simd(): boolean { return this.plan.simd; }
  /** Every host's name, device range and pool size. */
  get hosts(): { name: string; from: number; to: number; workers: number }[] {
    return this.coordinator.hosts.map((h) => ({ name: h.name, from: h.range.from, to: h.range.to, workers: h.workers }));
  }

  /** Plans, waits for the hosts, sets them up and checks they agree, then greets every host pair. */
  static async create(config: RunConfig, opts: NatsRunOptions): Promise<NatsRun> {
    const plan = await planRun(config, { workers: 1, owned: { from: 0, to: 0 }, data: () => nodeHost.loadData(config) });
    const n = config.devices;
    if (plan.algorithm.kind !== 'decentralized') throw new ConfigError('algorithm.name', `${plan.algorithm.name} is not decentralized; runs over NATS take decentralized algorithms`);
    const ranges = hostRanges(n, opts.hosts, plan.topology);
    for (const [k, r] of ranges.entries()) {
      const bytes = planArena({ ...plan.layoutInput, owned: r }).totalBytes;
      if (bytes > ARENA_LIMIT_BYTES) {
        throw new ConfigError('hosts', `host ${k} would hold devices ${r.from}..${r.to - 1}, an arena of ${(bytes / GiB).toFixed(2)} GiB, above the 4 GiB wasm32 limit of one process: use more hosts (about ${Math.ceil((opts.hosts * bytes) / (ARENA_LIMIT_BYTES * 0.9))})`);
      }
    }
    const dataHash = hashRegions(plan.arena, DATA_REGIONS);
    const coordinator = await Coordinator.open(opts);
    try {
      const hosts = await coordinator.gather();
      hosts.forEach((h, k) => { h.range = ranges[k]!; });
      const setups = await coordinator.all((h) => ({ body: { op: 'setup', index: h.index, hosts: ranges, config: config as unknown as Record<string, unknown>, silenceMs: opts.silenceS * 1000 } }));
      let workers = 0;
      setups.forEach((r, k) => {
        const f = hostError(r, coordinator, k, 'setup').reply.facts;
        const who = coordinator.describe(k);
        if (!f) throw new TransportError(`${who} answered the setup without its facts`);
        if (f.n !== n || f.d !== plan.meta.d || f.outboxPayload !== plan.meta.outboxPayload) throw new TransportError(`${who} planned n=${f.n}, d=${f.d}, outbox ${f.outboxPayload}; the coordinator n=${n}, d=${plan.meta.d}, outbox ${plan.meta.outboxPayload}`);
        if (f.dataHash !== dataHash) throw new TransportError(`${who} holds other training/test data or another partition (sha256 ${f.dataHash.slice(0, 12)}, coordinator ${dataHash.slice(0, 12)}): every host must read the same data files`);
        if (f.simd !== plan.simd || f.backend !== plan.meta.backend) throw new TransportError(`${who} runs ${f.simd ? 'SIMD' : 'scalar'} kernels with backend ${f.backend}, the coordinator ${plan.simd ? 'SIMD' : 'scalar'} with ${plan.meta.backend}: results would differ`);
        hosts[k] = { ...hosts[k]!, workers: f.workers };
        workers += f.workers;
      });
      coordinator.startWatch();
      const greetings = await coordinator.all(() => ({ body: { op: 'handshake' } }));
      greetings.forEach((r, k) => hostError(r, coordinator, k, 'handshake'));
      return new NatsRun(config, plan, coordinator, workers);
    } catch (err) {
      await coordinator.close(false);
      throw err;
    }
  }

  /** Runs `count` rounds on the hosts. */
  async steps(count: number): Promise<void> {
    if (!Number.isInteger(count) || count < 0) throw new RunError(`steps(${count}): expected a non-negative integer`);
    let left = count;
    while (left > 0) {
      const t = this.round;
      const k = Math.min(left, ROUNDS_PER_TASK);
      this.coordinator.round = t;
      const replies = await this.coordinator.all(() => ({ body: { op: 'rounds', round: t, count: k } }));
      const failed = firstRoundError(replies.map((r) => r.reply));
      if (failed) throw reviveError(failed.error!);
      for (let r = 0; r < k; r++) {
        let max = 0;
        replies.forEach((rep, h) => {
          const s = rep.reply.slowest;
          if (rep.reply.aborted !== undefined || !s || s.length !== k) throw new TransportError(`${this.coordinator.describe(h)} ended rounds ${t}..${t + k - 1} without their times${rep.reply.aborted ? ` (aborted: ${rep.reply.aborted})` : ''}`);
          max = Math.max(max, s[r]!);
        });
        this.simTimeS += max;
      }
      this.round = t + k;
      left -= k;
    }
  }

  /** Evaluates the current state over the hosts. */
  async evaluate(wallTimeS: number): Promise<Metrics> {
    const c = this.coordinator;
    const { n, d, testCount, objCount, stateCount } = this.meta;
    c.round = this.round;
    (await c.all(() => ({ body: { op: 'evalDevices', round: this.round } }))).forEach((r, k) => hostError(r, c, k, 'evalDevices'));
    let token = emptyToken(d, stateCount);
    for (let k = 0; k < c.hosts.length; k++) {
      const r = hostError(await c.command(k, { op: 'reduce', partialBlock: token.partialBlock }, tokenParts(token)), c, k, 'reduce');
      const next = r.reply.partialBlock === undefined ? null : tokenOf(r.parts, r.reply.partialBlock, d, stateCount);
      if (!next) throw new TransportError(`${c.describe(k)}: a reduction step without its f64[${d}], f64[${d}], f64[${stateCount}] parts`);
      token = next;
    }
    const { zavg, stateAvg } = averageOfChain(token, n);
    const nTest = testChunks(testCount);
    const all = nTest + testChunks(objCount);
    const chunks = splitRange(all, c.hosts.length);
    const replies = await c.all((h) => {
      const [from, to] = chunks[h.index] ?? [all, all];
      return { body: { op: 'evalGlobal', chunkFrom: from, chunkTo: to }, parts: [bytesOf(zavg), bytesOf(stateAvg)] };
    });
    replies.forEach((r, k) => {
      hostError(r, c, k, 'evalGlobal');
      const { from, to } = c.hosts[k]!.range;
      const [cf, ct] = chunks[k] ?? [all, all];
      const { test: [tf, tt], objective: [of, ot] } = chunkRanges(cf, ct, nTest);
      const [stats, w, testPart, objPart] = r.parts;
      if (r.parts.length !== 4 || stats!.length !== 8 * STATS * (to - from) || w!.length !== 8 * (to - from) || testPart!.length !== 16 * (tt - tf) || objPart!.length !== 16 * (ot - of)) {
        throw new TransportError(`${c.describe(k)}: evaluation rows of the wrong size`);
      }
      new Uint8Array(this.stats.buffer, 8 * STATS * from, stats!.length).set(stats!);
      new Uint8Array(this.w.buffer, 8 * from, w!.length).set(w!);
      new Uint8Array(this.testParts.buffer, 16 * tf, testPart!.length).set(testPart!);
      new Uint8Array(this.objParts.buffer, 16 * of, objPart!.length).set(objPart!);
    });
    this.lastZavg = zavg;
    this.lastStateAvg = stateAvg;
    return metricsOf({
      config: this.config, meta: this.meta, round: this.round, simTimeS: this.simTimeS, wallTimeS, zavg,
      stats: this.stats, w: this.w, testParts: this.testParts, objParts: this.objParts, shardTotal: this.plan.arena.u32('shardOff')[n]!,
    });
  }

  zavg(): Float32Array { return this.lastZavg.slice(); }

  stateAvg(): Float32Array { return this.lastStateAvg.slice(); }

  /**
   * Gathers every host's share of the persistent regions into one image and writes it as a
   * single-process checkpoint (the same files, fingerprint and checks: a run can resume on any
   * number of hosts, or in one process). The image is held in the coordinator's memory meanwhile.
   */
  async saveCheckpoint(dir: string, wallTimeS: number, extra: Record<string, unknown>): Promise<void> {
    const image = this.image();
    const c = this.coordinator;
    for (const name of persistentRegions(image.layout)) {
      let at = image.layout.regions[name]!.offset;
      for (const h of c.hosts) {
        const r = hostError(await c.command(h.index, { op: 'saveRegion', region: name }), c, h.index, `saving ${name}`);
        const want = shareBytes(this.fullLayout, this.meta.n, this.shardOff, name, h.range);
        if (r.parts.length !== 1 || r.parts[0]!.length !== want) throw new TransportError(`${c.describe(h.index)}: ${want} bytes of ${name} expected, got ${r.parts[0]?.length ?? 0}`);
        new Uint8Array(image.arena.buffer, at, want).set(r.parts[0]!);
        at += want;
      }
    }
    writeCheckpoint(dir, image, wallTimeS, extra);
  }

  /** Reads the latest checkpoint of `dir` (written by a run on any number of hosts, or by one process) and hands each host its share. */
  async loadCheckpoint(dir: string): Promise<CheckpointState> {
    const image = this.image();
    const state = readCheckpoint(dir, image);
    const c = this.coordinator;
    for (const name of persistentRegions(image.layout)) {
      let at = image.layout.regions[name]!.offset;
      for (const h of c.hosts) {
        const want = shareBytes(this.fullLayout, this.meta.n, this.shardOff, name, h.range);
        hostError(await c.command(h.index, { op: 'loadRegion', region: name }, [new Uint8Array(image.arena.buffer, at, want)]), c, h.index, `restoring ${name}`);
        at += want;
      }
    }
    (await c.all(() => ({ body: { op: 'resumeAt', round: image.round, simTimeS: image.simTimeS } }))).forEach((r, k) => hostError(r, c, k, 'resume'));
    this.round = image.round;
    this.simTimeS = image.simTimeS;
    return state;
  }

  bitsPerDevice(): number[] {
    return Array.from({ length: this.meta.n }, (_, i) => this.stats[i * STATS]!);
  }

  async close(ok = false): Promise<void> {
    await this.coordinator.close(ok);
  }

  private get shardOff(): Uint32Array { return this.plan.arena.u32('shardOff'); }

  /** The layout of a process holding every device (the checkpoint's regions and their sizes). */
  private get fullLayout(): ArenaLayout {
    return planArena({ ...this.plan.layoutInput, owned: { from: 0, to: this.meta.n } });
  }

  /** An empty image of the persistent regions, packed (same names, types and sizes as one process's). */
  private image(): CheckpointSubject {
    const full = this.fullLayout;
    const regions: Record<string, Region> = {};
    let offset = 0;
    for (const name of persistentRegions(full)) {
      const r = full.regions[name]!;
      regions[name] = { ...r, offset };
      offset += r.bytes;
    }
    return { config: this.config, layout: { totalBytes: offset, regions }, arena: { buffer: new ArrayBuffer(offset) }, round: this.round, simTimeS: this.simTimeS };
  }

  /** Device ranges of the hosts, in host order. */
  ranges(): DeviceRange[] { return this.coordinator.hosts.map((h) => h.range); }
}

/** The reply, or the host's error rethrown (typed, with the host named for transport errors). */
function hostError(r: HostReply, c: Coordinator, k: number, what: string): HostReply {
  if (r.reply.error) {
    const err = reviveError(r.reply.error);
    if (err instanceof TransportError || err instanceof RunError) err.message = `${c.describe(k)}: ${what}: ${err.message}`;
    throw err;
  }
  if (r.reply.aborted !== undefined) throw new TransportError(`${c.describe(k)}: ${what} aborted: ${r.reply.aborted}`);
  return r;
}

const bytesOf = (a: Float64Array | Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
