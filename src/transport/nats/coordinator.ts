/**
 * The coordinator's side of the bus: it opens the lobby and waits (bounded) for the hosts it
 * needs, sends commands and collects their replies, and watches that every host is alive. A host
 * is pinged every second; one whose connection is gone (the server answers "no responders" at
 * once) or that does not answer within the silence limit fails every pending command with a
 * TransportError naming the host, its device range and the round it was in, and the other hosts'
 * tasks are aborted.
 */
import { TransportError } from '../../errors.js';
import type { DeviceRange } from '../../engine/protocol.js';
import { packageVersion } from '../../package.js';
import { Bus, COORDINATOR_QUEUE, type ConnectOptions } from './bus.js';
import { newRunId, Subjects, type RunSubjects } from './subjects.js';
import { COORDINATOR, Reassembler } from './envelope.js';
import { hostLabel } from './batches.js';
import { decodeJson, Done, encodeJson, JoinRequest, parseMessage, Reply, type Command, type JoinReply } from './protocol.js';

/** Largest reply the coordinator accepts (a host's rows of one checkpoint region). */
const MAX_REPLY_BYTES = 2 ** 32;
const PING_EVERY_MS = 1000;
/** How often the lobby is announced while hosts are missing. */
const ANNOUNCE_EVERY_MS = 1000;

export interface CoordinatorOptions extends ConnectOptions {
  readonly hosts: number;
  readonly prefix: string;
  /** Seconds to wait for the hosts to join. */
  readonly waitS: number;
  /** Seconds of silence after which a host counts as dead. */
  readonly silenceS: number;
  readonly log: (line: string) => void;
}

export interface HostHandle {
  readonly index: number;
  readonly name: string;
  readonly token: string;
  readonly workers: number;
  range: DeviceRange;
}

/** What a host answered: the reply's fields and its binary parts. */
export interface HostReply { readonly reply: Reply; readonly parts: readonly Uint8Array[] }

type CommandBody = Command extends infer C ? C extends { id: number } ? Omit<C, 'id'> : never : never;

interface Pending { host: number; resolve: (r: HostReply) => void; reject: (e: Error) => void }

export class Coordinator {
  readonly runId = newRunId();
  readonly run: RunSubjects;
  hosts: HostHandle[] = [];
  /** Round each host reported last done (-1: none). */
  private readonly lastDone: number[] = [];
  /** The round the run stands at (for messages). */
  round = 0;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly replies: Reassembler;
  private readonly dones: Reassembler;
  private failure: TransportError | null = null;
  /** Stops the liveness watch of each host. */
  private watches: (() => void)[] = [];
  private readonly subscriptions: { unsubscribe(): void }[] = [];

  private constructor(readonly bus: Bus, readonly opts: CoordinatorOptions, private readonly subjects: Subjects) {
    this.run = subjects.run(this.runId);
    this.replies = new Reassembler(MAX_REPLY_BYTES, 'coordinator (replies)');
    this.dones = new Reassembler(1 << 20, 'coordinator (round notices)');
  }

  /** Connects (failing at once when the server cannot be reached or refuses the token). */
  static async open(opts: CoordinatorOptions): Promise<Coordinator> {
    const bus = await Bus.connect({ url: opts.url, token: opts.token, nkeyFile: opts.nkeyFile, name: 'sparsepush coordinator' });
    const c = new Coordinator(bus, opts, new Subjects(opts.prefix));
    c.subscriptions.push(bus.subscribe(c.run.coord, (data) => c.onReply(data)));
    c.subscriptions.push(bus.subscribe(c.run.done, (data) => c.onDone(data)));
    c.subscriptions.push(bus.serve(c.run.pingCoordinator, () => new Uint8Array(0)));
    void bus.closed().then(() => c.fail(new TransportError(`lost the connection to the NATS server at ${opts.url}`)));
    return c;
  }

  /** Waits until `opts.hosts` hosts have joined, at most opts.waitS seconds. */
  async gather(): Promise<HostHandle[]> {
    const { bus, opts } = this;
    const want = opts.hosts;
    const joined: HostHandle[] = [];
    const version = packageVersion();
    let wake: () => void = () => {};
    const lobby = bus.serve(this.subjects.lobby, (data) => {
      let req: JoinRequest;
      try { req = parseMessage(JoinRequest, decodeJson(data), 'a host in the lobby'); } catch { return null; }
      const answer = (r: JoinReply): Uint8Array => encodeJson(r);
      if (req.version !== version) return answer({ ok: false, reason: `the coordinator runs sparsepush ${version}, this host ${req.version}` });
      if (joined.length >= want) return answer({ ok: false, reason: 'the run has all its hosts' });
      const index = joined.length;
      joined.push({ index, name: req.name, token: req.token, workers: req.workers, range: { from: 0, to: 0 } });
      this.lastDone.push(-1);
      opts.log(`host ${index}: ${req.name} joined (${joined.length} of ${want})`);
      wake();
      return answer({ ok: true, runId: this.runId, index });
    }, COORDINATOR_QUEUE);
    const announce = (): void => bus.publish(this.subjects.lobbyOpen, new Uint8Array(0));
    const deadline = Date.now() + opts.waitS * 1000;
    try {
      opts.log(`waiting up to ${opts.waitS} s for ${want} host${want === 1 ? '' : 's'} on ${opts.url} (start them with: sparsepush host --nats ${opts.url}${opts.token ? ' --token ...' : ''})`);
      while (joined.length < want) {
        if (this.failure) throw this.failure;
        const left = deadline - Date.now();
        if (left <= 0) {
          const names = joined.map((h) => h.name).join(', ');
          throw new TransportError(`waited ${opts.waitS} s for ${want} hosts on ${opts.url}: ${joined.length} joined${names ? ` (${names})` : ''}; start more with \`sparsepush host --nats ${opts.url}\` or lower --hosts`);
        }
        announce();
        await Promise.race([new Promise<void>((r) => { wake = r; }), new Promise((r) => setTimeout(r, Math.min(left, ANNOUNCE_EVERY_MS)))]);
      }
    } finally {
      lobby.unsubscribe();
    }
    this.hosts = joined;
    return joined;
  }

