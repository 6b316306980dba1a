// Shared by the browser tests: Debian's Chromium through playwright-core (never downloaded), the
// static server with the cross-origin isolation headers (the one `sparsepush serve` uses), and
// `sparsepush serve` itself as a child process on a free port.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { createStaticServer, listen, type Mount, type StaticServerOptions } from '../../src/cli/serve.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The skip reason when Chromium is not installed, else false. */
export const chromiumMissing: string | false = existsSync(CHROMIUM) ? false : `${CHROMIUM} not found: install it with 'apt-get install -y chromium' (CI does this in .ci/run)`;

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

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

/**
 * `sparsepush serve --port 0 <args>` from the sources as a child process: waits for the URL it
 * prints, then polls it until it answers; close() stops the process by its pid.
 */
export async function startServeProcess(args: readonly string[]): Promise<Served & { readonly pid: number }> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/entry.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid!;
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    process.kill(pid, 'SIGTERM');
    await exited;
  };
  let output = '';
  try {
    const origin = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve printed no URL within 30 s:\n${output}`)), 30_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        const m = /sparsepush page: (http:\/\/\S+?)\/?\s/.exec(output);
        if (m) { clearTimeout(timer); done(m[1]!); }
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`serve exited with ${code}:\n${output}`)); });
    });
    let last = '';
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const res = await fetch(`${origin}/`);
        if (res.ok) return { origin, pid, close: stop };
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`serve at ${origin} does not answer (${last})`);
  } catch (err) {
    await stop();
    throw err;
  }
}
