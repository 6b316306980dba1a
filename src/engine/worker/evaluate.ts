/**
 * The evaluation phases of a worker: per device, the de-biased model z_i = x_i / w_i into its
 * reduction block and z_i's accuracy on the evaluation subset with the device's own learner state
 * (evalDevices); consensus distance terms, and z_avg's loss / accuracy per chunk of the test set
 * and of the training objective's samples, with the devices' mean learner state (evalGlobal).
 * Sums are written per block / chunk and added in order by the main thread, so they do not depend
 * on how work is split.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import type { Vec } from '../../algorithms/types.js';
import type { Dataset } from '../../data/types.js';
import type { KernelExports } from '../../kernels/abi.js';
import type { NativeLogisticLearner } from '../../models/logistic.js';
import type { Learner } from '../../models/types.js';
import { headDevices, REDUCE_BLOCK, Stat, STATS, TEST_CHUNK, testChunks } from '../layout.js';
import type { PhaseTask } from '../protocol.js';
import type { WorkerViews } from './views.js';

export class Evaluator {
  constructor(
    private readonly views: WorkerViews,
    private readonly kernels: KernelExports,
    private readonly learner: Learner,
    private readonly native: NativeLogisticLearner | null,
  ) {}

  /** z_i = x_i / w_i: x_i itself when w_i = 1, else written into the engine's scratch vector. */
  deBiased(i: number): Vec {
    const v = this.views;
    const d = v.meta.d;
    const w = v.w[i]!;
    const x = v.cachedDeviceVec('x', i);
    if (w === 1) return x;
    const z = v.engineVec();
    this.kernels.scale_into(d, 1 / w, x.ptr, z.ptr);
    return z;
  }

  /** Loss sum and correct count of `params` (with learner state `state`) on samples [start, start + count) of `data`. */
  async evaluate(params: Vec, state: Float32Array, data: Dataset, start: number, count: number): Promise<{ lossSum: number; correct: number }> {
    if (this.native) {
      const f = this.views.meta.features;
      const r = this.native.evaluatePtr(params.ptr, data.x.byteOffset + 4 * start * f, data.y.byteOffset + start, count);
      return { lossSum: r.loss * count, correct: r.correct };
    }
    const r = await this.learner.evaluate(params.view, state, data, start, count);
    return { lossSum: r.loss * count, correct: r.correct };
  }

  /** Device i's learner state (batch-norm statistics; empty when the model has none). */
  private deviceState(i: number): Float32Array {
    const v = this.views;
    const sc = v.meta.stateCount;
    return sc === 0 ? v.arena.f32('state', 0, 0) : new Float32Array(v.buffer, v.heldPtr('state', i, sc), sc);
  }

  /**
   * Per device: z_i into its reduction block (tasks are block-aligned) and z_i's accuracy on the
   * eval subset. The held devices before the first block start (a host whose range starts inside
   * a block) write z_i to headZ instead: the block's sum starts on the previous host, which adds
   * them in device order (transport/nats/evaluation.ts).
   */
  async evalDevices(task: PhaseTask): Promise<void> {
    const v = this.views;
    const { d, evalCount } = v.meta;
    const reduce = v.arena.f64('reduce');
    const headEnd = v.meta.owned.from + headDevices(v.meta.owned);
    let last: { device: number; correct: number; lossSum: number } | null = null;
    for (let i = task.from; i < task.to; i++) {
      const z = this.deBiased(i);
      const zv = z.view;
      const base = Math.floor(i / REDUCE_BLOCK) * d;
      if (i < headEnd) {
        v.arena.f32('headZ', (i - v.meta.owned.from) * d, d).set(zv);
      } else if (i % REDUCE_BLOCK === 0) {
        for (let k = 0; k < d; k++) reduce[base + k] = zv[k]!;
      } else {
        for (let k = 0; k < d; k++) reduce[base + k] += zv[k]!;
      }
      // A model bit-identical to the previous device's scores the same: server algorithms give every
      // worker the broadcast model, so one evaluation serves them all.
      const r: { correct: number; lossSum: number } = last !== null && this.sameModel(last.device, i) ? last : await this.evaluate(z, this.deviceState(i), v.datasets.evalSet, 0, evalCount);
      last = { device: i, correct: r.correct, lossSum: r.lossSum };
      const st = i * STATS;
      v.stats[st + Stat.massX] = this.kernels.sum(d, v.cachedDeviceVec('x', i).ptr);
      v.stats[st + Stat.evalCorrect] = r.correct;
    }
  }

  /** Devices j and i evaluate the same model: w = 1 for both (z = x), x and learner state equal bit for bit. */
  private sameModel(j: number, i: number): boolean {
    const v = this.views;
    if (v.w[j] !== 1 || v.w[i] !== 1) return false;
    const { d, stateCount } = v.meta;
    const bits = (region: string, len: number, k: number): Uint32Array => new Uint32Array(v.buffer, v.heldPtr(region, k, len), len);
    const same = (a: Uint32Array, b: Uint32Array): boolean => {
      for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
      return true;
    };
    return same(bits('x', d, j), bits('x', d, i)) && (stateCount === 0 || same(bits('state', stateCount, j), bits('state', stateCount, i)));
  }

  /**
   * Consensus distance terms for a device range, and z_avg's loss / accuracy for a chunk range:
   * chunks [0, testChunks) cover the test set (testPart), the next ones the training objective's
   * samples (objPart).
   */
  async evalGlobal(task: PhaseTask): Promise<void> {
    const v = this.views;
    const d = v.meta.d;
    const zavgV = v.arena.f32('zavg');
    for (let i = task.from; i < task.to; i++) {
      const zv = this.deBiased(i).view;
      let s = 0;
      for (let k = 0; k < d; k++) {
        const diff = zv[k]! - zavgV[k]!;
        s += diff * diff;
      }
      v.stats[i * STATS + Stat.consensus] = s;
    }
    const zavg: Vec = { ptr: v.arena.ptr('zavg'), view: zavgV };
    const stateAvg = v.arena.f32('stateAvg');
    const nTest = testChunks(v.meta.testCount);
    for (let c = task.chunkFrom ?? 0; c < (task.chunkTo ?? 0); c++) {
      const onTest = c < nTest;
      const k = onTest ? c : c - nTest;
      const data = onTest ? v.datasets.test : v.datasets.objective;
      const parts = v.arena.f64(onTest ? 'testPart' : 'objPart');
      const start = k * TEST_CHUNK;
      const r = await this.evaluate(zavg, stateAvg, data, start, Math.min(TEST_CHUNK, data.count - start));
      parts[2 * k] = r.lossSum;
      parts[2 * k + 1] = r.correct;
    }
  }
}
