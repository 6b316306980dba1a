/**
 * A Learner over a TensorFlow.js model definition with flat Float32Array parameters.
 *
 * The bridge per gradient call: one tf.tensor per parameter tensor made from a subarray view of the
 * flat vector (the wasm backend copies it once into its heap; cpu keeps the view), gradients by
 * tf.valueAndGrads with respect to those tensors, then each gradient copied straight from the wasm
 * heap (or dataSync elsewhere) into its range of `grad`. Everything else is disposed before return.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as Tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from '../../data/types.js';
import { InputError } from '../../errors.js';
import { buildSlots, initFlat, product, publicLayout, totalSize, type InitSlot, type TensorDef } from '../layout.js';
import type { Batch, Learner, ParamLayout } from '../types.js';
import { activateBackend } from '../backend.js';
import { FAST_OPS, REFERENCE_OPS, batchNormInfer, lossAndCorrect, type BatchStats, type TrainOps } from './ops.js';

/** PyTorch-style running statistics: r = (1 - m) r + m * batch, with the unbiased batch variance. */
export const BN_MOMENTUM = 0.1;

/** What a model's forward pass can ask for. */
export interface ForwardContext {
  readonly training: boolean;
  param(name: string): tf.Tensor;
  /**
   * Batch norm over the last axis with params `${prefix}.gamma`, `${prefix}.beta` and state
   * `${prefix}.runningMean`, `${prefix}.runningVar`: batch statistics when training, running otherwise.
   */
  batchNorm(prefix: string, x: tf.Tensor): tf.Tensor;
  /** 2x2 max pooling with stride 2 ('valid'). */
  maxPool2x2(x: tf.Tensor4D): tf.Tensor4D;
  relu<T extends tf.Tensor>(x: T): T;
}

export interface ModelDef {
  /** Normalised spec string, e.g. `mlp:128,64`. */
  readonly spec: string;
  readonly inputShape: readonly number[];
  readonly classes: number;
  readonly params: readonly TensorDef[];
  readonly state: readonly TensorDef[];
  /** Multiply-accumulates of one forward pass for one sample. */
  readonly macsPerSample: number;
  /** Samples per evaluation chunk (bounds memory). */
  readonly evalChunk: number;
  /** Logits [N, classes] for x [N, ...inputShape]. */
  forward(ctx: ForwardContext, x: tf.Tensor): tf.Tensor2D;
  /**
   * The same network as tfjs-layers layers, for the LayersModel export (inference: batch norm
   * with the running statistics), with logits as output. Each layout tensor `P.weight`, `P.bias`,
   * `P.gamma`, `P.beta`, `P.runningMean`, `P.runningVar` is a weight of the layer named P
   * (tfjsWeightName gives its tfjs name); other weights are fixed and set here. `tfl` is passed
   * in so model files do not load tfjs-layers for training.
   */
  layers(tfl: typeof Tfl): Tfl.LayersModel;
}

/** Batch-norm tensor definitions for a layer of `channels` (params and state). */
export function batchNormDefs(prefix: string, channels: number): { params: TensorDef[]; state: TensorDef[] } {
  return {
    params: [
      { name: `${prefix}.gamma`, shape: [channels], init: 'ones' },
      { name: `${prefix}.beta`, shape: [channels], init: 'zeros' },
    ],
    state: [
      { name: `${prefix}.runningMean`, shape: [channels], init: 'zeros' },
      { name: `${prefix}.runningVar`, shape: [channels], init: 'ones' },
    ],
  };
}

interface HeapBackend { typedArrayFromHeap(info: tf.TensorInfo): Float32Array | Int32Array | Uint8Array }
function hasHeap(b: object): b is HeapBackend {
  return typeof (b as Partial<HeapBackend>).typedArrayFromHeap === 'function';
}

export interface TfjsLearnerOptions {
  /** Use stock tfjs ops and autodiff for batch norm and the loss (tests compare against it). */
  readonly reference?: boolean;
}

export class TfjsLearner implements Learner {
  readonly spec: string;
  readonly paramCount: number;
  readonly stateCount: number;
  readonly flopsPerSample: number;
  readonly backend: string;
  readonly layout: ParamLayout;
  readonly def: ModelDef;
  private readonly paramSlots: InitSlot[];
  private readonly stateSlots: InitSlot[];
  private readonly paramIndex: Map<string, number>;
  private readonly stateIndex: Map<string, number>;
  private readonly ops: TrainOps;
  private readonly features: number;
  private disposed = false;

  constructor(def: ModelDef, backend: string, options: TfjsLearnerOptions = {}) {
    this.def = def;
    this.spec = def.spec;
    this.backend = backend;
    this.paramSlots = buildSlots(def.params);
    this.stateSlots = buildSlots(def.state);
    this.paramCount = totalSize(this.paramSlots);
    this.stateCount = totalSize(this.stateSlots);
    this.layout = publicLayout(this.paramSlots, this.stateSlots);
    this.paramIndex = new Map(this.paramSlots.map((s, i) => [s.name, i]));
    this.stateIndex = new Map(this.stateSlots.map((s, i) => [s.name, i]));
    // Forward 2 FLOPs per MAC; backward (input and weight gradients) about twice the forward.
    this.flopsPerSample = 6 * def.macsPerSample;
    this.ops = options.reference ? REFERENCE_OPS : FAST_OPS;
    this.features = product(def.inputShape);
  }

