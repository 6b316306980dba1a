/**
 * One run on one host: a Simulation over the host's device range (its own arena and worker pool,
 * workers on the bridge exchange) and the main thread's part of every round:
 *
 *   1. once every held device has trained in round r (the bridge's `trained` count), ship the
 *      messages other hosts read (batches.ts) to each of them;
 *   2. meanwhile deliver the batches other hosts send here into the arena (validated first);
 *   3. once every local worker is at round r's barrier, publish `done` (device error or not, and
 *      what was sent to whom), and release the workers when every host's `done` for r is in,
 *      with `stop` raised when any host met a device error (so all stop after the same round).
 *
 * Evaluation, checkpoints and resume are commands of the coordinator (coordinator.ts) served here.
 * Anything a peer sends that the protocol does not allow aborts the task and fails the command
 * that runs, naming the peer.
 */
import type { AlgorithmSetup } from '../../algorithms/types.js';
import { createCompressor } from '../../compress/registry.js';
import type { WireCompressor } from '../../compress/types.js';
import type { RunConfig } from '../../config/types.js';
import { TransportError } from '../../errors.js';
import { testChunks } from '../../engine/layout.js';
import { algorithmSetup as setupOf } from '../../engine/setup.js';
import type { DeviceRange, PhaseResult } from '../../engine/protocol.js';
import { serializeError } from '../../engine/protocol.js';
import { RoundView } from '../../engine/round.js';
import { firstRoundError, Simulation } from '../../engine/simulation.js';
import { abortRound, Ctl, roundControl } from '../../engine/worker/exchange.js';
import { Outboxes } from '../../engine/worker/outbox.js';
import { arrivedRound, failedIn, releaseRound, trainedCount, waitFor } from '../bridge.js';
import { CrossTraffic, hostLabel, ownerTable, packBatch, RoundInbox, type DeliveryTarget } from './batches.js';
import type { Bus } from './bus.js';
import type { RunSubjects } from './subjects.js';
import type { Envelope } from './envelope.js';
import { chunkRanges, reduceStep, tokenOf, tokenParts } from './evaluation.js';
import type { Done, Reply } from './protocol.js';
import { DATA_REGIONS, hashRegions, heldSlice } from './state.js';

const HELLO_MAGIC = 0x49485053;
const HELLO_EVERY_MS = 50;
/** Rounds of receipt state kept (a slow peer's `done` of the round before last can still arrive). */
const INBOX_ROUNDS = 3;

export interface HostRunInit {
  readonly bus: Bus;
  readonly subjects: RunSubjects;
  readonly index: number;
  readonly hosts: readonly DeviceRange[];
  readonly config: RunConfig;
  /** Pool size (0: config.workers, then the core count). */
  readonly workers: number;
}

type ReplyFields = Omit<Reply, 'op' | 'id' | 'from'>;

export class HostRun {
  private readonly ctl: Int32Array;
  private readonly outboxes: Outboxes;
  private readonly traffic: CrossTraffic;
  private readonly target: DeliveryTarget;
  private readonly views = new Map<number, RoundView>();
  private readonly inboxes = new Map<number, RoundInbox>();
  private readonly dones = new Map<number, Map<number, Done>>();
  private readonly heard = new Set<number>();
  private helloTimer: ReturnType<typeof setInterval> | null = null;
  /** Round whose batches this host takes now. */
  private openRound: number;
  private problem: Error | null = null;
  /** Batches and round notices taken from other hosts (the watchdog's sign that waiting workers wait for live peers). */
  private progress = 0;
  private abortReason: string | null = null;
  private wakeResolve: () => void = () => {};
  private wakePromise: Promise<void>;

  /** @param compressorOf device j's compressor (the one that validates its payloads) */
  private constructor(private readonly init: HostRunInit, readonly sim: Simulation, compressorOf: readonly WireCompressor[]) {
    const { meta, arena } = sim;
    this.ctl = roundControl(arena);
    this.outboxes = new Outboxes(arena.buffer, arena.region('outbox').offset, meta.n, meta.outboxStride, meta.outboxPayload);
    const owner = ownerTable(init.hosts, meta.n);
    this.traffic = new CrossTraffic(init.index, meta.owned, owner, init.hosts.length, init.config.faults.offline > 0);
    this.target = {
      me: init.index, hosts: init.hosts, meta, algorithm: sim.algorithm, outboxes: this.outboxes,
      ready: arena.i32('ready'), ctl: this.ctl, compressorOf: (j) => compressorOf[j]!,
    };
    this.openRound = sim.round;
    this.wakePromise = new Promise((r) => { this.wakeResolve = r; });
  }

