// Headless Chromium for the browser tests and bench/page.ts: Debian's /usr/bin/chromium through
// playwright-core (never downloaded), and `sparsepush serve` from the sources as a child process on
// a free port, polled until it answers and stopped by its pid.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Debian's Chromium, headless; the browser tests need it (a missing one fails them, saying how to install it). */
export async function launchChromium() {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: install it with 'apt-get install -y chromium' (CI does this in .ci/run)`);
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/**
 * `sparsepush serve --port 0 <args>` from the sources (tsx) as a child process: waits for the URL
 * it prints, then polls it until it answers; close() stops the process by its pid.
 */
export async function startServeProcess(args) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, 'src/cli/entry.ts'), 'serve', '--host', '127.0.0.1', '--port', '0', ...args], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  const close = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((done) => child.once('exit', () => done()));
    process.kill(pid, 'SIGTERM');
    await exited;
  };
  let output = '';
  try {
    const origin = await new Promise((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`serve printed no URL within 30 s:\n${output}`)), 30_000);
      const onData = (chunk) => {
        output += chunk.toString();
        const m = /sparsepush page: (http:\/\/\S+?)\/?\s/.exec(output);
        if (m) { clearTimeout(timer); done(m[1]); }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('exit', (code) => { clearTimeout(timer); fail(new Error(`serve exited with ${code}:\n${output}`)); });
    });
    let last = '';
    for (let attempt = 0; attempt < 100; attempt++) {
      try {
        const res = await fetch(`${origin}/`);
        if (res.ok) return { origin, pid, close };
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = err.message;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`serve at ${origin} does not answer (${last})`);
  } catch (err) {
    await close();
    throw err;
  }
}
