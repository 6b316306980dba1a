/**
 * The messages that cross hosts: per round and host pair one batch of the sender's outboxes that
 * the receiver's devices read (the wire-codec bytes the engine already counts, with the outbox
 * header), cut into chunks under the server's max payload.
 *
 * Who sends what is a function of the round's graph and faults, which every host computes alike:
 * host A sends host B the message (or "nothing posted") of every online device of A with an
 * out-peer on B. So B knows exactly which messages to expect; it validates each chunk before a
 * byte reaches its arena (sender and round, device of the sender's range and expected, lengths
 * inside the chunk and the outbox, out-degree and mixing weight equal to what B computes for
 * that device, a finite push-sum weight, and the payload parsed by the device's compressor: the
 * codec's full validation) and delivers it where the device's outbox would be, stamping it
 * trained. The sender's end-of-round notice carries its message and chunk counts per receiver;
 * anything missing fails the round (core NATS is at-most-once; a partial mix is never run).
 *
 * Chunk (integers little-endian):
 *   u32 magic 'SPMB'  u16 version  u16 sender host  u32 round  u16 receiver host  u16 0
 *   u32 chunk index   u32 chunk count   u32 entries in this chunk   u32 bytes after this header
 * Entry: u32 device  u32 payload bytes (NOT_POSTED: none this round)  u32 out-degree  u32 0
 *        f64 mixing weight a_j  f64 push-sum weight w_j  payload, zero-padded to 8 bytes
 */
import type { Algorithm } from '../../algorithms/types.js';
import type { WireCompressor } from '../../compress/types.js';
import { TransportError, WireError } from '../../errors.js';
import type { DeviceRange, EngineMeta } from '../../engine/protocol.js';
import type { RoundView } from '../../engine/round.js';
import { Ctl } from '../../engine/worker/exchange.js';
import { MessageSlot, type Outboxes } from '../../engine/worker/outbox.js';

const MAGIC = 0x424d5053;
const VERSION = 1;
export const CHUNK_HEADER_BYTES = 32;
export const ENTRY_HEADER_BYTES = 32;
const NOT_POSTED = 0xffffffff;

const pad8 = (b: number): number => (b + 7) & ~7;

/** Bytes a chunk needs for one entry of `payload` bytes. */
export function entryBytes(payload: number): number {
  return ENTRY_HEADER_BYTES + pad8(payload);
}

/** Host ranges as an owner table: owner[i] = index of the host holding device i. */
export function ownerTable(ranges: readonly DeviceRange[], n: number): Uint16Array {
  const owner = new Uint16Array(n);
  ranges.forEach((r, h) => owner.fill(h, r.from, r.to));
  return owner;
}

/** Which devices' messages cross from one host to another in a round (the same on both sides). */
interface TrafficSets { out: Int32Array[]; in: Int32Array[] }

export class CrossTraffic {
  /** Per out-peer table (fault-free runs: the same sets every period). */
  private readonly cache = new WeakMap<object, TrafficSets>();
  /** Per round view (a round asks for both directions: ship and receipt). */
  private readonly byView = new WeakMap<RoundView, TrafficSets>();

  /** @param offlineFaults config.faults.offline > 0 (the sets then change every round) */
  constructor(
    private readonly me: number, private readonly owned: DeviceRange, private readonly owner: Uint16Array,
    private readonly hosts: number, private readonly offlineFaults: boolean,
  ) {}

  /** Per host h: my online devices (ascending) with an out-peer on h this round. */
  sendersTo(view: RoundView): Int32Array[] { return this.sets(view).out; }

  /** Per host h: h's online devices (ascending) with an out-peer here this round. */
  expectedFrom(view: RoundView): Int32Array[] { return this.sets(view).in; }

  private sets(view: RoundView): TrafficSets {
    let sets = this.byView.get(view);
    if (!sets) {
      sets = this.compute(view);
      this.byView.set(view, sets);
    }
    return sets;
  }

  private compute(view: RoundView): TrafficSets {
    const table = view.outPeerTable();
    if (!table) return { out: this.empty(), in: this.empty() };
    const faultFree = !this.offlineFaults;
    const cached = faultFree ? this.cache.get(table) : undefined;
    if (cached) return cached;
    const { from, to } = this.owned;
    const owner = this.owner;
    const out: number[][] = Array.from({ length: this.hosts }, () => []);
    const inSet: Set<number>[] = Array.from({ length: this.hosts }, () => new Set<number>());
    for (let j = from; j < to; j++) {
      if (view.isOffline(j)) continue;
      for (const p of table[j]!) {
        const h = owner[p]!;
        const list = out[h]!;
        if (h !== this.me && list[list.length - 1] !== j) list.push(j);
      }
    }
    for (let i = from; i < to; i++) {
      for (const j of view.inPeers(i)) {
        const h = owner[j]!;
        if (h !== this.me && !view.isOffline(j)) inSet[h]!.add(j);
      }
    }
    const sets = { out: out.map((l) => Int32Array.from(l)), in: inSet.map((s) => Int32Array.from([...s].sort((a, b) => a - b))) };
    if (faultFree) this.cache.set(table, sets);
    return sets;
  }

