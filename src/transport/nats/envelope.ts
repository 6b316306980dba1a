/**
 * Control messages between the coordinator and the hosts: a JSON body and binary parts (model
 * rows, counters, checkpoint slices), cut into frames under the server's max payload and put back
 * together by the receiver. Core NATS delivers one publisher's messages in order (or not at all),
 * so frames of one message arrive in order; a gap, a repeat or a frame that does not fit what the
 * first frame announced is a TransportError, never a partial message.
 *
 * Frame (all integers little-endian):
 *   u32 magic 'SPCM'   u16 version   u16 sender (host index, COORDINATOR for the coordinator)
 *   u32 message id     u32 frame index   u32 frame count   u32 JSON bytes (in the whole message)
 *   u32 total bytes, low word   u32 total bytes, high word   then this frame's share of the body
 * Body: the JSON text (UTF-8) then the parts, back to back; the JSON's `parts` lists their lengths.
 */
import { TransportError } from '../../errors.js';

const MAGIC = 0x4d435053;
const VERSION = 1;
export const FRAME_HEADER_BYTES = 32;
/** Sender id of the coordinator. */
export const COORDINATOR = 0xffff;

export interface Envelope {
  /** The JSON body (an object). */
  readonly json: Record<string, unknown>;
  /** Binary parts, in order. */
  readonly parts: readonly Uint8Array[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The frames of one message from `sender` (each at most maxPayload bytes), made one at a time. */
export function* encodeFrames(env: Envelope, sender: number, id: number, maxPayload: number): Generator<Uint8Array> {
  const json = encoder.encode(JSON.stringify({ ...env.json, parts: env.parts.map((p) => p.length) }));
  const segments: Uint8Array[] = [json, ...env.parts];
  const total = segments.reduce((s, p) => s + p.length, 0);
  const room = maxPayload - FRAME_HEADER_BYTES;
  if (room < 1024) throw new TransportError(`the server's max_payload (${maxPayload} bytes) is too small for sparsepush frames (at least ${FRAME_HEADER_BYTES + 1024})`);
  const count = Math.max(1, Math.ceil(total / room));
  let seg = 0;
  let segAt = 0;
  for (let f = 0; f < count; f++) {
    const size = Math.min(room, total - f * room);
    const frame = new Uint8Array(FRAME_HEADER_BYTES + size);
    const dv = new DataView(frame.buffer);
    dv.setUint32(0, MAGIC, true);
    dv.setUint16(4, VERSION, true);
    dv.setUint16(6, sender, true);
    dv.setUint32(8, id >>> 0, true);
    dv.setUint32(12, f, true);
    dv.setUint32(16, count, true);
    dv.setUint32(20, json.length, true);
    dv.setUint32(24, total % 2 ** 32, true);
    dv.setUint32(28, Math.floor(total / 2 ** 32), true);
    let at = FRAME_HEADER_BYTES;
    while (at < frame.length) {
      const s = segments[seg]!;
      const take = Math.min(s.length - segAt, frame.length - at);
      frame.set(s.subarray(segAt, segAt + take), at);
      at += take;
      segAt += take;
      if (segAt === s.length) { seg++; segAt = 0; }
    }
    yield frame;
  }
}

interface Pending { id: number; next: number; count: number; jsonBytes: number; body: Uint8Array; filled: number }

/** Puts messages back together from frames, per sender. */
export class Reassembler {
  private readonly pending = new Map<number, Pending>();

  /**
   * @param maxBytes largest message body accepted (a peer cannot make this process allocate more)
   * @param label    who receives, for error messages
   */
  constructor(private readonly maxBytes: number, private readonly label: string) {}

  /** The whole message once `frame` completes it, else null; throws TransportError on a malformed or out-of-order frame. */
  accept(frame: Uint8Array): { sender: number; env: Envelope } | null {
    const fail = (msg: string): never => { throw new TransportError(`${this.label}: ${msg}`); };
    if (frame.length < FRAME_HEADER_BYTES) fail(`a ${frame.length}-byte frame, shorter than the ${FRAME_HEADER_BYTES}-byte frame header`);
    const dv = new DataView(frame.buffer, frame.byteOffset, FRAME_HEADER_BYTES);
    if (dv.getUint32(0, true) !== MAGIC) fail('a frame without the sparsepush magic (another program on these subjects?)');
    if (dv.getUint16(4, true) !== VERSION) fail(`frame version ${dv.getUint16(4, true)}, this build speaks ${VERSION}`);
    const sender = dv.getUint16(6, true);
    const id = dv.getUint32(8, true);
    const index = dv.getUint32(12, true);
    const count = dv.getUint32(16, true);
    const jsonBytes = dv.getUint32(20, true);
    const total = dv.getUint32(24, true) + dv.getUint32(28, true) * 2 ** 32;
    const data = frame.subarray(FRAME_HEADER_BYTES);
    let p = this.pending.get(sender);
    if (index === 0) {
      if (p) fail(`sender ${sender} started message ${id} before finishing message ${p.id} (frames lost)`);
      if (count < 1 || total > this.maxBytes || jsonBytes > total || jsonBytes < 2) fail(`sender ${sender}: message ${id} announces ${total} bytes in ${count} frames (JSON ${jsonBytes}), outside what this receiver takes (${this.maxBytes})`);
      p = { id, next: 0, count, jsonBytes, body: new Uint8Array(total), filled: 0 };
      this.pending.set(sender, p);
    } else if (!p) {
      return fail(`sender ${sender}: frame ${index} of message ${id} without its first frame (frames lost)`);
    }
    if (p.id !== id || p.next !== index || p.count !== count || p.jsonBytes !== jsonBytes || p.body.length !== total) {
      this.pending.delete(sender);
      fail(`sender ${sender}: frame ${index}/${count} of message ${id} does not continue message ${p.id} at frame ${p.next}/${p.count} (frames lost or reordered)`);
    }
    if (p.filled + data.length > total || (index + 1 < count && data.length === 0)) {
      this.pending.delete(sender);
      fail(`sender ${sender}: message ${id} frames carry more than the announced ${total} bytes`);
    }
    p.body.set(data, p.filled);
    p.filled += data.length;
    p.next++;
    if (p.next < count) return null;
    this.pending.delete(sender);
    if (p.filled !== total) fail(`sender ${sender}: message ${id} ended after ${p.filled} of ${total} bytes`);
    return { sender, env: decodeBody(p.body, p.jsonBytes, (m) => fail(`sender ${sender}, message ${id}: ${m}`)) };
  }

  /** Forgets half-received messages (a new run). */
  reset(): void { this.pending.clear(); }
}

function decodeBody(body: Uint8Array, jsonBytes: number, fail: (m: string) => never): Envelope {
  let json: unknown;
  try { json = JSON.parse(decoder.decode(body.subarray(0, jsonBytes))); } catch (err) { return fail(`unreadable JSON (${(err as Error).message})`); }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('the JSON body is not an object');
  const obj = json as Record<string, unknown>;
  const lengths = obj['parts'];
  if (!Array.isArray(lengths) || !lengths.every((l) => Number.isInteger(l) && (l as number) >= 0)) return fail('`parts` is not a list of byte counts');
  const sum = (lengths as number[]).reduce((s, l) => s + l, 0);
  if (jsonBytes + sum !== body.length) fail(`parts of ${sum} bytes after ${jsonBytes} JSON bytes, in a ${body.length}-byte message`);
  const parts: Uint8Array[] = [];
  let at = jsonBytes;
  for (const l of lengths as number[]) { parts.push(body.subarray(at, at + l)); at += l; }
  return { json: obj, parts };
}