  static async create(init: HostRunInit): Promise<HostRun> {
    const range = init.hosts[init.index]!;
    const sim = await Simulation.create(init.config, { workers: init.workers > 0 ? init.workers : undefined, owned: range, transport: 'nats' });
    try {
      if (sim.algorithm.kind !== 'decentralized') throw new TransportError(`${sim.algorithm.name} is not a decentralized algorithm`);
      const setup = algorithmSetup(sim);
      // One compressor per distinct spec, shared by the devices that name it.
      const bySpec = new Map<string, WireCompressor>();
      const compressorOf: WireCompressor[] = [];
      for (let j = 0; j < sim.meta.n; j++) {
        const spec = sim.algorithm.compressorSpec(setup, j);
        let c = bySpec.get(spec);
        if (!c) bySpec.set(spec, (c = await createCompressor(spec)));
        compressorOf.push(c);
      }
      return new HostRun(init, sim, compressorOf);
    } catch (err) {
      await sim.close();
      throw err;
    }
  }

  get label(): string { return hostLabel(this.init.index, this.init.hosts[this.init.index]!); }

  /** Facts the coordinator compares with its own plan. */
  facts(): NonNullable<Reply['facts']> {
    const { arena, meta } = this.sim;
    const dataHash = hashRegions(arena, DATA_REGIONS);
    return {
      n: meta.n, d: meta.d, simd: this.sim.simd, backend: meta.backend, workers: this.sim.workers, dataHash,
      arenaBytes: arena.layout.totalBytes, outboxPayload: meta.outboxPayload,
    };
  }

  // ---------------------------------------------------------------- bus events

