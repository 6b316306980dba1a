/**
 * Outboxes: one per sender in an arena region, each a fixed header and the encoded message. This
 * module is the only reader and writer of the header: the posting side (DeviceContext.post,
 * ServerContext.post) and every inbox (device mixing, the server's aggregation) go through it.
 *
 * Header (OUTBOX_HEADER_BYTES = 32, 8-byte aligned: strides are multiples of 64):
 *   u32 stamp        round + 1 of the last post (a stale stamp: nothing posted this round)
 *   u32 bytes        payload length
 *   u32 outDegree    the sender's out-degree this round (faults applied)
 *   u32 reserved     0 (keeps the f64 fields 8-byte aligned)
 *   f64 selfWeight   the sender's a_j
 *   f64 weight       the sender's push-sum weight w_j (NaN when the algorithm sends none)
 *
 * The stamp is written last with Atomics.store and read first with Atomics.load, so a reader that
 * sees this round's stamp sees the whole message. One outbox per sender is read by each of its
 * out-peers (every out-peer gets the same bytes); link drops are decided by the receiver.
 *
 * Portable: no Node built-ins (runs in Node worker threads and in Web Workers alike).
 */
import { alignUp } from '../../arena/arena.js';
import type { InMessage } from '../../algorithms/types.js';

export const OUTBOX_HEADER_BYTES = 32;

/** Bytes of one outbox slot for payloads of up to `payload` bytes (64-byte aligned). */
export function outboxStride(payload: number): number {
  return alignUp(OUTBOX_HEADER_BYTES + payload);
}

/** An InMessage that a reader fills in place (re-used message after message). */
export class MessageSlot implements InMessage {
  from = 0;
  bytes: Uint8Array = EMPTY_BYTES;
  selfWeight = 0;
  weight = 0;
  outDegree = 0;
}
const EMPTY_BYTES = new Uint8Array(0);

/** The outboxes of `count` senders over a region of `buffer`. */
export class Outboxes {
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly f64: Float64Array;
  private readonly payloads: (Uint8Array | undefined)[];
  /** Per sender: the last payload view handed to a reader (re-used while the length stays the same). */
  private readonly messages: (Uint8Array | undefined)[];

  /**
   * @param stride   bytes per sender (outboxStride of the payload capacity)
   * @param capacity payload bytes a sender may post
   */
  constructor(buffer: ArrayBufferLike, offset: number, count: number, readonly stride: number, readonly capacity: number) {
    const bytes = count * stride;
    this.u8 = new Uint8Array(buffer, offset, bytes);
    this.u32 = new Uint32Array(buffer, offset, bytes >>> 2);
    this.f64 = new Float64Array(buffer, offset, bytes >>> 3);
    this.payloads = new Array<Uint8Array | undefined>(count);
    this.messages = new Array<Uint8Array | undefined>(count);
  }

  /** Payload area of sender i's outbox (where the message is encoded before post). */
  payload(i: number): Uint8Array {
    let v = this.payloads[i];
    if (!v) {
      const base = i * this.stride + OUTBOX_HEADER_BYTES;
      v = this.u8.subarray(base, base + this.capacity);
      this.payloads[i] = v;
    }
    return v;
  }

  /** Publishes sender i's message of `round` (payload already in place); the stamp goes last. */
  post(i: number, round: number, bytes: number, outDegree: number, selfWeight: number, weight: number): void {
    const base = i * this.stride;
    const u = base >>> 2;
    const f = base >>> 3;
    this.u32[u + 1] = bytes;
    this.u32[u + 2] = outDegree;
    this.f64[f + 2] = selfWeight;
    this.f64[f + 3] = weight;
    Atomics.store(this.u32, u, round + 1);
  }

  /** True when sender j posted in `round`. */
  posted(j: number, round: number): boolean {
    return Atomics.load(this.u32, (j * this.stride) >>> 2) === round + 1;
  }

  /**
   * Sender j's message of `round` written into `into` (weight NaN unless `sendsWeight`), or false
   * when j posted none this round. The payload view is valid until j posts again.
   */
  read(j: number, round: number, sendsWeight: boolean, into: MessageSlot, from = j): boolean {
    if (!this.posted(j, round)) return false;
    const base = j * this.stride;
    const u = base >>> 2;
    const f = base >>> 3;
    into.from = from;
    into.bytes = this.message(j, this.u32[u + 1]!);
    into.outDegree = this.u32[u + 2]!;
    into.selfWeight = this.f64[f + 2]!;
    into.weight = sendsWeight ? this.f64[f + 3]! : Number.NaN;
    return true;
  }

  /** The first `bytes` payload bytes of sender j's outbox. */
  private message(j: number, bytes: number): Uint8Array {
    let v = this.messages[j];
    if (!v || v.length !== bytes) {
      const base = j * this.stride + OUTBOX_HEADER_BYTES;
      v = this.u8.subarray(base, base + bytes);
      this.messages[j] = v;
    }
    return v;
  }
}