  private check(what: string, v: Float32Array, n: number): void {
    if (!(v instanceof Float32Array)) throw new InputError(`model ${this.spec}: ${what} must be a Float32Array`);
    if (v.length !== n) throw new InputError(`model ${this.spec}: ${what} has length ${v.length}, expected ${n}`);
  }

  private alive(): void {
    if (this.disposed) throw new InputError(`model ${this.spec}: learner used after dispose()`);
  }

  init(params: Float32Array, state: Float32Array, seed: number): void {
    this.check('params', params, this.paramCount);
    this.check('state', state, this.stateCount);
    initFlat(params, this.paramSlots, seed);
    initFlat(state, this.stateSlots, seed);
  }

  /** One tensor per slot, viewing the flat vector (caller disposes). */
  private upload(flat: Float32Array, slots: readonly InitSlot[]): tf.Tensor[] {
    return slots.map((s) => tf.tensor(flat.subarray(s.offset, s.offset + s.size), s.shape as number[], 'float32'));
  }

  /** Copy tensors (one per slot, same shapes) into the flat vector. */
  private download(tensors: readonly tf.Tensor[], slots: readonly InitSlot[], out: Float32Array): void {
    const b = tf.backend();
    for (let i = 0; i < slots.length; i++) {
      const t = tensors[i]!;
      const s = slots[i]!;
      if (t.size !== s.size) throw new Error(`model ${this.spec}: gradient of ${s.name} has ${t.size} values, expected ${s.size}`);
      out.set(hasHeap(b) ? (b.typedArrayFromHeap(t) as Float32Array) : (t.dataSync() as Float32Array), s.offset);
    }
  }

  private checkBatch(x: Float32Array, y: Uint8Array, count: number, what: string): void {
    if (!Number.isInteger(count) || count < 1) throw new InputError(`model ${this.spec}: ${what} count must be a positive integer, got ${count}`);
    if (x.length < count * this.features) {
      throw new InputError(`model ${this.spec}: ${what} has ${x.length} feature values, expected ${count} x ${this.features} (input shape [${this.def.inputShape.join(', ')}])`);
    }
    if (y.length < count) throw new InputError(`model ${this.spec}: ${what} has ${y.length} labels, expected ${count}`);
    for (let i = 0; i < count; i++) {
      if (y[i]! >= this.def.classes) throw new InputError(`model ${this.spec}: ${what} label ${y[i]} at sample ${i} is not below ${this.def.classes} classes`);
    }
  }

  private inputs(x: Float32Array, y: Uint8Array, start: number, count: number): { xt: tf.Tensor; labels: tf.Tensor1D; oneHot: tf.Tensor2D } {
    const f = this.features;
    const xt = tf.tensor(x.subarray(start * f, (start + count) * f), [count, ...this.def.inputShape], 'float32');
    const labels = tf.tensor1d(Int32Array.from(y.subarray(start, start + count)), 'int32');
    const oneHot = tf.tidy(() => tf.cast(tf.oneHot(labels, this.def.classes), 'float32')) as tf.Tensor2D;
    return { xt, labels, oneHot };
  }

  async gradient(params: Float32Array, state: Float32Array, batch: Batch, grad: Float32Array): Promise<number> {
    this.alive();
    this.check('params', params, this.paramCount);
    this.check('state', state, this.stateCount);
    this.check('grad', grad, this.paramCount);
    this.checkBatch(batch.x, batch.y, batch.count, 'batch');
    activateBackend(this.backend);

    const paramTensors = this.upload(params, this.paramSlots);
    const { xt, labels, oneHot } = this.inputs(batch.x, batch.y, 0, batch.count);
    const stats: Array<{ prefix: string; s: BatchStats }> = [];
    let result: { value: tf.Scalar; grads: tf.Tensor[] } | undefined;
    try {
      const f = (...ps: tf.Tensor[]): tf.Scalar => {
        const collected: BatchStats[] = [];
        const ctx: ForwardContext = {
          training: true,
          param: (name) => ps[this.index(this.paramIndex, name, 'parameter')]!,
          batchNorm: (prefix, x) => {
            const before = collected.length;
            const y = this.ops.batchNormTrain(x, ctx.param(`${prefix}.gamma`) as tf.Tensor1D, ctx.param(`${prefix}.beta`) as tf.Tensor1D, collected);
            for (let i = before; i < collected.length; i++) stats.push({ prefix, s: collected[i]! });
            return y;
          },
          maxPool2x2: (x) => this.ops.maxPool2x2(x),
          relu: (x) => this.ops.relu(x),
        };
        return this.ops.crossEntropy(this.def.forward(ctx, xt), oneHot);
      };
      result = tf.valueAndGrads(f)(paramTensors);
      const loss = result.value.dataSync()[0]!;
      this.download(result.grads, this.paramSlots, grad);
      this.updateRunningStats(state, stats);
      return loss;
    } finally {
      tf.dispose(paramTensors);
      tf.dispose([xt, labels, oneHot]);
      if (result) tf.dispose([result.value, ...result.grads]);
      for (const { s } of stats) tf.dispose([s.mean, s.variance]);
    }
  }