  /** A message on this host's data subject: a hello of the handshake or a batch chunk. */
  onData(data: Uint8Array): void {
    if (data.length === 8 && new DataView(data.buffer, data.byteOffset, 8).getUint32(0, true) === HELLO_MAGIC) {
      const from = new DataView(data.buffer, data.byteOffset, 8).getUint16(4, true);
      if (from < this.init.hosts.length && from !== this.init.index) { this.heard.add(from); this.wake(); }
      return;
    }
    if (this.problem) return;
    this.progress++;
    try {
      this.inbox(this.openRound).accept(data);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Another host's (or this host's own) end of a round. */
  onDone(done: Done): void {
    if (done.from >= this.init.hosts.length || done.sent.length !== this.init.hosts.length) {
      this.fail(new TransportError(`a round-${done.round} notice from unknown host ${done.from} or for ${done.sent.length} hosts`));
      return;
    }
    let map = this.dones.get(done.round);
    if (!map) this.dones.set(done.round, (map = new Map<number, Done>()));
    if (map.has(done.from)) { this.fail(new TransportError(`${hostLabel(done.from, this.init.hosts[done.from]!)} ended round ${done.round} twice`)); return; }
    map.set(done.from, done);
    this.progress++;
    if (done.from !== this.init.index && !this.problem) {
      if (done.round + INBOX_ROUNDS <= this.openRound || done.round > this.openRound) {
        this.fail(new TransportError(`${hostLabel(done.from, this.init.hosts[done.from]!)} ended round ${done.round} while this host takes round ${this.openRound}`));
      } else {
        try { this.inbox(done.round).checkSent(done.from, done.sent[this.init.index]!); } catch (err) { this.fail(err); }
      }
    }
    this.wake();
  }

  /** Stops the running task (another host failed, or the coordinator is gone). */
  abort(reason: string): void {
    this.abortReason ??= reason;
    abortRound(this.ctl);
    this.wake();
  }

  // ---------------------------------------------------------------- commands

  /** Says hello to every other host until all of them were heard (stops at the next command). */
  async handshake(): Promise<ReplyFields> {
    const others = this.init.hosts.length - 1;
    const hello = new Uint8Array(8);
    new DataView(hello.buffer).setUint32(0, HELLO_MAGIC, true);
    new DataView(hello.buffer).setUint16(4, this.init.index, true);
    const say = (): void => {
      for (let h = 0; h < this.init.hosts.length; h++) if (h !== this.init.index) this.init.bus.publish(this.init.subjects.data(h), hello);
    };
    say();
    this.helloTimer = setInterval(say, HELLO_EVERY_MS);
    await this.until(null, () => this.heard.size >= others || this.stopping());
    this.checkProblem();
    return { heard: [...this.heard].sort((a, b) => a - b) };
  }

  /** Ends the handshake's hellos (any command after it). */
  quiet(): void {
    if (this.helloTimer) clearInterval(this.helloTimer);
    this.helloTimer = null;
  }

  /** Runs rounds [t, t + count) and takes part in each round's cross-host barrier. */
  async rounds(t: number, count: number): Promise<ReplyFields> {
    if (t !== this.sim.round) throw new TransportError(`${this.label} was asked for round ${t} but stands after round ${this.sim.round}`);
    this.checkProblem();
    const ctl = this.ctl;
    const held = this.sim.meta.owned.to - this.sim.meta.owned.from;
    const hosts = this.init.hosts.length;
    let ended = false;
    const task = this.sim.dispatchRound(t, count, () => this.progress).finally(() => { ended = true; this.wake(); });
    let completed = 0;
    for (let r = t; r < t + count; r++) {
      const last = r === t + count - 1;
      const target = (r - t + 1) * held;
      await this.until(Ctl.trained, () => trainedCount(ctl) >= target || ended || this.stopping());
      if (this.stopping() || trainedCount(ctl) < target) break;
      const sent = this.ship(r);
      await this.until(Ctl.arrived, () => arrivedRound(ctl) === r || ended || this.stopping());
      if (this.stopping() || (!last && arrivedRound(ctl) !== r)) break;
      this.sendDone({ op: 'done', from: this.init.index, round: r, failed: failedIn(ctl, r), sent });
      this.openRound = r + 1;
      this.forget(r + 1);
      completed++;
      if (last) break;
      await this.until(null, () => (this.dones.get(r)?.size ?? 0) >= hosts || this.stopping());
      if (this.stopping()) break;
      const stop = [...this.dones.get(r)!.values()].some((d) => d.failed);
      releaseRound(ctl, r, stop);
      if (stop) break;
    }
    if (this.stopping()) abortRound(ctl);
    const results: PhaseResult[] = await task;
    const failed = firstRoundError(results);
    if (this.problem) throw this.problem;
    if (failed && (failed.errorDevice !== undefined || this.abortReason === null)) return { error: failed.error!, ...(failed.errorDevice !== undefined ? { errorDevice: failed.errorDevice } : {}), ...(failed.errorStage !== undefined ? { errorStage: failed.errorStage } : {}) };
    if (this.abortReason !== null) return { aborted: this.abortReason };
    this.sim.round = t + completed;
    return { slowest: this.sim.slowestOfTask(completed) };
  }

  /** Evaluation, first half on this host's devices. */
  async evalDevices(): Promise<void> {
    await this.sim.evalDevices();
  }

  /** This host's step of the reduction chain (evaluation.ts). */
  reduce(env: Envelope, partialBlock: number): { fields: ReplyFields; parts: Uint8Array[] } {
    const { d, stateCount } = this.sim.meta;
    const received = tokenOf(env.parts, partialBlock, d, stateCount);
    if (!received) throw new TransportError(`reduce: expected f64[${d}], f64[${d}] and f64[${stateCount}] parts`);
    const token = reduceStep(this.sim.arena, this.sim.meta, received);
    return { fields: { partialBlock: token.partialBlock }, parts: tokenParts(token) };
  }

  /**
   * Evaluation, second half: zavg and its state in; this host's stats / weight rows and the sums of
   * its chunks (test chunks, then the training objective's) out.
   */
  async evalGlobal(env: Envelope, chunkFrom: number, chunkTo: number): Promise<Uint8Array[]> {
    const { meta, arena } = this.sim;
    const [zavg, stateAvg] = env.parts;
    if (env.parts.length !== 2 || zavg!.length !== 4 * meta.d || stateAvg!.length !== 4 * meta.stateCount) {
      throw new TransportError(`evalGlobal: expected f32[${meta.d}] (zavg) and f32[${meta.stateCount}] (its state) parts`);
    }
    const nTest = testChunks(meta.testCount);
    const all = nTest + testChunks(meta.objCount);
    if (chunkFrom > chunkTo || chunkTo > all) throw new TransportError(`evalGlobal: chunks [${chunkFrom}, ${chunkTo}) outside [0, ${all})`);
    const region = (name: string): Uint8Array => { const r = arena.region(name); return new Uint8Array(arena.buffer, r.offset, r.bytes); };
    region('zavg').set(zavg!);
    region('stateAvg').set(stateAvg!);
    await this.sim.evalGlobal([chunkFrom, chunkTo]);
    const rows = (name: string): Uint8Array => { const s = heldSlice(arena, meta, name); return new Uint8Array(arena.buffer, s.offset, s.bytes); };
    const { test: [tf, tt], objective: [of, ot] } = chunkRanges(chunkFrom, chunkTo, nTest);
    return [rows('stats'), rows('w'), region('testPart').subarray(16 * tf, 16 * tt), region('objPart').subarray(16 * of, 16 * ot)];
  }

  /** This host's rows of a persistent region (checkpoint). */
  saveRegion(name: string): Uint8Array {
    const s = heldSlice(this.sim.arena, this.sim.meta, name);
    return new Uint8Array(this.sim.arena.buffer, s.offset, s.bytes);
  }

  /** Restores this host's rows of a persistent region (resume). */
  loadRegion(name: string, env: Envelope): void {
    const s = heldSlice(this.sim.arena, this.sim.meta, name);
    const part = env.parts[0];
    if (env.parts.length !== 1 || part!.length !== s.bytes) throw new TransportError(`loadRegion ${name}: expected ${s.bytes} bytes for ${this.label}, got ${part?.length ?? 0}`);
    new Uint8Array(this.sim.arena.buffer, s.offset, s.bytes).set(part!);
  }

  resumeAt(round: number, simTimeS: number): void {
    this.sim.round = round;
    this.sim.simTimeS = simTimeS;
    this.openRound = round;
    this.inboxes.clear();
    this.dones.clear();
  }

  async close(): Promise<void> {
    this.quiet();
    await this.sim.close();
  }

  // ---------------------------------------------------------------- internals

  private stopping(): boolean { return this.problem !== null || this.abortReason !== null; }

  private checkProblem(): void { if (this.problem) throw this.problem; }

  private fail(err: unknown): void {
    this.problem ??= err instanceof Error ? err : new Error(String(err));
    abortRound(this.ctl);
    this.wake();
  }

  private wake(): void {
    this.wakeResolve();
    this.wakePromise = new Promise((r) => { this.wakeResolve = r; });
  }

  private async until(word: number | null, done: () => boolean): Promise<void> {
    if (word !== null) { await waitFor(this.ctl, word, done, () => this.wakePromise); return; }
    while (!done()) await Promise.race([this.wakePromise, new Promise((r) => setTimeout(r, 50))]);
  }

  private view(round: number): RoundView {
    let v = this.views.get(round);
    if (!v) {
      const { config, meta } = this.sim;
      v = new RoundView(round, this.sim.topology, meta.n, config.seed, config.faults);
      this.views.set(round, v);
    }
    return v;
  }

  private inbox(round: number): RoundInbox {
    let box = this.inboxes.get(round);
    if (!box) {
      const view = this.view(round);
      box = new RoundInbox(round, view, this.traffic.expectedFrom(view), this.target);
      this.inboxes.set(round, box);
    }
    return box;
  }

  /** Drops receipt state older than INBOX_ROUNDS rounds before `round`. */
  private forget(round: number): void {
    for (const map of [this.inboxes, this.views, this.dones] as Map<number, unknown>[]) {
      for (const r of map.keys()) if (r + INBOX_ROUNDS <= round) map.delete(r);
    }
  }

  /** Publishes round r's batches to every host that reads from here; returns what went where. */
  private ship(r: number): { entries: number; chunks: number }[] {
    const senders = this.traffic.sendersTo(this.view(r));
    const { bus, subjects, index } = this.init;
    return senders.map((list, h) => {
      if (h === index || list.length === 0) return { entries: 0, chunks: 0 };
      const chunks = packBatch(this.outboxes, list, r, index, h, bus.maxPayload);
      for (const c of chunks) bus.publish(subjects.data(h), c);
      return { entries: list.length, chunks: chunks.length };
    });
  }

  private sendDone(done: Done): void {
    this.onDone(done);
    void this.init.bus.send(this.init.subjects.done, { json: done, parts: [] }, this.init.index);
  }
}

function algorithmSetup(sim: Simulation): AlgorithmSetup {
  return setupOf(sim.config, sim.meta.d, sim.meta.n, sim.topology, sim.arena.u32('shardOff'));
}

/** A reply's error fields from a thrown error. */
export function errorFields(err: unknown): ReplyFields {
  return { error: serializeError(err) };
}
