// Cross-host message batches: what one host packs from its outboxes arrives in the other host's
// outbox slots byte for byte (with the header fields and the readiness stamps), and every altered,
// misplaced, repeated or missing part of a batch is refused with a TransportError naming the host,
// device and round before anything reaches the arena.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAlgorithm } from '../src/algorithms/registry.js';
import { createCompressor } from '../src/compress/registry.js';
import type { WireCompressor } from '../src/compress/types.js';
import { resolveConfig } from '../src/config/schema.js';
import { TransportError } from '../src/errors.js';
import { RoundView } from '../src/engine/round.js';
import { algorithmSetup } from '../src/engine/setup.js';
import { MessageSlot, Outboxes, outboxStride } from '../src/engine/worker/outbox.js';
import { createTopology } from '../src/graph/registry.js';
import { CHUNK_HEADER_BYTES, CrossTraffic, ENTRY_HEADER_BYTES, ownerTable, packBatch, RoundInbox, type DeliveryTarget } from '../src/transport/nats/batches.js';
import { assertThrowsError } from './support/assert-error.js';

const N = 32;
const D = 40;
const HOSTS = [{ from: 0, to: 16 }, { from: 16, to: 32 }];
const config = resolveConfig({
  name: 'batches', seed: 2, devices: N, model: 'logistic', topology: 'exponential:1', compressor: 'topk:0.2+int8',
  faults: { linkDrop: 0, offline: 0.1 }, algorithm: { name: 'sparse-push', memory: 'ef' },
});
const topology = createTopology(config.topology, N, { seed: config.seed });
const algorithm = createAlgorithm('sparse-push');
const shardOff = Uint32Array.from({ length: N + 1 }, (_, i) => 10 * i);
const setup = algorithmSetup(config, D, N, topology, shardOff);
const owner = ownerTable(HOSTS, N);

interface Side { outboxes: Outboxes; ready: Int32Array; ctl: Int32Array; target: DeliveryTarget; payload: number }

async function side(me: number, compressor: WireCompressor): Promise<Side> {
  const payload = compressor.maxEncodedBytes(D);
  const stride = outboxStride(payload);
  const outboxes = new Outboxes(new SharedArrayBuffer(N * stride), 0, N, stride, payload);
  const ready = new Int32Array(new SharedArrayBuffer(4 * N));
  const ctl = new Int32Array(new SharedArrayBuffer(64));
  const target: DeliveryTarget = {
    me, hosts: HOSTS, meta: { d: D, outboxPayload: payload }, algorithm, outboxes, ready, ctl, compressorOf: () => compressor,
  };
  return { outboxes, ready, ctl, target, payload };
}

/** Host 0 after its devices trained in `round`: each posts a real message, except `silent` (posted nothing). */
function post(s: Side, compressor: WireCompressor, view: RoundView, silent: number): void {
  for (let j = HOSTS[0]!.from; j < HOSTS[0]!.to; j++) {
    if (view.isOffline(j) || j === silent) continue;
    const x = Float32Array.from({ length: D }, (_, k) => Math.sin(j * 7 + k));
    const bytes = compressor.compressInto(x, s.outboxes.payload(j));
    s.outboxes.post(j, view.round, bytes, view.outPeers(j).length, view.selfWeight(j), 1 + j / 64);
  }
}

async function scene(round: number, maxPayload = 300) {
  const compressor = await createCompressor(algorithm.compressorSpec(setup, 0));
  const view = new RoundView(round, topology, N, config.seed, config.faults);
  const sender = await side(0, compressor);
  const receiver = await side(1, compressor);
  const senders = new CrossTraffic(0, HOSTS[0]!, owner, 2, true).sendersTo(view)[1]!;
  const expectedFrom = new CrossTraffic(1, HOSTS[1]!, owner, 2, true).expectedFrom(view);
  const expected = expectedFrom[0]!;
  const silent = senders[1]!;
  post(sender, compressor, view, silent);
  const chunks = packBatch(sender.outboxes, senders, round, 0, 1, maxPayload);
  const inbox = new RoundInbox(round, view, expectedFrom, receiver.target);
  return { view, sender, receiver, senders, expected, silent, chunks, inbox };
}

