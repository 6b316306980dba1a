/**
 * The algorithm-facing contexts (the DeviceContext and ServerContext of src/algorithms/types.ts)
 * over a worker's arena: one object per task and hook kind, re-pointed at each device. Messages
 * are posted and read through the exchange's outboxes (outbox.ts holds the header format);
 * gradients sample batches in place (batches.ts); bits, FLOPs, samples and the device's virtual
 * round time are counted here, where the real byte counts are known.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import type { AlgorithmSetup, DeviceContext, InMessage, ServerContext, Vec } from '../../algorithms/types.js';
import type { WireCompressor } from '../../compress/types.js';
import type { KernelExports } from '../../kernels/abi.js';
import type { RunConfig } from '../../config/types.js';
import { RunError } from '../../errors.js';
import { Stat, STATS } from '../layout.js';
import type { RoundView } from '../round.js';
import { MessageSlot } from './outbox.js';
import type { WorkerRuntime } from './runtime.js';

const now = (): number => performance.now();

/** The fields device and server contexts share (NodeContext), read from the worker once per task. */
abstract class NodeCtx {
  readonly round: number;
  readonly d: number;
  readonly n: number;
  readonly config: RunConfig;
  readonly setup: AlgorithmSetup;
  readonly kernels: KernelExports;

  constructor(protected readonly rt: WorkerRuntime, protected readonly view: RoundView) {
    this.round = view.round;
    this.d = rt.meta.d;
    this.n = rt.meta.n;
    this.config = rt.config;
    this.setup = rt.setup;
    this.kernels = rt.kernels;
  }
}

/** DeviceContext over the arena; one object per task, re-pointed at each device (reset). */
export class DeviceCtx extends NodeCtx implements DeviceContext {
  device = 0;
  /** Set by the mix hook when x_i's last write counted no NaN/Inf (xCheckedFinite). */
  xChecked = false;
  /** FLOPs of this device's local steps this round (its virtual compute time). */
  roundFlops = 0;
  /** Slowest transfer of this device's post this round. */
  maxTransfer = 0;
  /** This device's in-messages once read (inboxReady); the array and message objects are re-used for the next device. */
  private readonly inboxList: InMessage[] = [];
  private readonly messageSlots: MessageSlot[] = [];
  private inboxReady = false;
  private readonly serverSlot = new MessageSlot();
  /** The downlink of this round was counted for this device. */
  private broadcastCounted = false;
  x!: Vec;
  w!: Float64Array;
  momentum!: Vec;
  compressor!: WireCompressor;
  streams: readonly WireCompressor[] = [];
  selfWeight = 1;
  outPeers: readonly number[] = [];

  reset(i: number): void {
    this.device = i;
    this.xChecked = false;
    this.roundFlops = 0;
    this.maxTransfer = 0;
    this.inboxReady = false;
    this.broadcastCounted = false;
    const views = this.rt.views;
    this.x = views.cachedDeviceVec('x', i);
    this.w = views.weightView(i);
    this.momentum = views.cachedDeviceVec('m', i);
    this.compressor = this.rt.compressorOf(i);
    this.streams = this.rt.streamsOf(i);
    this.selfWeight = this.view.selfWeight(i);
    this.outPeers = this.view.outPeers(i);
  }

  vector(name: string): Vec {
    return this.rt.views.cachedDeviceVec(`dev.${name}`, this.device);
  }

  scratch(slot: number): Vec {
    const alg = this.rt.algorithm;
    if (slot >= alg.scratchVectors) throw new RunError(`${alg.name}: scratch(${slot}) but it declares scratchVectors = ${alg.scratchVectors}`);
    return this.rt.views.scratchVec(slot);
  }

  rngKey(purpose: number): number {
    return this.rt.rngKey(this.device, this.round, purpose);
  }

  outbox(): Uint8Array {
    return this.rt.exchange.outboxes.payload(this.device);
  }

  post(bytes: number, weight?: number): void {
    const rt = this.rt;
    const meta = rt.meta;
    if (!Number.isInteger(bytes) || bytes < 0 || bytes > meta.outboxPayload) throw new RunError(`device ${this.device}, round ${this.round}: posted ${bytes} bytes, outbox holds ${meta.outboxPayload}`);
    const sendsWeight = rt.algorithm.sendsWeight;
    const toServer = rt.algorithm.kind === 'server';
    const peers = this.outPeers;
    const degree = toServer ? 1 : peers.length;
    rt.exchange.outboxes.post(this.device, this.round, bytes, degree, this.selfWeight, sendsWeight ? (weight ?? Number.NaN) : Number.NaN);
    const scalarBits = sendsWeight ? 64 : 0;
    const bits = 8 * bytes + scalarBits;
    const stats = rt.views.stats;
    const st = this.device * STATS;
    stats[st + Stat.bitsSent] += bits * degree;
    stats[st + Stat.denseBits] += (8 * meta.noneBytes + scalarBits) * degree;
    let maxT = 0;
    if (toServer) maxT = rt.clock.transferTime(this.device, meta.n, bits);
    else for (let k = 0; k < peers.length; k++) maxT = Math.max(maxT, rt.clock.transferTime(this.device, peers[k]!, bits));
    this.maxTransfer = maxT;
  }

