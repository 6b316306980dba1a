/**
 * `sparsepush host`: a process that serves runs. It connects to the NATS server (failing at once
 * when it cannot), then loops: wait in the lobby until a coordinator takes it, serve that run's
 * commands (host-run.ts does the work), and go back to the lobby (or exit, with --once).
 *
 * Joining: the host draws a token, listens on PREFIX.run.*.cmd.TOKEN and .ping.TOKEN, and asks on
 * PREFIX.lobby (re-asking whenever a coordinator announces itself on PREFIX.lobby.open, and every
 * few seconds). A coordinator that needs hosts answers with its run id and the host's index; from
 * then on the host takes commands of that run only. While serving, it pings the coordinator; a
 * coordinator that is gone or silent for the run's silence limit ends the run here (its task is
 * aborted) and the host goes back to the lobby.
 */
import { hostname } from 'node:os';
import type { Subscription } from '@nats-io/transport-node';
import { resolveConfig } from '../../config/schema.js';
import { SparsepushError, TransportError } from '../../errors.js';
import { packageVersion } from '../../package.js';
import { Bus, type ConnectOptions } from './bus.js';
import { newRunId, Subjects, type RunSubjects } from './subjects.js';
import { Reassembler, type Envelope } from './envelope.js';
import { errorFields, HostRun } from './host-run.js';
import { Command, decodeJson, Done, encodeJson, JoinReply, parseMessage, type Reply } from './protocol.js';

/** Largest command a host accepts (a checkpoint region's rows for its range). */
const MAX_COMMAND_BYTES = 2 ** 32;
/** Lobby: ask again this often when no coordinator answered. */
const LOBBY_RETRY_MS = 2000;
/** Ping the coordinator this often. */
const PING_EVERY_MS = 1000;

