/** The NATS options of `sparsepush run` (a run spread over host processes; see sparsepush host). */
import { createAlgorithm } from '../algorithms/registry.js';
import type { RunConfig } from '../config/types.js';
import { registerScaleOutSuggestion } from '../engine/limits.js';
import type { RunEngine } from '../engine/run.js';
import type { ConnectOptions } from '../transport/nats/bus.js';
import { str, UsageError } from './args.js';

// A run whose arena does not fit one process can spread its devices over host processes, each
// holding the models of a range (and the small per-device state of all devices, so at least this
// many). Not when the JavaScript heap is short: every host builds the whole communication graph.
registerScaleOutSuggestion((c) => {
  if (c.fittingDevices < 2 || c.estimate.arenaBytes <= c.limits.arenaBytes || c.estimate.heapBytes > c.limits.heapBytes) return null;
  if (createAlgorithm(c.config.algorithm.name).kind !== 'decentralized') return null;
  const hosts = Math.ceil(c.devices / c.fittingDevices);
  return `spread the devices over at least ${hosts} host processes on one or more machines (sparsepush host, then sparsepush run --nats URL --hosts ${hosts}; see the README)`;
});

export const RUN_NATS_HELP = `Over several processes or machines (NATS; start hosts with sparsepush host --nats URL):
  --nats URL          the NATS server (several: comma-separated); this process coordinates
  --hosts K           host processes to spread the devices over (contiguous ranges)
  --token T           the server's authorization token (or SPARSEPUSH_NATS_TOKEN)
  --nkey FILE         an NKey user seed file instead (servers that authorize users by NKey)
  --wait S            seconds to wait for the hosts to join (default 60)
  --host-timeout S    a host silent this long counts as dead and stops the run (default 10)
  --subject-prefix P  NATS subject prefix (default sparsepush; the hosts must use the same)`;

export const RUN_NATS_OPTIONS = {
  nats: { type: 'string' }, hosts: { type: 'string' }, token: { type: 'string' }, nkey: { type: 'string' }, wait: { type: 'string' },
  'host-timeout': { type: 'string' }, 'subject-prefix': { type: 'string' },
} as const;

type Values = Record<string, string | boolean | string[] | undefined>;

function positive(values: Values, key: string, fallback: number, integer: boolean): number {
  const text = str(values[key]);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (!(v > 0) || (integer && !Number.isInteger(v)) || !Number.isFinite(v)) throw new UsageError(`--${key}: expected a positive ${integer ? 'integer' : 'number'}, got '${text}'`);
  return v;
}

/** Where the NATS server is and how to log in, from --token (or SPARSEPUSH_NATS_TOKEN) and --nkey: `run --nats` and `host` alike. */
export function natsConnection(values: Values, url: string): ConnectOptions {
  const token = str(values['token']) ?? process.env['SPARSEPUSH_NATS_TOKEN'];
  const nkeyFile = str(values['nkey']);
  return { url, ...(token ? { token } : {}), ...(nkeyFile ? { nkeyFile } : {}) };
}

/** The engine factory of a run over NATS hosts, or undefined without --nats. Throws UsageError. */
export function natsEngine(values: Values, log: (line: string) => void): ((config: RunConfig) => Promise<RunEngine>) | undefined {
  const url = str(values['nats']);
  const given = Object.keys(RUN_NATS_OPTIONS).filter((k) => k !== 'nats' && values[k] !== undefined);
  if (!url) {
    if (given.length > 0) throw new UsageError(`--${given[0]} needs --nats URL (see sparsepush run --help)`);
    return undefined;
  }
  if (values['hosts'] === undefined) throw new UsageError('--nats needs --hosts K (how many host processes to spread the devices over)');
  const opts = {
    ...natsConnection(values, url), hosts: positive(values, 'hosts', 1, true), waitS: positive(values, 'wait', 60, false), silenceS: positive(values, 'host-timeout', 10, false),
    prefix: str(values['subject-prefix']) ?? 'sparsepush', log,
  };
  return async (config) => (await import('../transport/nats/index.js')).overNats(opts)(config);
}
