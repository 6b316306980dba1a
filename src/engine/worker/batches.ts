/**
 * Mini-batch sampling from a device's shard, in place on the arena: each device walks its shard
 * list (shardIdx) from its cursor, and each epoch starts with an in-place Fisher-Yates shuffle of
 * the shard from the stream (seed, device, epoch, batch), so sampling depends only on the device's
 * own history (and a checkpoint of cursor + shardIdx restores it exactly).
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import { Purpose, RandomStream, rngKey, rngU32 } from '../../kernels/rng.js';
import type { WorkerViews } from './views.js';

export class BatchSampler {
  private rowsView: Uint32Array | undefined;

  constructor(private readonly views: WorkerViews, private readonly seed: number, private readonly batchSize: number) {}

  /**
   * Pointer to the next batch's row indices of device i (u32[batchSize]): in place in the shard
   * list when the batch does not cross an epoch end, else gathered into the slot's row buffer.
   */
  sampleRows(i: number): number {
    const v = this.views;
    const B = this.batchSize;
    const off = v.shardOff[i]!;
    const len = v.shardOff[i + 1]! - off;
    let pos = v.cursor[2 * i]!;
    let epoch = v.cursor[2 * i + 1]!;
    let ptr: number;
    if (pos === len) { this.shuffle(i, off, len, epoch); epoch++; pos = 0; }
    if (pos + B <= len) {
      ptr = v.shardIdx.byteOffset + 4 * (off + pos);
      pos += B;
    } else {
      ptr = v.slotBase + v.meta.slot.rowsOffset;
      const rows = (this.rowsView ??= new Uint32Array(v.buffer, ptr, B));
      for (let s = 0; s < B; s++) {
        if (pos === len) { this.shuffle(i, off, len, epoch); epoch++; pos = 0; }
        rows[s] = v.shardIdx[off + pos]!;
        pos++;
      }
    }
    v.cursor[2 * i] = pos;
    v.cursor[2 * i + 1] = epoch;
    return ptr;
  }

  private shuffle(i: number, off: number, len: number, epoch: number): void {
    shuffleInPlace(this.views.shardIdx, off, len, rngKey(this.seed, i, epoch, Purpose.batch));
  }

  /** Gathers rows into the slot's batch buffers (learners that do not read samples in place). */
  gather(rowsPtr: number): { x: Float32Array; y: Uint8Array; count: number } {
    const v = this.views;
    const B = this.batchSize;
    const f = v.meta.features;
    const s = v.meta.slot;
    const rows = new Uint32Array(v.buffer, rowsPtr, B);
    const x = new Float32Array(v.buffer, v.slotBase + s.batchXOffset, B * f);
    const y = new Uint8Array(v.buffer, v.slotBase + s.batchYOffset, B);
    const tx = v.datasets.train.x;
    const ty = v.datasets.train.y;
    for (let r = 0; r < B; r++) {
      const row = rows[r]!;
      x.set(tx.subarray(row * f, row * f + f), r * f);
      y[r] = ty[row]!;
    }
    return { x, y, count: B };
  }
}

/**
 * RandomStream(key).shuffle(a.subarray(off, off + len)), the same swaps without per-draw objects
 * (~3x faster; an epoch's reshuffle is on every device's path). Each draw is rngU32(key, counter);
 * the bound j of Lemire's method is the high word of draw * (i + 1), taken exactly from 16-bit
 * halves; the rare draws that may need rejection (low word < i + 1) go through RandomStream itself.
 */
export function shuffleInPlace(a: Uint32Array, off: number, len: number, key: number): void {
  let counter = 0;
  for (let i = len - 1; i > 0; i--) {
    const m = i + 1;
    const x = rngU32(key, counter);
    let j: number;
    if ((Math.imul(x, m) >>> 0) < m) {
      const s = new RandomStream(key, counter);
      j = s.nextInt(m);
      counter = s.counter;
    } else {
      const hiPart = (x >>> 16) * m;
      const low = hiPart % 65536;
      j = (hiPart - low) / 65536 + Math.floor((low * 65536 + (x & 0xffff) * m) / 4294967296);
      counter++;
    }
    const p = off + i;
    const q = off + j;
    const t = a[p]!;
    a[p] = a[q]!;
    a[q] = t;
  }
}