export interface HostOptions extends ConnectOptions {
  /** Pool size (0: the run's config.workers, then the core count). */
  readonly workers: number;
  /** Serve one run, then exit (status 0 when the run finished). */
  readonly once: boolean;
  readonly prefix: string;
  /** Shown to the coordinator (default: hostname:pid). */
  readonly name?: string;
  readonly log: (line: string) => void;
  /** Ends the host between runs (and aborts a running one). */
  readonly signal?: AbortSignal;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Serves runs until --once ends it, the signal fires, or the connection is lost; returns the exit status. */
export async function serveHost(opts: HostOptions): Promise<number> {
  const name = opts.name ?? `${hostname()}:${process.pid}`;
  const bus = await Bus.connect({ url: opts.url, token: opts.token, nkeyFile: opts.nkeyFile, name: `sparsepush host ${name}` });
  const subjects = new Subjects(opts.prefix);
  let lost: Error | null = null;
  void bus.closed().then((err) => { lost = err instanceof Error ? err : new TransportError(`lost the connection to the NATS server at ${opts.url}`); });
  opts.log(`sparsepush host ${name}: connected to ${opts.url}, waiting for a run`);
  try {
    for (;;) {
      const joined = await joinLobby(bus, subjects, name, opts, () => lost);
      if (!joined) return 0;
      const ok = await serveRun(bus, subjects.run(joined.runId), joined, name, opts, () => lost);
      if (opts.once) return ok ? 0 : 1;
      opts.log(`sparsepush host ${name}: waiting for the next run`);
    }
  } catch (err) {
    if (opts.signal?.aborted) return 0;
    throw err;
  } finally {
    await bus.close();
  }
}

interface Joined { runId: string; index: number; token: string; subs: Subscription[]; commands: Uint8Array[]; onCommand: (() => void) | null }

/** Waits until a coordinator takes this host; null when the signal ended the wait. */
async function joinLobby(bus: Bus, subjects: Subjects, name: string, opts: HostOptions, lost: () => Error | null): Promise<Joined | null> {
  const token = newRunId();
  const joined: Joined = { runId: '', index: -1, token, subs: [], commands: [], onCommand: null };
  // Listen before asking: the coordinator may send the setup right after its answer.
  joined.subs.push(bus.subscribe(`${subjects.prefix}.run.*.cmd.${token}`, (data) => { joined.commands.push(data); joined.onCommand?.(); }));
  let wake: () => void = () => {};
  const open = bus.subscribe(subjects.lobbyOpen, () => wake());
  await bus.flush();
  const request = encodeJson({ op: 'join', token, name, workers: opts.workers, version: packageVersion() });
  try {
    for (;;) {
      const e = lost();
      if (e) throw e;
      if (opts.signal?.aborted) return null;
      const answer = await bus.request(subjects.lobby, request, LOBBY_RETRY_MS);
      if (answer instanceof Uint8Array) {
        let reply: JoinReply;
        try { reply = parseMessage(JoinReply, decodeJson(answer), 'the coordinator'); } catch (err) { opts.log(`sparsepush host ${name}: ${(err as Error).message}`); continue; }
        if (reply.ok) {
          joined.runId = reply.runId;
          joined.index = reply.index;
          // The setup may already be queued (it can arrive right behind the answer).
          return joined;
        }
        opts.log(`sparsepush host ${name}: a coordinator declined: ${reply.reason}`);
      }
      await Promise.race([sleep(LOBBY_RETRY_MS), new Promise<void>((r) => { wake = r; })]);
    }
  } finally {
    open.unsubscribe();
    if (joined.index < 0) for (const s of joined.subs) s.unsubscribe();
  }
}

/** Serves one run's commands until `close` (true when the coordinator reports the run finished). */
async function serveRun(bus: Bus, run: RunSubjects, joined: Joined, name: string, opts: HostOptions, lost: () => Error | null): Promise<boolean> {
  const label = `sparsepush host ${name}`;
  const reassembler = new Reassembler(MAX_COMMAND_BYTES, `${label} (commands)`);
  let host: HostRun | null = null;
  const index = joined.index;
  let finished: (ok: boolean) => void = () => {};
  const done = new Promise<boolean>((r) => { finished = r; });
  let queue: Promise<void> = Promise.resolve();
  const subs: Subscription[] = [...joined.subs];
  subs.push(bus.serve(run.ping(joined.token), () => new Uint8Array(0)));

  const reply = async (id: number, fields: Omit<Reply, 'op' | 'id' | 'from'>, parts: Uint8Array[] = []): Promise<void> => {
    await bus.send(run.coord, { json: { op: 'reply', id, from: index, ...fields }, parts }, index);
  };
  const end = (ok: boolean, why?: string): void => {
    if (why) opts.log(`${label}: ${why}`);
    host?.abort(why ?? 'the run ended');
    finished(ok);
  };

  const handle = async (cmd: Command, env: Envelope): Promise<void> => {
    if (cmd.op !== 'handshake') host?.quiet();
    try {
      switch (cmd.op) {
        case 'setup': {
          if (host) throw new TransportError('setup sent twice');
          if (cmd.index !== index || cmd.index >= cmd.hosts.length) throw new TransportError(`setup for host ${cmd.index} of ${cmd.hosts.length}, this host joined as ${index}`);
          const config = resolveConfig(cmd.config);
          checkRanges(cmd.hosts, config.devices);
          const range = cmd.hosts[index]!;
          opts.log(`${label}: run ${run.base.split('.').pop()} as host ${index} of ${cmd.hosts.length}, devices ${range.from}..${range.to - 1} of ${config.devices}`);
          const created = await HostRun.create({ bus, subjects: run, index, hosts: cmd.hosts, config, workers: opts.workers });
          host = created;
          subs.push(bus.subscribe(run.done, (data) => onDone(data)));
          subs.push(bus.subscribe(run.data(index), (data) => created.onData(data)));
          await bus.flush();
          startPings(cmd.silenceMs);
          await reply(cmd.id, { facts: created.facts() });
          return;
        }
        case 'close':
          await reply(cmd.id, {});
          end(cmd.ok, cmd.ok ? 'run finished' : 'run ended by the coordinator');
          return;
        default: break;
      }
      const h = host as HostRun | null;
      if (!h) throw new TransportError(`'${cmd.op}' before setup`);
      switch (cmd.op) {
        case 'handshake': await reply(cmd.id, await h.handshake()); return;
        case 'rounds': await reply(cmd.id, await h.rounds(cmd.round, cmd.count)); return;
        case 'evalDevices': await h.evalDevices(); await reply(cmd.id, {}); return;
        case 'reduce': { const r = h.reduce(env, cmd.partialBlock); await reply(cmd.id, r.fields, r.parts); return; }
        case 'evalGlobal': await reply(cmd.id, {}, await h.evalGlobal(env, cmd.chunkFrom, cmd.chunkTo)); return;
        case 'saveRegion': await reply(cmd.id, {}, [h.saveRegion(cmd.region)]); return;
        case 'loadRegion': h.loadRegion(cmd.region, env); await reply(cmd.id, {}); return;
        case 'resumeAt': h.resumeAt(cmd.round, cmd.simTimeS); await reply(cmd.id, {}); return;
        default: return;
      }
    } catch (err) {
      if (!(err instanceof SparsepushError)) opts.log(`${label}: ${cmd.op} failed: ${(err as Error).stack ?? String(err)}`);
      await reply(cmd.id, errorFields(err));
    }
  };

  const onDone = (data: Uint8Array): void => {
    try {
      const msg = doneReassembler.accept(data);
      if (msg) host?.onDone(parseMessage(Done, msg.env.json, `host ${msg.sender}`));
    } catch (err) {
      host?.abort((err as Error).message);
    }
  };
  const doneReassembler = new Reassembler(1 << 20, `${label} (round notices)`);

  const takeCommands = (): void => {
    for (const frame of joined.commands.splice(0)) {
      let msg;
      try { msg = reassembler.accept(frame); } catch (err) { end(false, (err as Error).message); return; }
      if (!msg) continue;
      let cmd: Command;
      try { cmd = parseMessage(Command, msg.env.json, 'the coordinator'); } catch (err) { end(false, (err as Error).message); return; }
      const env = msg.env;
      // abort acts at once (a task may be waiting for a dead peer); the rest run in order.
      if (cmd.op === 'abort') {
        host?.abort(cmd.reason);
        void reply(cmd.id, {});
        continue;
      }
      queue = queue.then(() => handle(cmd, env));
    }
  };
  // Commands published to this run before the lobby answer arrived were queued by the wildcard subscription.
  joined.onCommand = takeCommands;
  takeCommands();

  let stopPings = (): void => {};
  const startPings = (silenceMs: number): void => {
    stopPings = bus.watchPeer(run.pingCoordinator, PING_EVERY_MS, silenceMs, (why) => end(false, why === 'gone'
      ? 'the coordinator is gone; leaving the run'
      : `the coordinator did not answer for ${silenceMs / 1000} s; leaving the run`));
  };
  const watchLost = setInterval(() => {
    const e = lost();
    if (e) end(false, e.message);
    if (opts.signal?.aborted) end(false, 'stopped');
  }, 200);

  try {
    const ok = await done;
    await queue.catch(() => {});
    return ok;
  } finally {
    stopPings();
    clearInterval(watchLost);
    for (const s of subs) s.unsubscribe();
    await (host as HostRun | null)?.close();
  }
}

/** Host ranges from a coordinator: contiguous, ascending, covering [0, n). */
function checkRanges(hosts: readonly { from: number; to: number }[], n: number): void {
  let at = 0;
  for (const [k, r] of hosts.entries()) {
    if (r.from !== at || r.to <= r.from) throw new TransportError(`host ranges are not contiguous: host ${k} has [${r.from}, ${r.to}) after ${at}`);
    at = r.to;
  }
  if (at !== n) throw new TransportError(`host ranges cover ${at} of ${n} devices`);
}
