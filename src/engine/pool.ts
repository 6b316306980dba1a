/**
 * Phase executors: a Piscina pool of `size` workers (workers/phase.ts) that all map the same arena,
 * or an in-process executor (tests, debugging). A phase is dispatched as one task per worker over
 * a contiguous device batch (Piscina costs ~25-30 us per task here, so batches, not devices, are
 * the unit of work) and awaited as a whole: that await is the phase barrier.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { RunError } from '../errors.js';
import type { PhaseResult, PhaseTask, WorkerInit } from './protocol.js';
import { WorkerRuntime } from './runtime.js';

export interface PhaseExecutor {
  readonly size: number;
  /** Runs the tasks; `onLost` is called at once when a worker dies (its task then rejects) before the others finish. */
  run(tasks: readonly PhaseTask[], onLost?: () => void): Promise<PhaseResult[]>;
  close(): Promise<void>;
}

/**
 * The Piscina entry next to this module's package: workers/phase.ts when running from sources
 * (tsx: worker threads inherit the parent's --import tsx loader through process.execArgv), or
 * dist/workers/phase.js from the compiled package.
 */
export function phaseWorkerFile(base: string = import.meta.url): string {
  const ext = base.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../../workers/phase.${ext}`, base));
}

export class PiscinaExecutor implements PhaseExecutor {
  private readonly pool: Piscina<PhaseTask, PhaseResult>;

  constructor(init: WorkerInit, readonly size: number) {
    this.pool = new Piscina<PhaseTask, PhaseResult>({
      filename: phaseWorkerFile(),
      minThreads: size,
      maxThreads: size,
      // Workers hold caches (kernel instance, learner, scratch slot): never retire them mid-run.
      idleTimeout: 2 ** 31 - 1,
      concurrentTasksPerWorker: 1,
      workerData: init,
      execArgv: process.execArgv,
    });
  }

  async run(tasks: readonly PhaseTask[], onLost?: () => void): Promise<PhaseResult[]> {
    const settled = await Promise.allSettled(tasks.map((t) => {
      const p = this.pool.run(t);
      if (onLost) p.catch(onLost);
      return p;
    }));
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

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Runs phases in the calling thread (one slot); same results as any pool. */
export class InlineExecutor implements PhaseExecutor {
  readonly size = 1;
  private runtime: Promise<WorkerRuntime> | undefined;
  constructor(private readonly init: WorkerInit) {}

  async run(tasks: readonly PhaseTask[]): Promise<PhaseResult[]> {
    this.runtime ??= WorkerRuntime.create(this.init, 0);
    const rt = await this.runtime;
    const out: PhaseResult[] = [];
    for (const t of tasks) out.push(await rt.run(t));
    return out;
  }

  async close(): Promise<void> {
    if (this.runtime) (await this.runtime).learner.dispose();
  }
}