  private index(map: Map<string, number>, name: string, what: string): number {
    const i = map.get(name);
    if (i === undefined) throw new Error(`model ${this.spec}: no ${what} named ${name}`);
    return i;
  }

  private updateRunningStats(state: Float32Array, stats: ReadonlyArray<{ prefix: string; s: BatchStats }>): void {
    for (const { prefix, s } of stats) {
      const meanSlot = this.stateSlots[this.index(this.stateIndex, `${prefix}.runningMean`, 'state tensor')]!;
      const varSlot = this.stateSlots[this.index(this.stateIndex, `${prefix}.runningVar`, 'state tensor')]!;
      const mean = s.mean.dataSync();
      const variance = s.variance.dataSync();
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      for (let c = 0; c < meanSlot.size; c++) {
        state[meanSlot.offset + c] = (1 - BN_MOMENTUM) * state[meanSlot.offset + c]! + BN_MOMENTUM * mean[c]!;
        state[varSlot.offset + c] = (1 - BN_MOMENTUM) * state[varSlot.offset + c]! + BN_MOMENTUM * variance[c]! * unbias;
      }
    }
  }

  async evaluate(params: Float32Array, state: Float32Array, data: Dataset, start: number, count: number): Promise<{ loss: number; correct: number }> {
    this.alive();
    this.check('params', params, this.paramCount);
    this.check('state', state, this.stateCount);
    if (data.features !== this.features) {
      throw new InputError(`model ${this.spec}: dataset ${data.name} has ${data.features} features per sample (shape [${data.shape.join(', ')}]), model input shape is [${this.def.inputShape.join(', ')}]`);
    }
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > data.count) {
      throw new InputError(`model ${this.spec}: evaluate range [${start}, ${start + count}) is outside dataset ${data.name} of ${data.count} samples`);
    }
    if (count === 0) return { loss: 0, correct: 0 };
    this.checkBatch(data.x.subarray(start * this.features), data.y.subarray(start), count, `dataset ${data.name}`);
    activateBackend(this.backend);

    const paramTensors = this.upload(params, this.paramSlots);
    const stateTensors = this.upload(state, this.stateSlots);
    let lossSum = 0;
    let correct = 0;
    try {
      const ctx: ForwardContext = {
        training: false,
        param: (name) => paramTensors[this.index(this.paramIndex, name, 'parameter')]!,
        batchNorm: (prefix, x) => batchNormInfer(x,
          ctx.param(`${prefix}.gamma`) as tf.Tensor1D, ctx.param(`${prefix}.beta`) as tf.Tensor1D,
          stateTensors[this.index(this.stateIndex, `${prefix}.runningMean`, 'state tensor')] as tf.Tensor1D,
          stateTensors[this.index(this.stateIndex, `${prefix}.runningVar`, 'state tensor')] as tf.Tensor1D),
        maxPool2x2: (x) => tf.maxPool(x, 2, 2, 'valid'),
        relu: (x) => tf.relu(x),
      };
      for (let s = start; s < start + count; s += this.def.evalChunk) {
        const n = Math.min(this.def.evalChunk, start + count - s);
        const r = tf.tidy(() => {
          const { xt, labels, oneHot } = this.inputs(data.x, data.y, s, n);
          return lossAndCorrect(this.def.forward(ctx, xt), labels, oneHot);
        });
        const v = r.dataSync();
        r.dispose();
        lossSum += v[0]!;
        correct += v[1]!;
      }
    } finally {
      tf.dispose(paramTensors);
      tf.dispose(stateTensors);
    }
    return { loss: lossSum / count, correct: Math.round(correct) };
  }

  /**
   * The flat-array bridge alone, as a gradient step does it: every parameter tensor made from
   * `params`, then copied back out of the backend into `out` (as the gradients are). Returns the
   * two halves in milliseconds (benchmarks).
   */
  async bridgeRoundTrip(params: Float32Array, out: Float32Array): Promise<{ inMs: number; outMs: number }> {
    this.alive();
    this.check('params', params, this.paramCount);
    this.check('out', out, this.paramCount);
    activateBackend(this.backend);
    const t0 = performance.now();
    const tensors = this.upload(params, this.paramSlots);
    const t1 = performance.now();
    try {
      this.download(tensors, this.paramSlots, out);
    } finally {
      tf.dispose(tensors);
    }
    return { inMs: t1 - t0, outMs: performance.now() - t1 };
  }

  dispose(): void {
    // Tensors live only inside calls; nothing is held between them.
    this.disposed = true;
  }
}
