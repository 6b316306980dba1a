/**
 * Transports: how the devices of one run meet across workers, processes and machines. Each has a
 * worker half (the Exchange its pool workers run rounds through); a transport across processes
 * also has a host half (src/transport/nats/: the main thread of each host process, and the
 * coordinator).
 *
 *   local  one process: every device in one arena, messages and barriers in shared memory
 *   nats   several host processes over a NATS server or cluster: each host's arena holds its
 *          device range; its main thread ships the messages that cross hosts and extends the
 *          round barriers (worker half: bridge.ts)
 *
 * Portable: no Node built-ins (the worker halves run in Node worker threads and Web Workers alike).
 */
import type { Arena } from '../arena/arena.js';
import type { EngineMeta } from '../engine/protocol.js';
import { LocalExchange, type Exchange } from '../engine/worker/exchange.js';
import { RunError } from '../errors.js';
import { BridgeExchange } from './bridge.js';

export interface Transport {
  readonly name: string;
  readonly description: string;
  /** The exchange a pool worker of a process on this transport runs its rounds through. */
  workerExchange(arena: Arena, meta: EngineMeta): Exchange;
}

const TRANSPORTS: Record<string, Transport> = {
  local: {
    name: 'local', description: 'one process, all devices in one shared arena',
    workerExchange: (arena, meta) => new LocalExchange(arena, meta),
  },
  nats: {
    name: 'nats', description: 'host processes over a NATS server; each host holds a device range',
    workerExchange: (arena, meta) => new BridgeExchange(arena, meta),
  },
};

export const TRANSPORT_NAMES = Object.keys(TRANSPORTS);

export function getTransport(name: string): Transport {
  const t = Object.hasOwn(TRANSPORTS, name) ? TRANSPORTS[name] : undefined;
  if (!t) throw new RunError(`unknown transport '${name}' (known: ${TRANSPORT_NAMES.join(', ')})`);
  return t;
}
