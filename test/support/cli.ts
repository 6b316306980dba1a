// The CLI run in this process with its output captured (what a test of a command needs).
import { main, type CliIO } from '../../src/cli/main.js';

export interface CliResult {
  /** Exit code main() returned. */
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

export async function runCli(argv: readonly string[]): Promise<CliResult> {
  let out = '';
  let err = '';
  const io: CliIO = { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } };
  const code = await main([...argv], io);
  return { code, out, err };
}
