// Runs over NATS (Debian nats-server started here on 127.0.0.1 with a token): host processes and
// the coordinator are `sparsepush host` / `sparsepush run --nats` child processes from the sources.
// A 32-device Sparse-Push run over 3 hosts equals the single-process run (paramsHash, bits, every
// metrics line, the checkpoint's bytes); a wrong token or an unreachable server fails at once with a
// message; a host killed mid-run stops the run naming it, and a resume with a replacement host ends
// with the uninterrupted run's paramsHash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, spawnCli, startHost, startNatsServer, waitForOutput, type NatsServer } from './support/nats.js';

const SETS = [
  'devices=32', 'rounds=12', 'evalEvery=4', 'model=logistic', 'topology=exponential:1', 'data.train=synthetic:1600,12,4', 'data.test=null',
  'compressor=topk:0.1+int8', 'algorithm.name=sparse-push', 'algorithm.memory=ef', 'algorithm.batchSize=8', 'algorithm.localSteps=2',
  'faults.offline=0.05', 'checkpoint.every=4', 'seed=7',
].flatMap((s) => ['--set', s]);

interface Summary { paramsHash: string; final: Record<string, unknown>; bitsPerDevice: number[]; workers: number; hosts?: { from: number; to: number }[] }

const summaryOf = (dir: string): Summary => JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as Summary;
const withoutWall = (o: Record<string, unknown>): Record<string, unknown> => { const { wallTimeS: _w, ...rest } = o; return rest; };
const metricsOf = (dir: string): Record<string, unknown>[] => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => withoutWall(JSON.parse(l) as Record<string, unknown>));
const latestCheckpoint = (dir: string): string => join(dir, 'checkpoints', readFileSync(join(dir, 'checkpoints', 'LATEST'), 'utf8').trim());

