/** Runs over NATS: the coordinator's engine for runExperiment, and the host loop. */
import type { RunConfig } from '../../config/types.js';
import type { RunEngine } from '../../engine/run.js';
import { DEFAULT_PREFIX } from './subjects.js';
import type { ConnectOptions } from './bus.js';
import type { CoordinatorOptions } from './coordinator.js';

import type { HostOptions } from './host.js';

export type { HostOptions } from './host.js';
export { hostRanges } from './ranges.js';

/** `sparsepush host` in this process: serves runs until --once ends it or the signal fires; the exit status. */
export async function serveHost(opts: HostOptions): Promise<number> {
  return (await import('./host.js')).serveHost(opts);
}

export interface OverNatsOptions extends ConnectOptions {
  /** Host processes (`sparsepush host`) to spread the devices over. */
  readonly hosts: number;
  /** Seconds to wait for them (default 60). */
  readonly waitS?: number;
  /** Seconds of silence after which a host counts as dead (default 10). */
  readonly silenceS?: number;
  /** Subject prefix (default `sparsepush`; the hosts must use the same). */
  readonly prefix?: string;
  /** Where the coordinator's lines go (waiting for hosts, who joined). */
  readonly log?: (line: string) => void;
}

/** runExperiment's `engine` for a run on NATS hosts: `runExperiment(config, { outDir, engine: overNats({ url, hosts: 3 }) })`. */
export function overNats(opts: OverNatsOptions): (config: RunConfig) => Promise<RunEngine> {
  const full: CoordinatorOptions = {
    url: opts.url, hosts: opts.hosts, waitS: opts.waitS ?? 60, silenceS: opts.silenceS ?? 10, prefix: opts.prefix ?? DEFAULT_PREFIX,
    log: opts.log ?? (() => {}), ...(opts.token !== undefined ? { token: opts.token } : {}), ...(opts.nkeyFile !== undefined ? { nkeyFile: opts.nkeyFile } : {}),
  };
  return async (config) => {
    const { NatsRun } = await import('./distributed.js');
    return NatsRun.create(config, full);
  };
}
