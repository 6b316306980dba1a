export { JsonlRecorder, readJsonl, readMetrics } from './jsonl.js';
export type { Metrics, MetricsRecord, RunSummary, RunSummaryFile, TargetRecord, ProgressEvent } from './records.js';
