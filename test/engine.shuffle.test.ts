// The engine's epoch reshuffle (shuffleInPlace) makes exactly RandomStream(key).shuffle's swaps,
// including the rare draws where Lemire's method has to consider a rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RandomStream, rngKey, rngU32 } from '../src/kernels/rng.js';
import { shuffleInPlace } from '../src/engine/worker/batches.js';

function both(len: number, key: number, off = 3): void {
  const a = Uint32Array.from({ length: len }, (_, i) => i * 7 + 1);
  const b = new Uint32Array(len + off + 2).fill(0xdead);
  b.set(a, off);
  new RandomStream(key).shuffle(a);
  shuffleInPlace(b, off, len, key);
  assert.deepEqual(b.subarray(off, off + len), a, `len ${len}, key ${key}`);
  assert.equal(b[off - 1], 0xdead);
  assert.equal(b[off + len], 0xdead);
}

test('shuffleInPlace = RandomStream.shuffle for lengths 0..400 and many keys', () => {
  for (let len = 0; len <= 400; len++) for (let s = 0; s < 6; s++) both(len, rngKey(s, len, 9, 2));
});

test('shuffleInPlace = RandomStream.shuffle when a draw falls in the rejection zone (low word < bound)', () => {
  const len = 5000;
  let found = 0;
  for (let k = 0; found < 3 && k < 50_000_000; k++) {
    const key = rngKey(7, k, 0, 2);
    // The first draw is bounded by len: its low word is below len about once in 2^32 / len keys.
    if ((Math.imul(rngU32(key, 0), len) >>> 0) < len) {
      both(len, key);
      found++;
    }
  }
  assert.equal(found, 3, 'found keys whose first draw needs the rejection test');
});
