/**
 * The resolved run config (every key has a default; the README's configuration reference lists
 * them). The zod schema in src/config/schema.ts validates input against this shape and fills defaults.
 */
export interface ClockConfig {
  /** Device compute rate, FLOP/s: median and log-normal spread (sigma of ln). */
  flops: number;
  flopsSpread: number;
  /** Link bandwidth, bit/s: median and log-normal spread. */
  bandwidth: number;
  bandwidthSpread: number;
  /** Link latency, seconds. */
  latency: number;
}

export interface EnergyConfig {
  /** Joules per bit sent, per bit received, per FLOP. */
  txPerBit: number;
  rxPerBit: number;
  perFlop: number;
}

export interface AlgorithmConfig {
  name: string;
  lr: number;
  /** constant | cosine | step:f1[,f2,...] (src/algorithms/lr-schedule.ts). */
  lrSchedule: string;
  momentum: number;
  weightDecay: number;
  batchSize: number;
  localSteps: number;
  /** Consensus step (sparse-push, choco) or server step (ef-sgd, dagc). */
  gamma: number;
  /** sc-sparse-push's skew compensation: `tracking` (gradient tracking) or `qgm` (quasi-global momentum). */
  compensation: 'qgm' | 'tracking';
  /** sparse-push memory form: `choco` (public copies) or `ef` (error feedback). */
  memory: 'choco' | 'ef';
  /** Fraction of workers taking part per round (server algorithms). */
  participation: number;
}

export interface DataConfig {
  train: string;
  test: string | null;
  partition: string;
  volume: string;
  /** Use at most this many training samples (0 = all). */
  limit: number;
  /** A device shard smaller than one batch: `error` (default) or `wrap` (its batches span epochs of the shard). */
  smallShards: 'error' | 'wrap';
}

export interface RunConfig {
  name: string;
  seed: number;
  devices: number;
  rounds: number;
  evalEvery: number;
  /** Stop early once test accuracy reaches this (0 = never); also drives *-to-accuracy summaries. */
  targetAccuracy: number;
  /** A model file (model.npz or a tfjs model.json) every device starts from; null: the seeded initialisation. */
  init: string | null;
  model: string;
  data: DataConfig;
  topology: string;
  algorithm: AlgorithmConfig;
  compressor: string;
  faults: { linkDrop: number; offline: number };
  clock: ClockConfig;
  energy: EnergyConfig;
  backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  /** Pool size; results do not depend on it. 0 = number of cores. */
  workers: number;
  checkpoint: { every: number; dir: string | null };
}
