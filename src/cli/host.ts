/** `sparsepush host`: serve runs of a coordinator (`sparsepush run --nats URL --hosts K`) over NATS. */
import { SparsepushError } from '../errors.js';
import { parseCommandArgs, str, UsageError } from './args.js';
import type { CliIO } from './io.js';
import { natsConnection } from './nats.js';
import type { HostOptions } from '../transport/nats/host.js';

const HOST_HELP = `Usage: sparsepush host --nats URL [--token T] [--workers N] [--once] [options]

Serves runs spread over several processes or machines: connects to the NATS server, waits until a
coordinator (sparsepush run --nats URL --hosts K) takes it, holds the device range it is given in
its own arena and worker pool, and waits for the next run. Every host of a run reads the same data
files (or packaged / synthetic datasets); results are bit-identical to a single-process run.

Options:
  --nats URL            the NATS server, e.g. nats://10.0.0.5:4222 (several: comma-separated)
  --token T             the server's authorization token (or set SPARSEPUSH_NATS_TOKEN: a token
                        on the command line is visible to other users of the machine)
  --nkey FILE           an NKey user seed file instead (servers that authorize users by NKey)
  --workers N           worker threads (default: the run's workers setting, then the core count)
  --once                serve one run, then exit (status 0 when that run finished)
  --name NAME           how the coordinator names this host (default: hostname:pid)
  --subject-prefix P    NATS subject prefix (default sparsepush; the coordinator must use the same)
  -h, --help            this help

Exit status: 0 stopped (or, with --once, its run finished), 1 the server cannot be reached, the
token is refused, the connection was lost, or (--once) the run failed, 2 bad usage.

Examples:
  sparsepush host --nats nats://127.0.0.1:4222 --token s3cret
  SPARSEPUSH_NATS_TOKEN=s3cret sparsepush host --nats nats://10.0.0.5:4222 --workers 4
`;

const HOST_OPTIONS = {
  nats: { type: 'string' }, token: { type: 'string' }, nkey: { type: 'string' }, workers: { type: 'string' }, once: { type: 'boolean' },
  name: { type: 'string' }, 'subject-prefix': { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

/** A --workers value: a positive integer, or auto / 0 (= the run's setting, then the core count). */
function parseWorkersOption(value: string | undefined): number {
  if (value === undefined || value === 'auto') return 0;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--workers: expected a positive integer or auto, got '${value}'`);
  return n;
}

export async function hostCommand(argv: string[], io: CliIO): Promise<number> {
  let opts: Omit<HostOptions, 'log' | 'signal'>;
  try {
    const { values } = parseCommandArgs('host', argv, HOST_OPTIONS, false);
    if (values.help) { io.stdout(HOST_HELP); return 0; }
    const url = str(values.nats);
    if (!url) throw new UsageError('--nats URL is required (see sparsepush host --help)');
    opts = {
      ...natsConnection(values, url), workers: parseWorkersOption(str(values.workers)), once: values.once === true, prefix: str(values['subject-prefix']) ?? 'sparsepush',
      ...(str(values.name) ? { name: str(values.name)! } : {}),
    };
  } catch (err) {
    io.stderr(`sparsepush host: ${(err as Error).message}\n`);
    return 2;
  }
  const { serveHost } = await import('../transport/nats/host.js');
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await serveHost({ ...opts, log: (line) => io.stderr(`${line}\n`), signal: stop.signal });
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    io.stderr(`sparsepush host: ${e.message}\n`);
    if (!(err instanceof SparsepushError) && process.env['SPARSEPUSH_DEBUG']) io.stderr(`${e.stack ?? ''}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
