/**
 * The run records: one evaluation (a line of metrics.jsonl) and the run summary (summary.json),
 * as the engine writes them and, in the *Record / *File forms derived from them here, as readers
 * (report, compare, bench) get them back: JSON stores NaN and +-Infinity as null, and files of
 * older versions may lack fields added since.
 */
import type { RunConfig } from '../config/types.js';

/** One evaluation of a run (a metrics.jsonl line). */
export interface Metrics {
  /** Rounds completed. */
  round: number;
  /** Samples processed per device / shard size (network totals). */
  epoch: number;
  /** Test accuracy and mean loss of z_avg = mean_i x_i / w_i. */
  accuracy: number;
  loss: number;
  /** Mean over devices of each z_i's accuracy on the device-evaluation subset (deviceEvalSamples). */
  meanDeviceAccuracy: number;
  /** 1/n sum_i ||z_i - z_avg||^2. */
  consensusDistance: number;
  /**
   * The training objective at z_avg: mean cross-entropy over the training set (over a fixed
   * seeded subset of TRAIN_OBJECTIVE_MAX samples when it is larger) plus weightDecay/2 ||z_avg||^2.
   * (Lines without batchLoss come from sparsepush 0.2.0 and earlier, where this was the mini-batch mean.)
   */
  trainLoss: number;
  /** z_avg's accuracy on the training objective's samples. */
  trainAccuracy: number;
  /** Mean over devices of each device's last mini-batch loss (what local SGD sees; NaN before the first round). */
  batchLoss: number;
  /** Cumulative bits sent by all devices (encoded bytes x out-edges, plus push-sum scalars). */
  bitsSent: number;
  bitsReceived: number;
  /** Bits of an uncompressed (`none`) run of the same rounds / bitsSent. */
  compressionRatio: number;
  /** Server broadcast bits received (server algorithms). */
  bitsDown: number;
  /** Network sums of x (all coordinates) and of w. */
  massX: number;
  massW: number;
  simTimeS: number;
  energyJ: number;
  /** Step size of the last round run (algorithm.lr under algorithm.lrSchedule). */
  lr: number;
  wallTimeS: number;
}

/** A metrics line as read back: only `round` is sure; other fields may be null (non-finite) or absent (older runs). */
export type MetricsRecord = Pick<Metrics, 'round'> & { [K in Exclude<keyof Metrics, 'round'>]?: Metrics[K] | null };

/** The first evaluation reaching config.targetAccuracy. */
export interface TargetRecord {
  readonly round: number;
  readonly bitsSent: number;
  readonly simTimeS: number;
  readonly energyJ: number;
}

/** summary.json: written last, and only, by a successful run. */
export interface RunSummary {
  readonly name: string;
  readonly version: string;
  readonly config: RunConfig;
  readonly final: Metrics;
  /** sha256 hex of the float32 bytes (little-endian) of z_avg after the last round. */
  readonly paramsHash: string;
  readonly backend: string;
  readonly simd: boolean;
  readonly workers: number;
  readonly wallTimeS: number;
  /** Rounds run (fewer than config.rounds when targetAccuracy stopped the run early). */
  readonly rounds: number;
  /** Cumulative bits sent per device. */
  readonly bitsPerDevice: number[];
  /** First evaluation reaching config.targetAccuracy (null when it is 0 or was not reached). */
  readonly toTarget: TargetRecord | null;
  /** Spectral gap of the period-averaged mixing matrix (null for server algorithms or when too large to compute). */
  readonly spectralGap: number | null;
  /** Samples each device model was evaluated on for meanDeviceAccuracy. */
  readonly deviceEvalSamples: number;
  /** The trained model's files in the run directory (model.npz; tfjs models also model.json, weights.bin). */
  readonly modelFiles?: readonly string[];
  /** Runs over several host processes (sparsepush run --nats): each host's name, devices [from, to) and pool size (`workers` is their sum). */
  readonly hosts?: readonly { readonly name: string; readonly from: number; readonly to: number; readonly workers: number }[];
}

/** Summary fields a reader may find missing (added after the first versions). */
type LaterSummaryKeys = 'version' | 'simd' | 'workers' | 'bitsPerDevice' | 'toTarget' | 'spectralGap' | 'deviceEvalSamples';

/** summary.json as read back. */
export type RunSummaryFile = Omit<RunSummary, 'final' | LaterSummaryKeys> & { readonly final: MetricsRecord } & Partial<Pick<RunSummary, LaterSummaryKeys>>;

/** Progress of a run: after every round; `metrics` on evaluated rounds. */
export interface ProgressEvent {
  /** Rounds completed. */
  readonly round: number;
  readonly rounds: number;
  /** Present when this round was evaluated. */
  readonly metrics?: Metrics;
}
