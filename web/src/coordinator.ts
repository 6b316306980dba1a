/**
 * The run's main side, in a Web Worker so the page never blocks: plans the arena, starts the
 * devices' Web Workers (or runs them here, one worker, when the page is not cross-origin isolated)
 * and drives the rounds with the CLI's loop (runInBrowser), reporting to the page as it goes.
 */
import * as Comlink from 'comlink';
import { canShareMemory, lastRoundPicture, runInBrowser } from '../../src/browser/engine.js';
import type { CoordinatorApi, Metrics, RoundPicture, RunRequest, RunStarted, RunSummary, RunUpdate } from './protocol.js';

/**
 * Minimum time between two updates to the page: a fast run reports hundreds of times per second,
 * and every message costs the page's thread time; the page draws at most every 100 ms anyway.
 */
const UPDATE_INTERVAL_MS = 50;

/**
 * Updates for the page, one in flight at a time and at most one per UPDATE_INTERVAL_MS: what the
 * run reports meanwhile waits here for the next one (every metrics line, the latest round
 * picture). A run that produces lines faster than the page can take them so never queues messages
 * on the page's thread, and Stop and the end of the run reach it at once.
 */
class Mailbox {
  private started: RunStarted | undefined;
  private metrics: Metrics[] = [];
  private picture: RoundPicture | undefined;
  private inFlight: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private sentAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deliver: (update: RunUpdate) => unknown) {}

  post(update: { started?: RunStarted; metrics?: Metrics; picture?: RoundPicture }): void {
    if (update.started) this.started = update.started;
    if (update.metrics) this.metrics.push(update.metrics);
    if (update.picture) this.picture = update.picture;
    this.pump();
  }

  /** Sends what waits now and resolves once everything posted has been taken by the page. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.inFlight) await this.inFlight;
      else if (this.timer !== null) this.pump(true);
      else return;
    }
  }

  private pump(now = false): void {
    if (this.inFlight || (!this.started && this.metrics.length === 0 && !this.picture)) return;
    const wait = this.sentAt + UPDATE_INTERVAL_MS - performance.now();
    if (!now && wait > 0) {
      this.timer ??= setTimeout(() => { this.timer = null; this.pump(); }, wait);
      return;
    }
    if (this.timer !== null) { clearTimeout(this.timer); this.timer = null; }
    this.sentAt = performance.now();
    const update: RunUpdate = { metrics: this.metrics, ...(this.started ? { started: this.started } : {}), ...(this.picture ? { picture: this.picture } : {}) };
    this.started = undefined;
    this.metrics = [];
    this.picture = undefined;
    // A page that is gone takes nothing more; the run still ends normally.
    this.inFlight = Promise.resolve(this.deliver(update)).then(() => {}, () => {}).then(() => {
      this.inFlight = null;
      this.pump();
    });
  }
}

let abort: AbortController | null = null;

const api: CoordinatorApi = {
  async run(request: RunRequest, onUpdate: (update: RunUpdate) => void): Promise<RunSummary> {
    abort = new AbortController();
    const { config, assets } = request;
    const mailbox = new Mailbox(onUpdate);
    try {
      return await runInBrowser(config, {
        workers: request.workers,
        version: request.version,
        data: { mnist: { train: assets.mnistTrain, test: assets.mnistTest } },
        tfjsWasm: assets.tfjsWasm,
        signal: abort.signal,
        onStart: (sim) => mailbox.post({
          started: {
            workers: sim.workers, isolated: canShareMemory(), simd: sim.simd, backend: sim.meta.backend,
            params: sim.meta.d, trainCount: sim.meta.trainCount, testCount: sim.meta.testCount,
          },
        }),
        onMetrics: (metrics) => mailbox.post({ metrics }),
        onBatch: (sim) => {
          const picture = lastRoundPicture(sim);
          if (picture) mailbox.post({ picture });
        },
      });
    } finally {
      await mailbox.flush();
    }
  },
  stop(): void {
    abort?.abort();
  },
};

Comlink.expose(api);
