/** A labelled dataset in memory: row-major float features (normalised) and integer labels. */
export interface Dataset {
  readonly name: string;
  /** Number of samples. */
  readonly count: number;
  /** Features per sample (product of shape). */
  readonly features: number;
  /** Per-sample shape, e.g. [28, 28, 1] for images (HWC) or [D] for tabular data. */
  readonly shape: readonly number[];
  readonly classes: number;
  /** count * features floats; SharedArrayBuffer-backed where the loader can, so workers share it. */
  readonly x: Float32Array;
  /** count labels in 0..classes-1. */
  readonly y: Uint8Array;
}

/** Which samples each device owns: deterministic from the seed; every sample used at most once. */
export interface Partition {
  /** shards[i]: sample indices of device i (into the training Dataset). */
  readonly shards: readonly Uint32Array[];
}
