// Shared by the browser tests: Chromium and `sparsepush serve` as a child process (scripts/chromium.mjs,
// also used by bench/page.ts), page logs, and an in-process static server with the cross-origin
// isolation headers (the one `sparsepush serve` uses).
import type { Page } from 'playwright-core';
import { createStaticServer, listen, type Mount, type StaticServerOptions } from '../../src/cli/serve.js';

export { CHROMIUM, CHROMIUM_ARGS, ROOT, launchChromium, startServeProcess } from '../../scripts/chromium.mjs';

/** Console messages and page errors, for assertion messages. */
export function collectLog(page: Page): () => string {
  const log: string[] = [];
  page.on('console', (msg) => log.push(`console.${msg.type()}: ${msg.text()}`));
  page.on('pageerror', (err) => log.push(`pageerror: ${err.message}`));
  return () => (log.length > 0 ? `\npage log:\n${log.join('\n')}` : '');
}

export interface Served {
  readonly origin: string;
  close(): Promise<void>;
}

/** An in-process static server on 127.0.0.1, on a free port. */
export async function startStaticServer(mounts: readonly Mount[], opts: StaticServerOptions = {}): Promise<Served> {
  const server = createStaticServer(mounts, opts);
  const origin = await listen(server, 0, '127.0.0.1');
  return { origin, close: () => new Promise<void>((done) => server.close(() => done())) };
}
