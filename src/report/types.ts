/** What a run directory holds, as the report reads it (written by src/engine/run.ts). */
import type { RunConfig } from '../config/types.js';

/** One line of metrics.jsonl: one evaluation. Algorithm-specific fields may be added. */
export interface MetricsRecord {
  round: number;
  epoch?: number;
  accuracy?: number | null;
  loss?: number | null;
  meanDeviceAccuracy?: number | null;
  consensusDistance?: number | null;
  /** Cumulative bits sent by all devices. */
  bitsSent?: number | null;
  bitsReceived?: number | null;
  compressionRatio?: number | null;
  massX?: number | null;
  massW?: number | null;
  lr?: number | null;
  simTimeS?: number | null;
  energyJ?: number | null;
  wallTimeS?: number | null;
}

export interface ToTarget {
  round: number;
  bitsSent: number;
  simTimeS: number;
  energyJ: number;
}

/** summary.json, written last by a successful run. */
export interface RunSummaryFile {
  name: string;
  version?: string;
  config: RunConfig;
  final: MetricsRecord;
  paramsHash: string;
  backend: string;
  simd?: boolean;
  workers?: number;
  wallTimeS: number;
  rounds: number;
  bitsPerDevice?: number[];
  toTarget?: ToTarget | null;
  spectralGap?: number | null;
}

/** A run directory as loaded for a report. */
export interface RunData {
  dir: string;
  /** Unique label used in legends and the table. */
  label: string;
  config: RunConfig | null;
  metrics: MetricsRecord[];
  summary: RunSummaryFile | null;
  /** error.json's message when the run failed. */
  error: string | null;
}
