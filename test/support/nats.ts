// Shared by the NATS tests and bench/: Debian's nats-server on 127.0.0.1 on a free port with a
// generated config (token, max_payload), polled until it accepts connections and stopped by its
// pid; `sparsepush host` processes from the sources (test/support/child.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTRY, spawnScript, type ChildRun } from './child.js';

export const NATS_SERVER = ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => existsSync(p)) ?? '/usr/sbin/nats-server';

export interface NatsServer {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly port: number;
  /** The monitoring endpoint (http://127.0.0.1:P) when started with `monitor`. */
  readonly monitor: string | null;
  stop(): Promise<void>;
}

/** Bytes and messages through the server so far (its /varz monitoring page). */
export async function serverTraffic(server: NatsServer): Promise<{ inBytes: number; outBytes: number; inMsgs: number; outMsgs: number }> {
  if (!server.monitor) throw new Error('the server was started without monitoring');
  const v = await (await fetch(`${server.monitor}/varz`)).json() as { in_bytes: number; out_bytes: number; in_msgs: number; out_msgs: number };
  return { inBytes: v.in_bytes, outBytes: v.out_bytes, inMsgs: v.in_msgs, outMsgs: v.out_msgs };
}

/** A free TCP port on 127.0.0.1 (bound and released; the server binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => done(port));
    });
  });
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = tcpConnect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); done(true); });
    s.once('error', () => done(false));
  });
}

/** Starts nats-server with token auth; resolves once its port accepts connections. */
export async function startNatsServer(opts: { maxPayload?: number; monitor?: boolean; nkeyUser?: string } = {}): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER)) throw new Error(`${NATS_SERVER} not found: install it with 'apt-get install -y nats-server' (CI does this in .ci/run)`);
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-nats-'));
  const port = await freePort();
  const token = randomBytes(12).toString('hex');
  const conf = join(dir, 'server.conf');
  const monitorPort = opts.monitor ? await freePort() : null;
  // Token authorization, or (nkeyUser: a user's public NKey) NKey authorization.
  const auth = opts.nkeyUser ? `authorization { users: [ { nkey: "${opts.nkeyUser}" } ] }` : `authorization { token: "${token}" }`;
  writeFileSync(conf, `listen: 127.0.0.1:${port}\n${auth}\nmax_payload: ${opts.maxPayload ?? 1048576}\n${monitorPort ? `http: 127.0.0.1:${monitorPort}\n` : ''}`);
  const child: ChildProcess = spawn(NATS_SERVER, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (b: Buffer) => { log += b.toString(); });
  const pid = child.pid!;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((done) => child.once('exit', () => done()));
      process.kill(pid, 'SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) { await stop(); throw new Error(`nats-server exited: ${log}`); }
    if (await accepts(port) && (!monitorPort || await accepts(monitorPort))) {
      return { url: `nats://127.0.0.1:${port}`, token, pid, port, monitor: monitorPort ? `http://127.0.0.1:${monitorPort}` : null, stop };
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  await stop();
  throw new Error(`nats-server did not accept connections on port ${port}: ${log}`);
}

/** `sparsepush <args>` from the sources as a child process. */
export function spawnCli(args: readonly string[], env: Record<string, string> = {}): ChildRun {
  return spawnScript(ENTRY, args, env);
}

/** `sparsepush host --nats URL --token T --once <args>`. */
export function startHost(server: NatsServer, args: readonly string[] = []): ChildRun {
  return spawnCli(['host', '--nats', server.url, '--token', server.token, '--once', ...args]);
}

/** Resolves when `text` appears in the child's output (rejects after `ms`). */
export async function waitForOutput(run: ChildRun, text: string | RegExp, ms = 60_000): Promise<void> {
  const t0 = Date.now();
  const has = (): boolean => (typeof text === 'string' ? run.output().includes(text) : text.test(run.output()));
  while (!has()) {
    if (run.child.exitCode !== null) throw new Error(`process exited before printing ${String(text)}:\n${run.output()}`);
    if (Date.now() - t0 > ms) throw new Error(`no ${String(text)} after ${ms} ms:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
