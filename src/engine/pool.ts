/**
 * The Node phase executor: a Piscina pool of `size` worker threads (workers/phase.ts), each
 * running a WorkerRuntime over the shared arena. Node-specific (worker threads, file paths); the
 * executor interface and the in-process executor are in executor.ts.
 */
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { phaseResults, type PhaseExecutor } from './executor.js';
import type { PhaseResult, PhaseTask, WorkerInit } from './protocol.js';

/**
 * The Piscina entry next to this module's package: workers/phase.ts when running from sources
 * (tsx: worker threads inherit the parent's --import tsx loader through process.execArgv), or
 * dist/workers/phase.js from the compiled package.
 */
function phaseWorkerFile(base: string = import.meta.url): string {
  const ext = base.endsWith('.ts') ? 'ts' : 'js';
  return fileURLToPath(new URL(`../../workers/phase.${ext}`, base));
}

export class PiscinaExecutor implements PhaseExecutor {
  private readonly pool: Piscina<PhaseTask, PhaseResult>;

  /** @param filename the worker entry (default workers/phase next to this package) */
  constructor(init: WorkerInit, readonly size: number, filename: string = phaseWorkerFile()) {
    this.pool = new Piscina<PhaseTask, PhaseResult>({
      filename,
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
    return phaseResults(settled);
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}
