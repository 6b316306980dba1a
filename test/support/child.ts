// A Node script from the sources (through tsx) as a child process a test can read, wait for and stop
// by pid: the CLI, a host, a run to kill mid-way.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
/** The CLI from the sources (`node --import tsx ENTRY <args>`). */
export const ENTRY = join(ROOT, 'src', 'cli', 'entry.ts');

export interface ChildRun {
  readonly child: ChildProcess;
  readonly pid: number;
  /** stdout + stderr so far. */
  output(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Stops it by pid (SIGTERM, or the given signal) and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** `node --import tsx <script> <args>` in the repository root. */
export function spawnScript(script: string, args: readonly string[], env: Record<string, string> = {}): ChildRun {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => { out += b.toString(); });
  child.stderr!.on('data', (b: Buffer) => { out += b.toString(); });
  const exited = new Promise<number | string>((done) => child.once('exit', (code, signal) => done(code ?? signal ?? -1)));
  return {
    child, pid: child.pid!, output: () => out, exited,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) {
        try { process.kill(child.pid!, signal); } catch (err) {
          // It exited by itself after the check (its exit event is still on its way).
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
        }
      }
      await exited;
    },
  };
}

/** test/fixtures/run-child.ts: a run (or resume) on fixed synthetic data, `--delay-ms` per round so a test can kill it mid-way. */
export function startRunChild(outDir: string, configFile: string, args: readonly string[] = []): ChildRun {
  return spawnScript(join(ROOT, 'test', 'fixtures', 'run-child.ts'), [outDir, configFile, ...args]);
}

/** Polls until `file` exists (a checkpoint's LATEST) or `ms` pass; the caller asserts which. */
export async function waitForFile(file: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

/** A pid that no process has any more (a child that has exited), for stale locks and temporary files. */
export function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!;
}
