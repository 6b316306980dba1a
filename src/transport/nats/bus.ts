/**
 * The connection to the NATS server (core NATS: publish / subscribe, no JetStream; subjects in
 * subjects.ts). A connection that cannot be made fails at once with what went wrong (no server at
 * the address, a refused token); one that is lost during a run ends the run.
 */
import { readFileSync } from 'node:fs';
import { connect, nkeyAuthenticator, NoRespondersError, RequestError, TimeoutError, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { TransportError } from '../../errors.js';
import { encodeFrames, type Envelope } from './envelope.js';

/** Frames published between two flushes (the flush is the sender's backpressure on big transfers). */
const FLUSH_EVERY = 16;

/** Where the NATS server is and how to log in (coordinator and hosts alike). */
export interface ConnectOptions {
  /** nats://host:port (several, comma-separated: a cluster's servers). */
  readonly url: string;
  /** The server's authorization token. */
  readonly token?: string;
  /** A file holding an NKey user seed (SU...), for servers that authorize users by NKey (instead of a token). */
  readonly nkeyFile?: string;
}

export interface BusOptions extends ConnectOptions {
  /** Client name (shown by the server's monitoring). */
  readonly name: string;
}

export const COORDINATOR_QUEUE = 'coordinators';

export class Bus {
  private nextId = 1;

  private constructor(readonly nc: NatsConnection, readonly url: string) {}

  /** Connects, or throws a TransportError that says why not (unreachable, token refused, not a NATS server). */
  static async connect(opts: BusOptions): Promise<Bus> {
    let nc: NatsConnection;
    let seed: Uint8Array | undefined;
    if (opts.nkeyFile !== undefined) {
      try { seed = new TextEncoder().encode(readFileSync(opts.nkeyFile, 'utf8').trim()); } catch (err) {
        throw new TransportError(`--nkey ${opts.nkeyFile}: cannot read the seed file (${(err as Error).message})`);
      }
      if (!/^SU[A-Z2-7]{56}$/.test(new TextDecoder().decode(seed))) throw new TransportError(`--nkey ${opts.nkeyFile}: not an NKey user seed (one line, SU followed by 56 base32 characters)`);
    }
    const servers = opts.url.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (servers.length === 0) throw new TransportError('--nats needs a server address, e.g. nats://127.0.0.1:4222');
    try {
      nc = await connect({
        servers, name: opts.name, timeout: 5000, reconnect: false, pingInterval: 5000, maxPingOut: 3, noEcho: true,
        ...(opts.token !== undefined ? { token: opts.token } : {}), ...(seed ? { authenticator: nkeyAuthenticator(seed) } : {}),
      });
    } catch (err) {
      throw connectError(err, opts);
    }
    return new Bus(nc, opts.url);
  }

  /** The server's largest message (bytes). */
  get maxPayload(): number { return this.nc.info?.max_payload ?? 1024 * 1024; }

  /** Publishes one message (its frames), flushing every FLUSH_EVERY frames so a big one does not pile up in memory. */
  async send(subject: string, env: Envelope, sender: number): Promise<void> {
    let k = 0;
    for (const frame of encodeFrames(env, sender, this.nextId++, this.maxPayload)) {
      this.nc.publish(subject, frame);
      if (++k % FLUSH_EVERY === 0) await this.nc.flush();
    }
  }

  publish(subject: string, bytes: Uint8Array): void {
    this.nc.publish(subject, bytes);
  }

  /** Calls `onMessage` with each message's bytes, in arrival order. */
  subscribe(subject: string, onMessage: (data: Uint8Array) => void, queue?: string): Subscription {
    return this.nc.subscribe(subject, {
      ...(queue ? { queue } : {}),
      callback: (err, msg) => { if (!err) onMessage(msg.data); },
    });
  }

  /**
   * A request with one reply: its bytes, `null` when nobody serves the subject (the server says so
   * at once: the peer is gone), or `timeout` when it did not answer in time.
   */
  async request(subject: string, data: Uint8Array, timeoutMs: number): Promise<Uint8Array | null | 'timeout'> {
    try {
      const reply = await this.nc.request(subject, data, { timeout: timeoutMs });
      return reply.data;
    } catch (err) {
      const cause = err instanceof RequestError ? err.cause : err;
      if (cause instanceof NoRespondersError) return null;
      if (cause instanceof TimeoutError) return 'timeout';
      throw err;
    }
  }

  /**
   * Watches a peer's liveness: a request to `subject` every `everyMs` (one out at a time); `onLost`
   * hears 'gone' when nobody serves it (the peer's connection closed) or 'silent' when it did not
   * answer within silenceMs. Returns the function that stops the watch.
   */
  watchPeer(subject: string, everyMs: number, silenceMs: number, onLost: (why: 'gone' | 'silent') => void): () => void {
    let busy = false;
    const timer = setInterval(() => {
      if (busy) return;
      busy = true;
      void this.request(subject, new Uint8Array(0), silenceMs).then((r) => {
        busy = false;
        if (r === null) onLost('gone');
        else if (r === 'timeout') onLost('silent');
      }, () => { busy = false; });
    }, everyMs);
    return () => clearInterval(timer);
  }

  /** Answers each request on `subject` with `handler`'s bytes. */
  serve(subject: string, handler: (data: Uint8Array) => Uint8Array | null, queue?: string): Subscription {
    return this.nc.subscribe(subject, {
      ...(queue ? { queue } : {}),
      callback: (err, msg) => {
        if (err) return;
        const out = handler(msg.data);
        if (out) msg.respond(out);
      },
    });
  }

  async flush(): Promise<void> { await this.nc.flush(); }

  /** Resolves when the connection is gone (with the error that closed it, if any). */
  closed(): Promise<void | Error> { return this.nc.closed(); }

  get isClosed(): boolean { return this.nc.isClosed(); }

  async close(): Promise<void> {
    if (!this.nc.isClosed()) await this.nc.close();
  }
}

function connectError(err: unknown, opts: BusOptions): TransportError {
  const e = err instanceof Error ? err : new Error(String(err));
  const cause = (e as Error & { cause?: unknown }).cause;
  const detail = cause instanceof Error ? cause.message : e.message;
  if (e.name === 'AuthorizationError' || /authorization/i.test(e.message)) {
    const how = opts.nkeyFile !== undefined ? `the NKey of ${opts.nkeyFile} is not authorized` : opts.token === undefined ? 'it needs a token: pass --token' : 'wrong --token';
    return new TransportError(`the NATS server at ${opts.url} refused the connection: authorization violation (${how})`);
  }
  if (e.name === 'ConnectionError' || /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|timeout/i.test(detail)) {
    return new TransportError(`cannot reach the NATS server at ${opts.url}: ${detail} (is nats-server running and listening there?)`);
  }
  return new TransportError(`cannot connect to the NATS server at ${opts.url}: ${detail}`);
}
