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
import { RunError } from '../errors.js';
import type { PhaseResult, PhaseTask, WorkerInit } from './protocol.js';
import { WorkerRuntime } from './worker/runtime.js';

export interface PhaseExecutor {
  readonly size: number;
  /** Runs the tasks; `onLost` is called at once when a worker dies (its task then rejects) before the others finish. */
  run(tasks: readonly PhaseTask[], onLost?: () => void): Promise<PhaseResult[]>;
  close(): Promise<void>;
}

/**
 * The results of a pool's settled tasks in task order, or a RunError naming the first failure: a
 * phase either completes on every worker or fails as a whole (after every task has settled, so no
 * worker still writes to the arena).
 */
export function phaseResults(settled: readonly PromiseSettledResult<PhaseResult>[]): PhaseResult[] {
  const out: PhaseResult[] = [];
  for (const s of settled) {
    if (s.status === 'rejected') {
      const reason = s.reason instanceof Error ? s.reason.message : String(s.reason);
      throw new RunError(`a phase worker failed: ${reason}`);
    }
    out.push(s.value);
  }
  return out;
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