test('a batch arrives in the receiver\'s outbox slots exactly as the sender posted it, and stamps its devices', async () => {
  const { view, sender, receiver, senders, expected, silent, chunks, inbox } = await scene(4);
  assert.deepEqual([...senders], [...expected], 'both hosts compute the same crossing set');
  assert.ok(senders.length >= 4 && chunks.length >= 3, `a multi-chunk batch (${senders.length} messages, ${chunks.length} chunks)`);
  for (const c of chunks) assert.ok(c.length <= 300);
  for (const c of chunks) inbox.accept(c);
  inbox.checkSent(0, { entries: senders.length, chunks: chunks.length });
  const a = new MessageSlot();
  const b = new MessageSlot();
  for (const j of senders) {
    assert.equal(receiver.ready[j], view.round + 1, `device ${j} stamped`);
    const posted = sender.outboxes.read(j, view.round, true, a);
    assert.equal(receiver.outboxes.read(j, view.round, true, b), posted, `device ${j}: posted or not alike`);
    assert.equal(posted, j !== silent);
    if (!posted) continue;
    assert.deepEqual([...b.bytes], [...a.bytes]);
    assert.deepEqual([b.outDegree, b.selfWeight, b.weight], [a.outDegree, a.selfWeight, a.weight]);
  }
  for (let j = 0; j < N; j++) if (!senders.includes(j)) assert.equal(receiver.ready[j], 0, `device ${j} was not sent`);
});

/** A copy of chunk `k` with `edit` applied to its first entry (offset of the entry's start given). */
function edited(chunks: Uint8Array[], k: number, edit: (dv: DataView, entry: number, chunk: Uint8Array) => void): Uint8Array {
  const c = chunks[k]!.slice();
  edit(new DataView(c.buffer), CHUNK_HEADER_BYTES, c);
  return c;
}

test('altered, misplaced and repeated batch parts are refused before anything reaches the arena', async () => {
  const cases: [string, (s: Awaited<ReturnType<typeof scene>>) => Uint8Array[], RegExp][] = [
    ['a lost chunk', (s) => [s.chunks[0]!, s.chunks[2]!], /out of order|sent \d+ messages, this host reads/],
    ['a repeated chunk', (s) => [s.chunks[0]!, s.chunks[0]!], /chunk 0 of \d+ out of order/],
    ['another round', (s) => [edited(s.chunks, 0, (dv) => dv.setUint32(8, 5, true))], /round 4: host 0 \(devices 0\.\.15\) sent messages of round 5/],
    ['another receiver', (s) => [edited(s.chunks, 0, (dv) => dv.setUint16(12, 0, true))], /addressed to host 0/],
    ['a device nobody here reads', (s) => [edited(s.chunks, 0, (dv, e) => dv.setUint32(e, 31, true))], /device 31, which no device here reads from that host/],
    ['a wrong out-degree', (s) => [edited(s.chunks, 0, (dv, e) => dv.setUint32(e + 8, dv.getUint32(e + 8, true) + 1, true))], /claims out-degree \d+, the round's graph gives/],
    ['a wrong mixing weight', (s) => [edited(s.chunks, 0, (dv, e) => dv.setFloat64(e + 16, 0.75, true))], /claims mixing weight 0.75/],
    ['a non-finite push-sum weight', (s) => [edited(s.chunks, 0, (dv, e) => dv.setFloat64(e + 24, Number.NaN, true))], /sent push-sum weight NaN/],
    ['a length beyond the outbox', (s) => [edited(s.chunks, 0, (dv, e) => dv.setUint32(e + 4, 1 << 20, true))], /claims 1048576 bytes/],
    ['a corrupt wire message', (s) => [edited(s.chunks, 0, (_dv, e, c) => { c[e + ENTRY_HEADER_BYTES + 8]! ^= 0xff; })], /message does not parse: .*(checksum|expected d)/],
    ['a truncated chunk', (s) => [s.chunks[0]!.subarray(0, s.chunks[0]!.length - 8)], /announces \d+ bytes and carries/],
  ];
  for (const [name, make, pattern] of cases) {
    const s = await scene(4);
    const before = new Uint8Array(s.receiver.outboxes.payload(s.senders[0]!)).slice();
    assertThrowsError(() => { for (const c of make(s)) s.inbox.accept(c); }, TransportError, pattern, name);
    if (name !== 'a lost chunk' && name !== 'a repeated chunk') {
      assert.deepEqual([...s.receiver.outboxes.payload(s.senders[0]!)], [...before], `${name}: the first device's slot is untouched`);
      assert.equal(s.receiver.ready[s.senders[0]!], 0, `${name}: the first device is not stamped`);
    }
  }
});

test('the sender\'s end-of-round counts expose a batch lost on the bus', async () => {
  const s = await scene(4);
  s.inbox.accept(s.chunks[0]!);
  assertThrowsError(() => s.inbox.checkSent(0, { entries: s.senders.length, chunks: s.chunks.length }), TransportError,
    new RegExp(`round 4: host 0 \\(devices 0\\.\\.15\\) sent ${s.senders.length} messages in ${s.chunks.length} chunks, host 1 received \\d+ in 1 .*lost on the bus`), 'a lost batch');
  const t = await scene(4);
  assert.throws(() => t.inbox.checkSent(0, { entries: 0, chunks: 0 }), /sent 0 messages in 0 chunks, host 1 received 0 in 0 and reads \d+/);
});
