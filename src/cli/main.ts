/** The `sparsepush` command: dispatches to the subcommands. bin/sparsepush.js calls main(argv). */
import { benchCommand } from './bench.js';
import { compareCommand } from './compare.js';
import { configCommand } from './config.js';
import { demoCommand } from './demo.js';
import { hostCommand } from './host.js';
import type { RunExperiment } from './engine.js';
import { processIO, type CliIO } from './io.js';
import { packageVersion } from '../package.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';

export type { CliIO } from './io.js';

export const MAIN_HELP = `Usage: sparsepush <command> [options]      (sparsepush <command> --help for details)

Communication-efficient distributed learning: Sparse-Push (compressed push-sum SGD on directed,
time-varying graphs) and DAGC (data-volume-aware compression through a server), simulated on
WASM kernels over one shared memory.

Commands:
  run        train one configuration; writes metrics.jsonl, summary.json and report.html
  compare    one HTML report overlaying several run directories
  demo       the default demo (npm start): SGP vs Sparse-Push vs Skew-Compensated Sparse-Push
  config     validate a config and print it resolved, or print the reference of every key
  topology   a topology's schedule, mixing weights, connectivity and spectral gap
  dagc       plan DAGC-R ratios / DAGC-A thresholds for given data volumes
  bench      WASM kernel benchmarks
  serve      the simulation page in your browser (Web Workers over shared memory)
  host       serve runs spread over several processes or machines (NATS; see run --nats)

Options:
  -h, --help     this help
  -v, --version  print the version

Examples:
  npm start                                              # the demo
  sparsepush run --config examples/demo.yaml --set rounds=50
  sparsepush compare runs/*-sgp runs/*-sparse-push --out compare.html
  sparsepush config --reference
  sparsepush topology exponential:1 --nodes 16
  sparsepush dagc --volumes 5000,1200,800,300 --ratio 0.001
  sparsepush serve --port 8080
`;

export interface MainDeps {
  /** Replaces the training engine (tests). */
  runExperiment?: RunExperiment;
}

type Command = (argv: string[], io: CliIO) => Promise<number>;

/** Loads a subcommand that lives in another part's file; a missing file is a clear message, not a stack. */
async function lazyCommand(command: string, file: string, exportName: string, argv: string[], io: CliIO): Promise<number> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      io.stderr(`sparsepush: the '${command}' command is not part of this build (${file.replace('./', 'src/cli/').replace(/\.js$/, '.ts')} is missing)\n`);
      return 1;
    }
    throw err;
  }
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    io.stderr(`sparsepush: the '${command}' command is not available (${file} does not export ${exportName})\n`);
    return 1;
  }
  return (fn as Command)(argv, io);
}

export async function main(argv: string[], io: CliIO = processIO(), deps: MainDeps = {}): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined: case '-h': case '--help': case 'help':
        if (command === 'help' && rest[0]) return main([rest[0], '--help'], io, deps);
        io.stdout(MAIN_HELP);
        return 0;
      case '-v': case '--version': case 'version':
        io.stdout(`${packageVersion()}\n`);
        return 0;
      case 'run': return await runCommand(rest, io, deps);
      case 'compare': return await compareCommand(rest, io);
      case 'demo': return await demoCommand(rest, io, deps);
      case 'config': return await configCommand(rest, io);
      case 'bench': return await benchCommand(rest, io);
      case 'serve': return await serveCommand(rest, io);
      case 'host': return await hostCommand(rest, io);
      case 'topology': return await lazyCommand('topology', './topology.js', 'topologyCommand', rest, io);
      case 'dagc': return await lazyCommand('dagc', './dagc.js', 'dagcCommand', rest, io);
      default:
        io.stderr(`sparsepush: unknown command '${command}' (commands: run, compare, demo, config, topology, dagc, bench, serve, host; see sparsepush --help)\n`);
        return 2;
    }
  } catch (err) {
    // Subcommands turn expected failures into messages and exit codes; this is the last resort.
    const e = err instanceof Error ? err : new Error(String(err));
    io.stderr(`sparsepush ${command}: ${e.message}\n`);
    if (process.env.SPARSEPUSH_DEBUG) io.stderr(`${e.stack ?? ''}\n`);
    return 1;
  }
}