async function withServer(body: (server: NatsServer, dir: string) => Promise<void>): Promise<void> {
  const server = await startNatsServer();
  const dir = mkdtempSync(join(tmpdir(), 'sp-nats-'));
  try {
    await body(server, dir);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('3 host processes run a 32-device Sparse-Push config bit-identical to one process (paramsHash, bits, metrics, checkpoint)', async () => {
  await withServer(async (server, dir) => {
    const hosts = [0, 1, 2].map(() => startHost(server, ['--workers', '1']));
    const nats = spawnCli(['run', ...SETS, '--out', join(dir, 'nats'), '--nats', server.url, '--hosts', '3', '--token', server.token, '--quiet']);
    const code = await nats.exited;
    for (const h of hosts) assert.equal(await h.exited, 0, `a host did not finish its run:\n${h.output()}`);
    assert.equal(code, 0, nats.output());
    const local = spawnCli(['run', ...SETS, '--out', join(dir, 'local'), '--workers', '2', '--quiet']);
    assert.equal(await local.exited, 0, local.output());

    const a = summaryOf(join(dir, 'nats'));
    const b = summaryOf(join(dir, 'local'));
    assert.equal(a.paramsHash, b.paramsHash);
    assert.deepEqual(withoutWall(a.final), withoutWall(b.final));
    assert.deepEqual(a.bitsPerDevice, b.bitsPerDevice);
    assert.deepEqual(metricsOf(join(dir, 'nats')), metricsOf(join(dir, 'local')));
    assert.deepEqual(a.hosts?.map((h) => [h.from, h.to]), [[0, 11], [11, 21], [21, 32]]);
    assert.equal(a.workers, 3);
    // The checkpoint the coordinator gathered from the hosts is the single-process one, byte for byte.
    const ca = latestCheckpoint(join(dir, 'nats'));
    const cb = latestCheckpoint(join(dir, 'local'));
    assert.equal(ca.split('/').pop(), 'ckpt-00000008');
    assert.ok(readFileSync(join(ca, 'arena.bin')).equals(readFileSync(join(cb, 'arena.bin'))), 'arena.bin differs');
  });
});

test('a wrong token is refused with a message and no summary; so is an unreachable server', async () => {
  await withServer(async (server, dir) => {
    const out = join(dir, 'wrong');
    const run = spawnCli(['run', ...SETS, '--out', out, '--nats', server.url, '--hosts', '2', '--token', 'not-the-token', '--quiet']);
    assert.equal(await run.exited, 1, run.output());
    assert.match(run.output(), new RegExp(`the NATS server at ${server.url} refused the connection: authorization violation \\(wrong --token\\)`));
    assert.equal(existsSync(join(out, 'summary.json')), false);
    assert.match(readFileSync(join(out, 'error.json'), 'utf8'), /authorization violation/);

    const host = spawnCli(['host', '--nats', server.url, '--once']);
    assert.equal(await host.exited, 1);
    assert.match(host.output(), /refused the connection: authorization violation \(it needs a token: pass --token\)/);

    const port = await freePort();
    const gone = spawnCli(['run', ...SETS, '--out', join(dir, 'gone'), '--nats', `nats://127.0.0.1:${port}`, '--hosts', '2', '--quiet']);
    assert.equal(await gone.exited, 1);
    assert.match(gone.output(), new RegExp(`cannot reach the NATS server at nats://127.0.0.1:${port}: .*ECONNREFUSED`));
    assert.equal(existsSync(join(dir, 'gone', 'summary.json')), false);
  });
});

test('a host killed mid-run stops the run naming it; a resume with a replacement host ends with the uninterrupted paramsHash', async (t) => {
  await withServer(async (server, dir) => {
    const out = join(dir, 'killed');
    const long = [...SETS, '--set', 'rounds=100000'];
    // Two hosts stay for the resume; the third is killed once a checkpoint is on disk.
    const stay = [0, 1].map(() => spawnCli(['host', '--nats', server.url, '--token', server.token, '--workers', '1']));
    const victim = startHost(server, ['--workers', '1', '--name', 'victim']);
    const run = spawnCli(['run', ...long, '--out', out, '--nats', server.url, '--hosts', '3', '--token', server.token, '--quiet']);
    const latest = join(out, 'checkpoints', 'LATEST');
    while (!existsSync(latest)) {
      if (run.child.exitCode !== null) assert.fail(`the run ended before its first checkpoint:\n${run.output()}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    await waitForOutput(victim, /as host \d of 3/);
    const killedAt = Date.now();
    await victim.stop('SIGKILL');
    const code = await run.exited;
    const stoppedAfterS = (Date.now() - killedAt) / 1000;
    assert.equal(code, 1, run.output());
    assert.ok(stoppedAfterS < 30, `the run took ${stoppedAfterS} s to stop`);
    const range = /victim: run \w+ as host (\d) of 3, devices (\d+)\.\.(\d+)/.exec(victim.output());
    assert.ok(range, victim.output());
    assert.match(run.output(), new RegExp(`host ${range[1]} \\(devices ${range[2]}\\.\\.${range[3]}\\) \\[victim\\] is gone .* in round \\d+`));
    assert.equal(existsSync(join(out, 'summary.json')), false, 'no summary after a failure');
    const kept = latestCheckpoint(out);
    assert.ok(existsSync(join(kept, 'arena.bin')), 'the last checkpoint is kept');
    const round = Number(/ckpt-(\d+)/.exec(kept)![1]);
    t.diagnostic(`killed host detected after ${stoppedAfterS.toFixed(1)} s; resuming from round ${round}`);

    // Resume to round + 8 with the two hosts that stayed and a replacement; reference: one process, uninterrupted.
    const rounds = ['--set', `rounds=${round + 8}`];
    const replacement = startHost(server, ['--workers', '1', '--name', 'replacement']);
    const resumed = spawnCli(['run', '--resume', out, ...rounds, '--nats', server.url, '--hosts', '3', '--token', server.token, '--quiet']);
    assert.equal(await resumed.exited, 0, resumed.output());
    assert.equal(await replacement.exited, 0, replacement.output());
    for (const h of stay) await h.stop();
    const reference = spawnCli(['run', ...SETS, ...rounds, '--out', join(dir, 'reference'), '--quiet']);
    assert.equal(await reference.exited, 0, reference.output());
    assert.equal(summaryOf(out).paramsHash, summaryOf(join(dir, 'reference')).paramsHash);
    assert.deepEqual(withoutWall(summaryOf(out).final), withoutWall(summaryOf(join(dir, 'reference')).final));
  });
});

test('softmax regression 784x10 with 60,000 devices (Sparse-Push, memory ef) is refused by one process before its arena is allocated, naming the 4 GiB limit and suggesting hosts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-nats-'));
  try {
    const out = join(dir, 'one');
    const run = spawnCli(['run', '--set', 'devices=60000', '--set', 'model=logistic', '--set', 'data.train=synthetic:60000,784,10', '--set', 'data.test=synthetic:1000,784,10',
      '--set', 'algorithm.name=sparse-push', '--set', 'algorithm.memory=ef', '--set', 'compressor=topk:0.01', '--set', 'data.smallShards=wrap', '--set', 'rounds=10', '--out', out, '--quiet']);
    assert.equal(await run.exited, 2, run.output());
    assert.match(run.output(), /^sparsepush run: devices: the arena of 60000 devices needs 5\.\d+ GiB, above its 4\.00 GiB limit \(the wasm32 maximum\); at most (\d+) devices fit; spread the devices over at least 2 host processes on one or more machines \(sparsepush host, then sparsepush run --nats URL --hosts 2; see the README\)/m);
    assert.equal(existsSync(join(out, 'summary.json')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NATS options without their partners are usage errors (exit 2, nothing created)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-nats-'));
  try {
    const cases: [string[], RegExp][] = [
      [['run', '--hosts', '3', '--out', join(dir, 'a')], /--hosts needs --nats URL/],
      [['run', '--nats', 'nats://127.0.0.1:4222', '--out', join(dir, 'b')], /--nats needs --hosts K/],
      [['run', '--nats', 'nats://127.0.0.1:4222', '--hosts', 'two', '--out', join(dir, 'c')], /--hosts: expected a positive integer, got 'two'/],
      [['host', '--once'], /--nats URL is required/],
    ];
    for (const [args, pattern] of cases) {
      const r = spawnCli(args);
      assert.equal(await r.exited, 2, r.output());
      assert.match(r.output(), pattern);
    }
    for (const d of ['a', 'b', 'c']) assert.equal(existsSync(join(dir, d)), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a server that authorizes users by NKey: the seed file connects, another user\'s seed and a malformed file are refused', async () => {
  const { nkeys } = await import('@nats-io/transport-node');
  const user = nkeys.createUser();
  const stranger = nkeys.createUser();
  const server = await startNatsServer({ nkeyUser: user.getPublicKey() });
  const dir = mkdtempSync(join(tmpdir(), 'sp-nats-'));
  try {
    const { Bus } = await import('../src/transport/nats/bus.js');
    const { TransportError } = await import('../src/errors.js');
    const file = (name: string, text: string): string => { const f = join(dir, name); writeFileSync(f, `${text}\n`); return f; };
    const good = file('user.nk', new TextDecoder().decode(user.getSeed()));
    const bus = await Bus.connect({ url: server.url, nkeyFile: good, name: 'test' });
    assert.ok(bus.maxPayload > 0);
    await bus.close();
    await assert.rejects(Bus.connect({ url: server.url, nkeyFile: file('other.nk', new TextDecoder().decode(stranger.getSeed())), name: 'test' }),
      (err: unknown) => err instanceof TransportError && /refused the connection: authorization violation \(the NKey of .*other\.nk is not authorized\)/.test(err.message));
    await assert.rejects(Bus.connect({ url: server.url, nkeyFile: file('bad.nk', 'not a seed'), name: 'test' }),
      (err: unknown) => err instanceof TransportError && /bad\.nk: not an NKey user seed/.test(err.message));
    await assert.rejects(Bus.connect({ url: server.url, name: 'test' }), (err: unknown) => err instanceof TransportError && /authorization violation/.test(err.message));
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
