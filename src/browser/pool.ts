/**
 * The browser twin of the Piscina pool: `size` Web Workers (phase-worker.ts), each running a
 * WorkerRuntime over the same shared arena, driven through comlink. Task k of a dispatch runs on
 * worker k (a round's tasks meet at barriers inside the arena, so they must run at once on
 * distinct workers); extra tasks queue behind them in order. Needs a cross-origin isolated page
 * (the arena's WebAssembly.Memory is posted to the workers).
 */
import * as Comlink from 'comlink';
import { RunError } from '../errors.js';
import { phaseResults, type PhaseExecutor } from '../engine/executor.js';
import type { PhaseResult, PhaseTask, WorkerInit } from '../engine/protocol.js';
import type { PhaseWorkerApi } from './phase-worker.js';

export interface WebWorkerPoolOptions {
  /** URL prefix of the tfjs wasm backend's .wasm files (models other than logistic). */
  readonly tfjsWasm?: string;
  /** Makes worker k (default: a module worker from phase-worker.js next to this module). */
  readonly createWorker?: (k: number) => Worker;
}

function defaultWorker(k: number): Worker {
  // This exact form lets bundlers (webpack, Vite, the esbuild asset plugin) find the worker entry.
  return new Worker(new URL('./phase-worker.js', import.meta.url), { type: 'module', name: `sparsepush-phase-${k}` });
}

interface PoolWorker {
  readonly worker: Worker;
  readonly remote: Comlink.Remote<PhaseWorkerApi>;
  /** Rejects when the worker dies (an uncaught error, a message that cannot be read). */
  readonly lost: Promise<never>;
  /** The worker's queue: its tasks run one after another. */
  queue: Promise<unknown>;
}

export class WebWorkerExecutor implements PhaseExecutor {
  private readonly workers: PoolWorker[] = [];
  private closed = false;

  constructor(init: WorkerInit, readonly size: number, opts: WebWorkerPoolOptions = {}) {
    if (!globalThis.crossOriginIsolated) throw new RunError('Web Workers can share the arena only in a cross-origin isolated page (COOP same-origin + COEP require-corp); use one worker (inline) here');
    const create = opts.createWorker ?? defaultWorker;
    for (let k = 0; k < size; k++) {
      const worker = create(k);
      const lost = new Promise<never>((_, reject) => {
        worker.addEventListener('error', (e) => reject(new RunError(`phase worker ${k} failed: ${e.message || 'uncaught error'}`)));
        worker.addEventListener('messageerror', () => reject(new RunError(`phase worker ${k} received a message it cannot read`)));
      });
      lost.catch(() => {});
      const remote = Comlink.wrap<PhaseWorkerApi>(worker);
      // The runtime is built in the background; its errors come back with the first task.
      const queue = remote.init(init, { slot: k, tfjsWasm: opts.tfjsWasm });
      this.workers.push({ worker, remote, lost, queue });
    }
  }

  async run(tasks: readonly PhaseTask[], onLost?: () => void): Promise<PhaseResult[]> {
    if (this.closed) throw new RunError('the Web Worker pool is closed');
    const runs = tasks.map((task, k) => {
      const w = this.workers[k % this.size]!;
      const result = w.queue.then(() => Promise.race([w.remote.run(task), w.lost]));
      w.queue = result.catch(() => {});
      if (onLost) result.catch(onLost);
      return result;
    });
    const settled = await Promise.allSettled(runs);
    return phaseResults(settled);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.workers) {
      w.remote[Comlink.releaseProxy]();
      w.worker.terminate();
    }
  }
}
