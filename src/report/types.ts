/** A run directory as the report loads it (the records it holds are defined in src/metrics/records.ts). */
import type { RunConfig } from '../config/types.js';
import type { MetricsRecord, RunSummaryFile } from '../metrics/records.js';

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
