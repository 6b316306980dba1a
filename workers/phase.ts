/**
 * Piscina worker entry: runs one phase for a batch of devices on the shared arena.
 * The first task builds the worker's runtime from workerData (kernel instance over the posted
 * memory, learner, compressors, topology, algorithm); later tasks reuse it.
 */
import { Piscina } from 'piscina';
import { loadModelRegistry } from '../src/engine/load-module.js';
import type { PhaseResult, PhaseTask, WorkerInit } from '../src/engine/protocol.js';
import { serializeError } from '../src/engine/protocol.js';
import { WorkerRuntime } from '../src/engine/worker/runtime.js';
import { getTransport } from '../src/transport/registry.js';

let runtime: Promise<WorkerRuntime> | undefined;

export default async function phase(task: PhaseTask): Promise<PhaseResult> {
  try {
    const init = Piscina.workerData as WorkerInit;
    runtime ??= WorkerRuntime.create(init, {
      loadModels: loadModelRegistry,
      ...(init.transport ? { exchange: getTransport(init.transport).workerExchange } : {}),
    });
    return await (await runtime).run(task);
  } catch (err) {
    return { learnMs: 0, localMs: 0, busyMs: 0, error: serializeError(err) };
  }
}
