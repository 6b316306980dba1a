/** How commands talk to the outside world: in-process tests pass capturing functions. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** stderr (where progress goes) is a terminal: draw a progress bar in place. */
  isTTY?: boolean;
  /** Terminal width for the progress bar. */
  columns?: number;
}

export function processIO(): CliIO {
  return {
    stdout: (t) => { process.stdout.write(t); },
    stderr: (t) => { process.stderr.write(t); },
    isTTY: process.stderr.isTTY === true,
    columns: process.stderr.columns,
  };
}