  async gradient(params: Vec, grad: Vec): Promise<number> {
    const rt = this.rt;
    const B = rt.config.algorithm.batchSize;
    const rows = rt.sampler.sampleRows(this.device);
    const t0 = now();
    let loss: number;
    if (rt.native) {
      const train = rt.views.datasets.train;
      loss = rt.native.gradientRows(params.ptr, train.x.byteOffset, train.y.byteOffset, rows, B, grad.ptr);
    } else {
      const batch = rt.sampler.gather(rows);
      const sc = rt.meta.stateCount;
      const state = new Float32Array(rt.views.buffer, rt.views.heldPtr('state', this.device, sc), sc);
      loss = await rt.learner.gradient(params.view, state, batch, grad.view);
    }
    rt.learnMs += now() - t0;
    const stats = rt.views.stats;
    const st = this.device * STATS;
    const flops = B * rt.meta.flopsPerSample;
    stats[st + Stat.samples] += B;
    stats[st + Stat.flops] += flops;
    stats[st + Stat.batchLoss] = loss;
    this.roundFlops += flops;
    rt.status.beat();
    return loss;
  }

  xCheckedFinite(): void {
    this.xChecked = true;
  }

  inbox(): InMessage[] {
    const list = this.inboxList;
    if (this.inboxReady) return list;
    const rt = this.rt;
    list.length = 0;
    const sendsWeight = rt.algorithm.sendsWeight;
    const outboxes = rt.exchange.outboxes;
    const peers = this.view.inPeers(this.device);
    let received = 0;
    for (let k = 0; k < peers.length; k++) {
      const j = peers[k]!;
      const msg = (this.messageSlots[list.length] ??= new MessageSlot());
      if (!outboxes.read(j, this.round, sendsWeight, msg) || this.view.dropped(j, this.device)) continue;
      list.push(msg);
      received += 8 * msg.bytes.length + (sendsWeight ? 64 : 0);
    }
    rt.views.stats[this.device * STATS + Stat.bitsReceived] += received;
    this.inboxReady = true;
    return list;
  }

  receiveBroadcast(out: Vec): boolean {
    const rt = this.rt;
    const ob = rt.exchange.serverOutbox;
    const msg = this.serverSlot;
    if (!ob || !ob.read(0, this.round, false, msg, -1)) return false;
    if (!this.broadcastCounted) {
      // Downlink: the device's round ends when the broadcast has arrived (server = node n).
      const stats = rt.views.stats;
      const st = this.device * STATS;
      stats[st + Stat.bitsDown] += 8 * msg.bytes.length;
      stats[st + Stat.roundTime] += rt.clock.transferTime(this.n, this.device, 8 * msg.bytes.length);
      this.broadcastCounted = true;
    }
    rt.downlink().decodeInto(msg.bytes, this.d, out.view);
    return true;
  }
}

/** ServerContext over the arena (server algorithms; the server is node n). */
export class ServerCtx extends NodeCtx implements ServerContext {
  readonly x: Vec;
  readonly compressor: WireCompressor;

  constructor(rt: WorkerRuntime, view: RoundView) {
    super(rt, view);
    this.x = rt.views.deviceVec('srv.x', 0);
    this.compressor = rt.downlink();
  }

  vector(name: string): Vec {
    const views = this.rt.views;
    return views.deviceVec(`srv.${name}`, 0, views.arena.region(`srv.${name}`).length);
  }

  scratch(slot: number): Vec { return this.rt.views.scratchVec(slot); }

  rngKey(purpose: number): number { return this.rt.rngKey(this.n, this.round, purpose); }

  /** (The server hook asks for it once per message it aggregates: a unit of progress.) */
  compressorOf(device: number): WireCompressor {
    this.rt.status.beat();
    return this.rt.compressorOf(device);
  }

  inbox(): InMessage[] {
    const rt = this.rt;
    const outboxes = rt.exchange.outboxes;
    const sendsWeight = rt.algorithm.sendsWeight;
    const list: InMessage[] = [];
    for (let j = 0; j < this.n; j++) {
      if (this.view.isOffline(j)) continue;
      const msg = new MessageSlot();
      if (outboxes.read(j, this.round, sendsWeight, msg)) list.push(msg);
    }
    return list;
  }

  outbox(): Uint8Array {
    return this.serverOutbox().payload(0);
  }

  post(bytes: number): void {
    this.serverOutbox().post(0, this.round, bytes, this.n, Number.NaN, Number.NaN);
  }

  private serverOutbox() {
    const ob = this.rt.exchange.serverOutbox;
    if (!ob) throw new RunError(`${this.rt.algorithm.name}: the server posted but the arena has no server outbox`);
    return ob;
  }
}