  private empty(): Int32Array[] { return Array.from({ length: this.hosts }, () => new Int32Array(0)); }
}

/** Packs the outboxes of `senders` (round `round`) into chunks of at most maxPayload bytes. */
export function packBatch(outboxes: Outboxes, senders: Int32Array, round: number, from: number, to: number, maxPayload: number): Uint8Array[] {
  const slot = new MessageSlot();
  const chunks: Uint8Array[] = [];
  const entries: { j: number; posted: boolean; bytes: Uint8Array; outDegree: number; selfWeight: number; weight: number }[] = [];
  let size = CHUNK_HEADER_BYTES;
  const flush = (): void => {
    const chunk = new Uint8Array(size);
    const dv = new DataView(chunk.buffer);
    let at = CHUNK_HEADER_BYTES;
    for (const e of entries) {
      dv.setUint32(at, e.j, true);
      dv.setUint32(at + 4, e.posted ? e.bytes.length : NOT_POSTED, true);
      dv.setUint32(at + 8, e.posted ? e.outDegree : 0, true);
      dv.setFloat64(at + 16, e.posted ? e.selfWeight : 0, true);
      dv.setFloat64(at + 24, e.posted ? e.weight : 0, true);
      at += ENTRY_HEADER_BYTES;
      if (e.posted) { chunk.set(e.bytes, at); at += pad8(e.bytes.length); }
    }
    dv.setUint32(24, entries.length, true);
    chunks.push(chunk);
    entries.length = 0;
    size = CHUNK_HEADER_BYTES;
  };
  for (const j of senders) {
    const posted = outboxes.read(j, round, true, slot);
    const need = entryBytes(posted ? slot.bytes.length : 0);
    if (CHUNK_HEADER_BYTES + need > maxPayload) {
      throw new TransportError(`device ${j}'s round-${round} message (${slot.bytes.length} bytes) does not fit the server's max_payload (${maxPayload} bytes): raise max_payload in the server config`);
    }
    if (size + need > maxPayload) flush();
    entries.push({ j, posted, bytes: posted ? slot.bytes : slot.bytes.subarray(0, 0), outDegree: slot.outDegree, selfWeight: slot.selfWeight, weight: slot.weight });
    size += need;
  }
  if (entries.length > 0 || chunks.length === 0) flush();
  chunks.forEach((c, k) => {
    const dv = new DataView(c.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint16(4, VERSION, true);
    dv.setUint16(6, from, true);
    dv.setUint32(8, round, true);
    dv.setUint16(12, to, true);
    dv.setUint32(16, k, true);
    dv.setUint32(20, chunks.length, true);
    dv.setUint32(28, c.length - CHUNK_HEADER_BYTES, true);
  });
  return chunks;
}

/** What a host needs to check and deliver the batches it receives. */
export interface DeliveryTarget {
  readonly me: number;
  readonly hosts: readonly DeviceRange[];
  readonly meta: Pick<EngineMeta, 'd' | 'outboxPayload'>;
  readonly algorithm: Pick<Algorithm, 'sendsWeight'>;
  readonly outboxes: Outboxes;
  readonly ready: Int32Array;
  readonly ctl: Int32Array;
  /** The compressor that validates device j's payloads (the codec's parse). */
  compressorOf(j: number): WireCompressor;
}

/** One round's receipt on one host: what is expected from each other host, and what arrived. */
export class RoundInbox {
  /** 1 + host index of an expected sender, 0 otherwise; -1 once delivered. */
  private readonly mark = new Map<number, number>();
  private readonly expectedCount: number[];
  private readonly entries: number[];
  private readonly chunksSeen: number[];
  private readonly chunkCount: number[];

  constructor(readonly round: number, private readonly view: RoundView, expectedFrom: readonly Int32Array[], private readonly target: DeliveryTarget) {
    const k = target.hosts.length;
    this.expectedCount = expectedFrom.map((s) => s.length);
    this.entries = new Array<number>(k).fill(0);
    this.chunksSeen = new Array<number>(k).fill(0);
    this.chunkCount = new Array<number>(k).fill(-1);
    expectedFrom.forEach((s, h) => { for (const j of s) this.mark.set(j, h + 1); });
  }

  /** Validates one chunk and delivers its messages; throws TransportError naming the sender, device and round. */
  accept(chunk: Uint8Array): void {
    const t = this.target;
    const fail = (msg: string): never => { throw new TransportError(`round ${this.round}: ${msg}`); };
    if (chunk.length < CHUNK_HEADER_BYTES) fail(`a ${chunk.length}-byte message batch, shorter than its header`);
    const dv = new DataView(chunk.buffer, chunk.byteOffset, chunk.length);
    if (dv.getUint32(0, true) !== MAGIC || dv.getUint16(4, true) !== VERSION) fail('a message batch without the sparsepush batch magic / version');
    const from = dv.getUint16(6, true);
    const round = dv.getUint32(8, true);
    const to = dv.getUint16(12, true);
    const index = dv.getUint32(16, true);
    const count = dv.getUint32(20, true);
    const entries = dv.getUint32(24, true);
    const body = dv.getUint32(28, true);
    const who = from < t.hosts.length ? hostLabel(from, t.hosts[from]!) : `host ${from}`;
    if (from >= t.hosts.length || from === t.me) fail(`a message batch from unknown host ${from}`);
    if (to !== t.me) fail(`${who} sent host ${t.me} a batch addressed to host ${to}`);
    if (round !== this.round) fail(`${who} sent messages of round ${round} while this host takes round ${this.round}'s`);
    if (body !== chunk.length - CHUNK_HEADER_BYTES) fail(`${who}: a batch chunk announces ${body} bytes and carries ${chunk.length - CHUNK_HEADER_BYTES}`);
    if (count < 1 || index >= count || (this.chunkCount[from]! >= 0 && this.chunkCount[from] !== count) || index !== this.chunksSeen[from]) {
      fail(`${who}: batch chunk ${index} of ${count} out of order (${this.chunksSeen[from]} chunks received; chunks lost?)`);
    }
    this.chunkCount[from] = count;
    this.chunksSeen[from]!++;
    const { meta, outboxes } = t;
    const sendsWeight = t.algorithm.sendsWeight;
    let at = CHUNK_HEADER_BYTES;
    for (let e = 0; e < entries; e++) {
      if (at + ENTRY_HEADER_BYTES > chunk.length) fail(`${who}: batch chunk ${index} ends inside entry ${e} of ${entries}`);
      const j = dv.getUint32(at, true);
      const bytes = dv.getUint32(at + 4, true);
      const outDegree = dv.getUint32(at + 8, true);
      const selfWeight = dv.getFloat64(at + 16, true);
      const weight = dv.getFloat64(at + 24, true);
      at += ENTRY_HEADER_BYTES;
      const mark = this.mark.get(j);
      if (mark === undefined || mark === 0) fail(`${who} sent a message of device ${j}, which no device here reads from that host this round`);
      if (mark === -1) fail(`${who} sent device ${j}'s message twice`);
      if (mark !== from + 1) fail(`${who} sent device ${j}'s message, which host ${mark! - 1} holds`);
      this.mark.set(j, -1);
      this.entries[from]!++;
      if (bytes === NOT_POSTED) { this.stamp(j); continue; }
      if (bytes > meta.outboxPayload || at + pad8(bytes) > chunk.length) fail(`${who}: device ${j}'s message claims ${bytes} bytes (outbox ${meta.outboxPayload}, ${chunk.length - at} left in the chunk)`);
      const payload = chunk.subarray(at, at + bytes);
      at += pad8(bytes);
      if (outDegree !== this.view.outPeers(j).length) fail(`${who}: device ${j} claims out-degree ${outDegree}, the round's graph gives ${this.view.outPeers(j).length}`);
      if (selfWeight !== this.view.selfWeight(j)) fail(`${who}: device ${j} claims mixing weight ${selfWeight}, the round's graph gives ${this.view.selfWeight(j)}`);
      if (sendsWeight && !Number.isFinite(weight)) fail(`${who}: device ${j} sent push-sum weight ${weight}`);
      try {
        t.compressorOf(j).parse(payload, meta.d);
      } catch (err) {
        if (err instanceof WireError) fail(`${who}: device ${j}'s message does not parse: ${err.message}`);
        throw err;
      }
      outboxes.payload(j).set(payload);
      outboxes.post(j, this.round, bytes, outDegree, selfWeight, sendsWeight ? weight : Number.NaN);
      this.stamp(j);
    }
    if (at !== chunk.length) fail(`${who}: ${chunk.length - at} stray bytes after the ${entries} entries of batch chunk ${index}`);
    if (this.chunksSeen[from] === count && this.entries[from] !== this.expectedCount[from]) {
      fail(`${who} sent ${this.entries[from]} messages, this host reads ${this.expectedCount[from]} from it`);
    }
  }

  /**
   * The sender's end-of-round notice: it sent `entries` messages in `chunks` chunks here. Every
   * chunk came before the notice (one publisher's messages arrive in order), so a difference
   * means lost messages.
   */
  checkSent(from: number, sent: { readonly entries: number; readonly chunks: number }): void {
    const who = hostLabel(from, this.target.hosts[from]!);
    const got = this.chunksSeen[from]!;
    if (sent.entries !== this.expectedCount[from] || got !== sent.chunks || this.entries[from] !== sent.entries) {
      throw new TransportError(`round ${this.round}: ${who} sent ${sent.entries} messages in ${sent.chunks} chunks, host ${this.target.me} received ${this.entries[from]} in ${got} and reads ${this.expectedCount[from]} (messages lost on the bus)`);
    }
  }

  /** Device j has its message of this round in place (or posted none): wake the workers waiting for it. */
  private stamp(j: number): void {
    const t = this.target;
    Atomics.store(t.ready, j, this.round + 1);
    if (Atomics.load(t.ctl, Ctl.waiters) !== 0) Atomics.notify(t.ready, j);
  }
}

export function hostLabel(index: number, range: DeviceRange): string {
  return `host ${index} (devices ${range.from}..${range.to - 1})`;
}
