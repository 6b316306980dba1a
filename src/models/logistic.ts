/**
 * The native `logistic` Learner: softmax regression with bias, forward and backward as
 * AssemblyScript kernels (assembly/logistic.ts) working on the kernel memory (the arena). No tfjs.
 *
 * Parameters: W [classes x dIn] row-major, then bias [classes]; paramCount = classes * (dIn + 1).
 * No non-trained state (stateCount = 0). init() writes zeros: the problem is convex, and a common
 * deterministic start is what decentralized runs assume.
 *
 * flopsPerSample = 4 * classes * dIn + 6 * classes: the forward pass is one multiply-add per weight
 * (2 FLOPs), the backward pass one multiply-add per weight for the W gradient (2 FLOPs); the softmax,
 * the loss and the bias gradient add a handful of operations per class.
 *
 * Arrays that are views on the kernel memory are used in place (the engine's case); other arrays are
 * copied into a staging area of the kernel memory first (standalone use).
 */
import type { Batch, Learner, ParamLayout } from './types.js';
import type { Dataset } from '../data/types.js';
import type { KernelExports } from '../kernels/abi.js';
import { createSharedMemory, instantiateKernels, compileKernels } from '../kernels/index.js';
import { alignUp, KERNEL_RESERVED_BYTES, PAGE_BYTES } from '../arena/arena.js';
import { InputError } from '../errors.js';

export function logisticParamCount(dIn: number, classes: number): number {
  return classes * (dIn + 1);
}

/** The named tensors of the flat parameters: `weight` [classes, dIn] (row-major), then `bias` [classes]. */
export function logisticLayout(dIn: number, classes: number): ParamLayout {
  return {
    params: [
      { name: 'weight', shape: [classes, dIn], offset: 0, size: classes * dIn },
      { name: 'bias', shape: [classes], offset: classes * dIn, size: classes },
    ],
    state: [],
  };
}

export function logisticFlopsPerSample(dIn: number, classes: number): number {
  return 4 * classes * dIn + 6 * classes;
}

/** Bytes of kernel scratch the learner needs (softmax buffers + the correct-count word). */
export function logisticScratchBytes(classes: number): number {
  return alignUp(classes * 4, 16) + classes * 8 + 64;
}

/** A region of the kernel memory the learner may use as scratch. */
export interface ScratchRegion { readonly ptr: number; readonly bytes: number }

export class NativeLogisticLearner implements Learner {
  readonly spec = 'logistic';
  readonly backend = 'native';
  readonly stateCount = 0;
  readonly paramCount: number;
  readonly flopsPerSample: number;
  readonly layout: ParamLayout;
  private staging: Staging | null = null;

  constructor(
    readonly dIn: number,
    readonly classes: number,
    readonly kernels: KernelExports,
    private readonly scratch: ScratchRegion,
    private readonly ownsMemory = false,
  ) {
    if (!Number.isInteger(dIn) || dIn < 1) throw new InputError(`logistic: input size must be a positive integer, got ${dIn}`);
    if (!Number.isInteger(classes) || classes < 2 || classes > 256) throw new InputError(`logistic: classes must be an integer in [2, 256], got ${classes}`);
    if (scratch.bytes < logisticScratchBytes(classes)) throw new InputError(`logistic: scratch of ${scratch.bytes} bytes, needs ${logisticScratchBytes(classes)}`);
    this.paramCount = logisticParamCount(dIn, classes);
    this.flopsPerSample = logisticFlopsPerSample(dIn, classes);
    this.layout = logisticLayout(dIn, classes);
  }

  init(params: Float32Array, _state: Float32Array, _seed: number): void {
    this.checkLength('params', params, this.paramCount);
    params.fill(0);
  }

  /** Zero-copy gradient on the kernel memory: samples rows[0..count) of (xAll, yAll). Returns the mean loss. */
  gradientRows(paramsPtr: number, xAllPtr: number, yAllPtr: number, rowsPtr: number, count: number, gradPtr: number): number {
    return this.kernels.logistic_grad_rows(paramsPtr, this.dIn, this.classes, xAllPtr, yAllPtr, rowsPtr, count, gradPtr, this.scratch.ptr);
  }

  /** Zero-copy gradient of a contiguous batch on the kernel memory. */
  gradientPtr(paramsPtr: number, xPtr: number, yPtr: number, count: number, gradPtr: number): number {
    return this.kernels.logistic_grad(paramsPtr, this.dIn, this.classes, xPtr, yPtr, count, gradPtr, this.scratch.ptr);
  }

  /** Zero-copy evaluation of `count` contiguous samples on the kernel memory. */
  evaluatePtr(paramsPtr: number, xPtr: number, yPtr: number, count: number): { loss: number; correct: number } {
    const correctPtr = this.scratch.ptr + this.scratch.bytes - 64;
    const lossSum = this.kernels.logistic_eval(paramsPtr, this.dIn, this.classes, xPtr, yPtr, count, this.scratch.ptr, correctPtr);
    const correct = new Uint32Array(this.kernels.memory.buffer, correctPtr, 1)[0]!;
    return { loss: count > 0 ? lossSum / count : 0, correct };
  }

