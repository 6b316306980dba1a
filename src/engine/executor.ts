/**
 * Phase executors run phase tasks on workers that all map the same arena. A phase is dispatched
 * as one task per worker over a contiguous device batch (a dispatch costs tens of microseconds per
 * task, so batches, not devices, are the unit of work) and awaited as a whole: that await is the
 * phase barrier.
 *
 * This file is portable (no Node built-ins): the interface and the in-process executor. The
 * Piscina pool of Node worker threads is in pool.ts; a Web Worker pool implements the same
 * interface, each worker running a WorkerRuntime (worker/runtime.ts) over the posted WorkerInit.
 */
import type { PhaseResult, PhaseTask, WorkerInit } from './protocol.js';
import { WorkerRuntime } from './worker/runtime.js';

export interface PhaseExecutor {
  readonly size: number;
  /** Runs the tasks; `onLost` is called at once when a worker dies (its task then rejects) before the others finish. */
  run(tasks: readonly PhaseTask[], onLost?: () => void): Promise<PhaseResult[]>;
  close(): Promise<void>;
}

/** Builds the executor of a run from its WorkerInit and pool size. */
export type ExecutorFactory = (init: WorkerInit, size: number) => PhaseExecutor;

/** Runs phases in the calling thread (one slot); same results as any pool. */
export class InlineExecutor implements PhaseExecutor {
  readonly size = 1;
  private runtime: Promise<WorkerRuntime> | undefined;
  constructor(private readonly init: WorkerInit) {}

  async run(tasks: readonly PhaseTask[]): Promise<PhaseResult[]> {
    this.runtime ??= WorkerRuntime.create(this.init, { slot: 0 });
    const rt = await this.runtime;
    const out: PhaseResult[] = [];
    for (const t of tasks) out.push(await rt.run(t));
    return out;
  }

  async close(): Promise<void> {
    if (this.runtime) (await this.runtime).learner.dispose();
  }
}
