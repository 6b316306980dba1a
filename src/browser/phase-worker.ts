/**
 * Web Worker entry of the browser pool (pool.ts): builds a WorkerRuntime over the posted WorkerInit
 * (kernel instance over the shared memory, learner, compressors, topology, algorithm) and runs
 * phase tasks on it; the same round code as the Node workers (workers/phase.ts).
 */
import * as Comlink from 'comlink';
import { serializeError, type PhaseResult, type PhaseTask, type WorkerInit } from '../engine/protocol.js';
import { WorkerRuntime } from '../engine/worker/runtime.js';
import { loadBrowserModels } from './models.js';

let runtime: Promise<WorkerRuntime> | undefined;

const api = {
  /** Starts building the runtime; its errors are reported by the first task. */
  init(init: WorkerInit, options: { slot: number; tfjsWasm?: string }): void {
    runtime = WorkerRuntime.create(init, { slot: options.slot, loadModels: () => loadBrowserModels(options.tfjsWasm) });
    runtime.catch(() => {});
  },
  async run(task: PhaseTask): Promise<PhaseResult> {
    try {
      if (!runtime) throw new Error('phase worker: run before init');
      return await (await runtime).run(task);
    } catch (err) {
      return { learnMs: 0, localMs: 0, busyMs: 0, error: serializeError(err) };
    }
  },
};

export type PhaseWorkerApi = typeof api;

Comlink.expose(api);