  /** Starts pinging every host (after setup: a host planning a big arena may be busy a while). */
  startWatch(): void {
    const silenceMs = this.opts.silenceS * 1000;
    this.watches = this.hosts.map((h) => this.bus.watchPeer(this.run.ping(h.token), PING_EVERY_MS, silenceMs, (why) => this.fail(new TransportError(why === 'gone'
      ? `${this.describe(h.index)} is gone (its connection to the server closed) ${this.where(h.index)}`
      : `${this.describe(h.index)} stopped answering (nothing for ${this.opts.silenceS} s) ${this.where(h.index)}`))));
  }

  /** Sends a command to host `index` and waits for its reply (or the run's failure). Error replies reject with the host's error. */
  async command(index: number, body: CommandBody, parts: readonly Uint8Array[] = []): Promise<HostReply> {
    if (this.failure) throw this.failure;
    const id = this.nextId++;
    const h = this.hosts[index]!;
    const result = new Promise<HostReply>((resolve, reject) => this.pending.set(id, { host: index, resolve, reject }));
    await this.sendCommand(h, id, body, parts);
    return result;
  }

  /** Publishes a command's frames to host `h` (command() waits for the reply; abort and close after a failure do not). */
  private sendCommand(h: HostHandle, id: number, body: CommandBody, parts: readonly Uint8Array[] = []): Promise<void> {
    return this.bus.send(this.run.cmd(h.token), { json: { ...body, id }, parts: [...parts] }, COORDINATOR);
  }

  /**
   * The same command to every host (per-host bodies and parts from `make`); all replies, in host
   * order. When one host fails, the others are aborted and the first failure is thrown once they
   * answered (or the silence limit passed).
   */
  async all(make: (h: HostHandle) => { body: CommandBody; parts?: readonly Uint8Array[] }): Promise<HostReply[]> {
    const calls = this.hosts.map((h) => { const m = make(h); return this.command(h.index, m.body, m.parts); });
    let aborted = false;
    const abortOthers = (why: string): void => {
      if (aborted) return;
      aborted = true;
      for (const h of this.hosts) void this.command(h.index, { op: 'abort', reason: why }).catch(() => {});
    };
    const settled = await Promise.allSettled(calls.map((p) => p.then((r) => {
      // A device error stops every host after the same round by itself (the round notices carry it).
      if ((r.reply.error && r.reply.errorDevice === undefined) || r.reply.aborted) abortOthers(r.reply.error?.message ?? r.reply.aborted ?? 'aborted');
      return r;
    }, (err: unknown) => { abortOthers((err as Error).message); throw err; })));
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return settled.map((s) => (s as PromiseFulfilledResult<HostReply>).value);
  }

  /** "host K (devices a..b, name)". */
  describe(index: number): string {
    const h = this.hosts[index]!;
    return `${hostLabel(index, h.range)} [${h.name}]`;
  }

  /** Ends the run on every host still there, then closes the connection. */
  async close(ok: boolean): Promise<void> {
    this.stopWatch();
    if (!this.failure && !this.bus.isClosed) {
      const bye = this.hosts.map((h) => this.command(h.index, { op: 'close', ok }).catch(() => {}));
      await Promise.race([Promise.all(bye), new Promise((r) => setTimeout(r, 2000))]);
    } else if (!this.bus.isClosed) {
      for (const h of this.hosts) void this.sendCommand(h, this.nextId++, { op: 'close', ok: false }).catch(() => {});
      await this.bus.flush().catch(() => {});
    }
    for (const s of this.subscriptions) s.unsubscribe();
    await this.bus.close();
  }

  // ---------------------------------------------------------------- internals

  private stopWatch(): void {
    for (const stop of this.watches) stop();
    this.watches = [];
  }

  private where(index: number): string {
    return `in round ${Math.max(this.round, this.lastDone[index]! + 1)}`;
  }

  private fail(err: TransportError): void {
    if (this.failure) return;
    this.failure = err;
    this.stopWatch();
    for (const [id, p] of this.pending) { this.pending.delete(id); p.reject(err); }
    // The other hosts may wait for the one that failed: stop their tasks.
    if (!this.bus.isClosed) {
      for (const h of this.hosts) void this.sendCommand(h, this.nextId++, { op: 'abort', reason: err.message }).catch(() => {});
    }
  }

  private onReply(frame: Uint8Array): void {
    let msg;
    try { msg = this.replies.accept(frame); } catch (err) { this.fail(err as TransportError); return; }
    if (!msg) return;
    let reply: Reply;
    try { reply = parseMessage(Reply, msg.env.json, `host ${msg.sender}`); } catch (err) { this.fail(err as TransportError); return; }
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (p.host !== reply.from || msg.sender !== reply.from) { this.fail(new TransportError(`host ${msg.sender} answered a command sent to host ${p.host}`)); return; }
    this.pending.delete(reply.id);
    p.resolve({ reply, parts: msg.env.parts });
  }

  private onDone(frame: Uint8Array): void {
    try {
      const msg = this.dones.accept(frame);
      if (!msg) return;
      const done = parseMessage(Done, msg.env.json, `host ${msg.sender}`);
      if (done.from < this.lastDone.length) this.lastDone[done.from] = Math.max(this.lastDone[done.from]!, done.round);
    } catch { /* the hosts check the notices; here they only tell which round a host reached */ }
  }
}