  async gradient(params: Float32Array, _state: Float32Array, batch: Batch, grad: Float32Array): Promise<number> {
    this.checkLength('params', params, this.paramCount);
    this.checkLength('grad', grad, this.paramCount);
    this.checkBatch(batch.x, batch.y, batch.count);
    const st = this.stagingFor();
    const p = st.place(0, params);
    const x = st.place(1, batch.x.subarray(0, batch.count * this.dIn));
    const y = st.place(2, batch.y.subarray(0, batch.count));
    const g = this.inMemory(grad) ? grad.byteOffset : st.reserve(3, grad.byteLength);
    const loss = this.gradientPtr(p, x, y, batch.count, g);
    if (!this.inMemory(grad)) grad.set(new Float32Array(this.kernels.memory.buffer, g, this.paramCount));
    return loss;
  }

  async evaluate(params: Float32Array, _state: Float32Array, data: Dataset, start: number, count: number): Promise<{ loss: number; correct: number }> {
    this.checkLength('params', params, this.paramCount);
    if (data.features !== this.dIn) throw new InputError(`logistic: dataset '${data.name}' has ${data.features} features, the model ${this.dIn}`);
    if (!Number.isInteger(start) || !Number.isInteger(count) || start < 0 || count < 0 || start + count > data.count) {
      throw new InputError(`logistic: samples [${start}, ${start + count}) out of [0, ${data.count}) of '${data.name}'`);
    }
    const xs = data.x.subarray(start * this.dIn, (start + count) * this.dIn);
    const ys = data.y.subarray(start, start + count);
    this.checkBatch(xs, ys, count);
    const st = this.stagingFor();
    return this.evaluatePtr(st.place(0, params), st.place(1, xs), st.place(2, ys), count);
  }

  dispose(): void {
    this.staging = null;
  }

  get ownsKernelMemory(): boolean { return this.ownsMemory; }

  private inMemory(a: ArrayBufferView): boolean {
    return a.buffer === this.kernels.memory.buffer;
  }

  private stagingFor(): Staging {
    this.staging ??= new Staging(this.kernels.memory, this.scratch.ptr + this.scratch.bytes);
    return this.staging;
  }

  private checkLength(what: string, a: ArrayLike<number>, n: number): void {
    if (a.length !== n) throw new InputError(`logistic: ${what} has length ${a.length}, expected ${n}`);
  }

  private checkBatch(x: Float32Array, y: Uint8Array, count: number): void {
    if (!Number.isInteger(count) || count < 0) throw new InputError(`logistic: bad batch count ${count}`);
    if (x.length < count * this.dIn || y.length < count) throw new InputError(`logistic: batch of ${count} needs ${count * this.dIn} features and ${count} labels, got ${x.length} and ${y.length}`);
    for (let i = 0; i < count; i++) {
      if (y[i]! >= this.classes) throw new InputError(`logistic: label ${y[i]} of sample ${i} is not < ${this.classes} classes`);
    }
  }
}

/**
 * Staging slots for arrays that are not on the kernel memory: four slots laid out from `base`
 * upward, growing the memory when needed. Only used by standalone learners (own memory) or when
 * callers hand in plain arrays; the engine never goes through here.
 */
class Staging {
  private readonly slots: { ptr: number; bytes: number }[] = [];
  constructor(private readonly memory: WebAssembly.Memory, private readonly base: number) {}

  /** Pointer of `a` on the kernel memory (copying it into slot `slot` when it lives elsewhere). */
  place(slot: number, a: Float32Array | Uint8Array): number {
    if (a.buffer === this.memory.buffer) return a.byteOffset;
    const ptr = this.reserve(slot, a.byteLength);
    new Uint8Array(this.memory.buffer, ptr, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    return ptr;
  }

  reserve(slot: number, bytes: number): number {
    const cur = this.slots[slot];
    if (cur && cur.bytes >= bytes) return cur.ptr;
    // Re-plan every slot above the changed one: simple and rare (sizes settle after the first calls).
    const sizes = [0, 1, 2, 3].map((i) => Math.max(this.slots[i]?.bytes ?? 0, i === slot ? bytes : 0));
    let at = alignUp(this.base);
    for (let i = 0; i < sizes.length; i++) {
      this.slots[i] = { ptr: at, bytes: sizes[i]! };
      at = alignUp(at + sizes[i]!);
    }
    const need = at - this.memory.buffer.byteLength;
    if (need > 0) this.memory.grow(Math.ceil(need / PAGE_BYTES));
    return this.slots[slot]!.ptr;
  }
}

/**
 * A standalone native learner with its own kernel memory (for library users and the model
 * registry's `logistic` entry); the engine builds NativeLogisticLearner over the arena instead.
 */
export async function createNativeLogistic(opts: { inputShape: readonly number[]; classes: number; simd?: boolean | 'auto' }): Promise<NativeLogisticLearner> {
  const dIn = opts.inputShape.reduce((a, b) => a * b, 1);
  const { module } = await compileKernels({ simd: opts.simd ?? 'auto' });
  const memory = createSharedMemory(1 << 20);
  const kernels = instantiateKernels(module, memory);
  const scratch = { ptr: KERNEL_RESERVED_BYTES, bytes: logisticScratchBytes(opts.classes) };
  return new NativeLogisticLearner(dIn, opts.classes, kernels, scratch, true);
}
