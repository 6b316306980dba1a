import type { Dataset } from '../data/types.js';

/** A batch in the learner's input format: `count` samples, features row-major, labels. */
export interface Batch {
  readonly x: Float32Array;
  readonly y: Uint8Array;
  readonly count: number;
}

/**
 * A model as a gradient oracle over flat parameters. The engine owns the parameters (arena slabs)
 * and the optimizer (momentum, weight decay, push-sum); a Learner only computes loss and gradient
 * at given parameters. Non-trained state (batch-norm running statistics) is a second flat vector
 * that `gradient` updates in place.
 */
export interface Learner {
  /** Model spec (e.g. `lenet`, `mlp:128,64`). */
  readonly spec: string;
  readonly paramCount: number;
  /** Length of the non-trained state vector (0 when none). */
  readonly stateCount: number;
  /** Forward + backward FLOPs for one sample (virtual clock and energy). */
  readonly flopsPerSample: number;
  /** Backend that runs it: `native` (AssemblyScript kernels), `tensorflow`, `wasm` or `cpu`. */
  readonly backend: string;
  /** Deterministic initial parameters (and state) from the seed. */
  init(params: Float32Array, state: Float32Array, seed: number): void;
  /** Mean cross-entropy loss on the batch; writes d loss / d params into grad (length paramCount). */
  gradient(params: Float32Array, state: Float32Array, batch: Batch, grad: Float32Array): Promise<number>;
  /** Loss (mean) and number of correct predictions on samples [start, start + count) of data. */
  evaluate(params: Float32Array, state: Float32Array, data: Dataset, start: number, count: number): Promise<{ loss: number; correct: number }>;
  /** Frees backend resources. */
  dispose(): void;
  /** Named tensors of the flat parameter and state vectors (added; optional for learners without one). */
  readonly layout?: ParamLayout;
}

/** One named tensor inside a flat vector: elements [offset, offset + size), row-major `shape`. */
export interface TensorSlot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

/** Fixed layout of a model's flat parameter vector and state vector (batch-norm running statistics). */
export interface ParamLayout {
  readonly params: readonly TensorSlot[];
  readonly state: readonly TensorSlot[];
}
