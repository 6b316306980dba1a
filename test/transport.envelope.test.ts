// Control messages of multi-host runs: frames under a max payload put back together exactly, and
// every malformed, reordered or oversized frame refused with a TransportError (never a partial message).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COORDINATOR, encodeFrames, FRAME_HEADER_BYTES, Reassembler, type Envelope } from '../src/transport/nats/envelope.js';
import { TransportError } from '../src/errors.js';
import { assertThrowsError } from './support/assert-error.js';

function bytes(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  let s = seed;
  for (let i = 0; i < n; i++) { s = (s * 1103515245 + 12345) >>> 0; b[i] = s >>> 24; }
  return b;
}

const MAX = 2048;

test('a message of JSON and binary parts crosses in frames of at most the max payload and comes back byte for byte', () => {
  const env: Envelope = { json: { op: 'evalGlobal', id: 7, chunkFrom: 1, chunkTo: 3 }, parts: [bytes(5000, 1), new Uint8Array(0), bytes(3, 2)] };
  const frames = [...encodeFrames(env, 2, 7, MAX)];
  assert.equal(frames.length, Math.ceil((JSON.stringify({ ...env.json, parts: [5000, 0, 3] }).length + 5003) / (MAX - FRAME_HEADER_BYTES)));
  for (const f of frames) assert.ok(f.length <= MAX);
  const r = new Reassembler(1 << 20, 'test');
  let got: ReturnType<Reassembler['accept']> = null;
  frames.forEach((f, k) => {
    got = r.accept(f);
    assert.equal(got === null, k < frames.length - 1);
  });
  assert.ok(got);
  const { sender, env: back } = got as unknown as { sender: number; env: Envelope };
  assert.equal(sender, 2);
  assert.deepEqual(back.json, { ...env.json, parts: [5000, 0, 3] });
  assert.deepEqual(back.parts.map((p) => [...p]), env.parts.map((p) => [...p]));
});

test('messages of two senders interleave; each sender\'s frames stay in order', () => {
  const a = [...encodeFrames({ json: { op: 'a' }, parts: [bytes(4000, 3)] }, 0, 1, MAX)];
  const b = [...encodeFrames({ json: { op: 'b' }, parts: [bytes(4000, 4)] }, COORDINATOR, 1, MAX)];
  const r = new Reassembler(1 << 20, 'test');
  const done: string[] = [];
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    for (const f of [a[k], b[k]]) {
      if (!f) continue;
      const m = r.accept(f);
      if (m) done.push(String(m.env.json['op']));
    }
  }
  assert.deepEqual(done.sort(), ['a', 'b']);
});

test('a lost, repeated or foreign frame is refused, naming the sender and what is wrong', () => {
  const frames = [...encodeFrames({ json: { op: 'x' }, parts: [bytes(6000, 5)] }, 3, 9, MAX)];
  assert.ok(frames.length >= 3);
  const refuse = (list: Uint8Array[], pattern: RegExp): void => {
    const r = new Reassembler(1 << 20, 'test');
    assertThrowsError(() => { for (const f of list) r.accept(f); }, TransportError, pattern, String(pattern));
  };
  refuse([frames[0]!, frames[2]!], /sender 3: frame 2\/\d+ of message 9 does not continue message 9 at frame 1/);
  refuse([frames[0]!, frames[0]!], /started message 9 before finishing message 9/);
  refuse([frames[1]!], /frame 1 of message 9 without its first frame/);
  const foreign = frames[0]!.slice();
  foreign[0] = 0;
  refuse([foreign], /without the sparsepush magic/);
  refuse([frames[0]!.subarray(0, 10)], /shorter than the 32-byte frame header/);
});

test('a peer cannot make the receiver allocate more than its limit, nor lie about the parts', () => {
  const big = [...encodeFrames({ json: { op: 'x' }, parts: [bytes(5000, 6)] }, 1, 1, MAX)];
  assertThrowsError(() => new Reassembler(4096, 'test').accept(big[0]!), TransportError, /announces \d+ bytes .* outside what this receiver takes \(4096\)/, 'a message over the limit');
  // A body whose `parts` lengths do not add up to the message.
  const one = [...encodeFrames({ json: { op: 'x' }, parts: [bytes(10, 7)] }, 1, 2, MAX)][0]!;
  const json = new TextEncoder().encode(JSON.stringify({ op: 'x', parts: [11] }));
  const frame = new Uint8Array(FRAME_HEADER_BYTES + json.length + 10);
  frame.set(one.subarray(0, FRAME_HEADER_BYTES));
  frame.set(json, FRAME_HEADER_BYTES);
  const dv = new DataView(frame.buffer);
  dv.setUint32(20, json.length, true);
  dv.setUint32(24, json.length + 10, true);
  assertThrowsError(() => new Reassembler(1 << 20, 'test').accept(frame), TransportError, /parts of 11 bytes/, 'parts longer than the body');
});
