/**
 * A worker's typed views on the arena: the whole per-device regions, the datasets, this worker's
 * scratch slot, and per-device vector views made once and kept (a worker keeps getting the same
 * device range, and making typed-array views is a measurable part of a device's round).
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import type { Arena } from '../../arena/arena.js';
import type { Vec } from '../../algorithms/types.js';
import type { Dataset } from '../../data/types.js';
import { RunError } from '../../errors.js';
import type { EngineMeta } from '../protocol.js';

/**
 * The datasets in the arena: training set, test set, the per-device evaluation subset (the test
 * set when equal) and the training objective's samples (the training set when equal).
 */
export interface ArenaDatasets {
  readonly train: Dataset;
  readonly test: Dataset;
  readonly evalSet: Dataset;
  readonly objective: Dataset;
}

export class WorkerViews {
  /** The arena's buffer (the arena never grows; reading memory.buffer is not free on a growable shared memory). */
  readonly buffer: SharedArrayBuffer;
  readonly stats: Float64Array;
  /** Push-sum weights w_i. */
  readonly w: Float64Array;
  /** Per device: (position in shard, epochs started). */
  readonly cursor: Uint32Array;
  readonly shardIdx: Uint32Array;
  readonly shardOff: Uint32Array;
  /** Per (round of a multi-round task, worker slot): the slowest round time among the devices the worker trained. */
  readonly slowest: Float64Array;
  readonly datasets: ArenaDatasets;
  private readonly vecCache = new Map<string, { length: number; list: (Vec | undefined)[] }>();
  private readonly scratchVecs: Vec[] = [];
  private readonly weightViews: (Float64Array | undefined)[];

  /** @param slotBase byte offset of this worker's scratch slot */
  constructor(readonly arena: Arena, readonly meta: EngineMeta, readonly slotBase: number) {
    const a = arena;
    this.buffer = a.buffer;
    this.stats = a.f64('stats');
    this.w = a.f64('w');
    this.cursor = a.u32('cursor');
    this.shardIdx = a.u32('shardIdx');
    this.shardOff = a.u32('shardOff');
    this.slowest = a.f64('slowest');
    this.weightViews = new Array<Float64Array | undefined>(meta.n);
    const m = meta;
    const mk = (name: string, xr: string, yr: string, count: number): Dataset => ({
      name, count, features: m.features, shape: m.inputShape, classes: m.classes,
      x: a.f32(xr, 0, count * m.features), y: a.u8(yr, 0, count),
    });
    const test = mk('test', 'testX', 'testY', m.testCount);
    const train = mk('train', 'trainX', 'trainY', m.trainCount);
    this.datasets = {
      train,
      test,
      evalSet: a.has('evalX') ? mk('eval', 'evalX', 'evalY', m.evalCount) : test,
      objective: a.has('objX') ? mk('objective', 'objX', 'objY', m.objCount) : train,
    };
  }

  /** Scratch d-vector `slot` of this worker. */
  scratchVec(slot: number): Vec {
    const cached = this.scratchVecs[slot];
    if (cached) return cached;
    const s = this.meta.slot;
    if (!Number.isInteger(slot) || slot < 0 || slot >= s.vectors) throw new RunError(`scratch vector ${slot} out of [0, ${s.vectors})`);
    const ptr = this.slotBase + s.vectorOffset + slot * s.vectorStride;
    return (this.scratchVecs[slot] = { ptr, view: new Float32Array(this.buffer, ptr, this.meta.d) });
  }

  /** The engine's own scratch vector (the last slot): z for evaluation. */
  engineVec(): Vec {
    return this.scratchVec(this.meta.slot.vectors - 1);
  }

  /** Elements [row * length, (row + 1) * length) of an f32 region, as a new Vec. */
  deviceVec(region: string, row: number, length = this.meta.d): Vec {
    const ptr = this.arena.ptr(region, row * length);
    return { ptr, view: new Float32Array(this.buffer, ptr, length) };
  }

  /** Kernel pointer of device i's row of a held region (x, m, dev.*, state: rows of the devices of meta.owned). */
  heldPtr(region: string, device: number, length: number): number {
    const { from, to } = this.meta.owned;
    if (device < from || device >= to) throw new RunError(`device ${device} is not held here (devices [${from}, ${to}))`);
    return this.arena.ptr(region, (device - from) * length);
  }

  /**
   * Device i's vector in a held region (`x`, `m`, or an algorithm's `dev.<name>`: region length /
   * held devices elements per device), made once per (region, device).
   */
  cachedDeviceVec(region: string, device: number): Vec {
    let c = this.vecCache.get(region);
    if (!c) {
      const { from, to } = this.meta.owned;
      c = { length: to > from ? this.arena.region(region).length / (to - from) : 0, list: new Array<Vec | undefined>(this.meta.n) };
      this.vecCache.set(region, c);
    }
    let v = c.list[device];
    if (!v) {
      const ptr = this.heldPtr(region, device, c.length);
      v = c.list[device] = { ptr, view: new Float32Array(this.buffer, ptr, c.length) };
    }
    return v;
  }

  /** Device i's push-sum weight as a one-element view. */
  weightView(i: number): Float64Array {
    return (this.weightViews[i] ??= this.w.subarray(i, i + 1));
  }
}
