/**
 * The run's main side, in a Web Worker so the page never blocks: plans the arena, starts the
 * devices' Web Workers (or runs them here, one worker, when the page is not cross-origin isolated)
 * and drives the rounds with the CLI's loop (runInBrowser), reporting to the page as it goes.
 */
import * as Comlink from 'comlink';
import { canShareMemory, lastRoundPicture, runInBrowser } from '../../src/browser/engine.js';
import type { CoordinatorApi, RunEvent, RunRequest, RunSummary } from './protocol.js';

let abort: AbortController | null = null;

const api: CoordinatorApi = {
  async run(request: RunRequest, onEvent: (event: RunEvent) => void): Promise<RunSummary> {
    abort = new AbortController();
    const { config, assets } = request;
    // Events travel on the callback's own port: the run settles only once the page has taken every
    // one of them, so the last metrics line is shown before the page hears that the run ended.
    const delivered: Promise<unknown>[] = [];
    const send = (event: RunEvent): void => { delivered.push(Promise.resolve(onEvent(event))); };
    try {
      return await runInBrowser(config, {
        workers: request.workers,
        version: request.version,
        data: { mnist: { train: assets.mnistTrain, test: assets.mnistTest } },
        tfjsWasm: assets.tfjsWasm,
        signal: abort.signal,
        onStart: (sim) => send({
          kind: 'started',
          info: {
            workers: sim.workers, isolated: canShareMemory(), simd: sim.simd, backend: sim.meta.backend,
            params: sim.meta.d, trainCount: sim.meta.trainCount, testCount: sim.meta.testCount,
          },
        }),
        onMetrics: (metrics) => send({ kind: 'metrics', metrics }),
        onBatch: (sim) => {
          const picture = lastRoundPicture(sim);
          if (picture) send({ kind: 'round', picture });
        },
      });
    } finally {
      await Promise.allSettled(delivered);
    }
  },
  stop(): void {
    abort?.abort();
  },
};

Comlink.expose(api);
