/**
 * Progress of the work before a run's round 0 that can take seconds to minutes at scale: dataset
 * conversion into the cache, synthetic data generation, the arena fill. Producers report each
 * stage from 0 to its total; the command line draws it (src/cli/progress.ts). Portable.
 */

export interface SetupProgress {
  /** What is being done, e.g. `generating synthetic:200000,64,10 (train)`. */
  readonly stage: string;
  readonly done: number;
  readonly total: number;
  /** Unit of done / total: `files`, `samples`, `devices`. */
  readonly unit: string;
}

export type SetupListener = (p: SetupProgress) => void;

/** Reports one stage: 0 now, then report(done) whenever the producer gets there; done = total ends it. */
export function setupStage(listener: SetupListener | undefined, stage: string, total: number, unit: string): (done: number) => void {
  if (!listener) return () => {};
  listener({ stage, done: 0, total, unit });
  return (done) => listener({ stage, done: Math.min(done, total), total, unit });
}

/** Samples (or devices) between two reports of a long loop. */
export const SETUP_REPORT_EVERY = 4096;
