// The dataset cache trusts nothing it reads: every header field is under the CRC (a damaged file
// is rebuilt), header fields must agree with each other, and the temp-folder fallback is per user
// and read only when the folder and the file are the user's alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import {
  CACHE_HEADER_BYTES, cacheCandidates, crc32, fallbackCacheDirectory, readCache, sourceId, trustedFallbackDirectory, trustedFallbackFile, writeCache,
  type CachedImages,
} from '../src/data/cache.js';
import { mnistSource } from '../src/data/mnist.js';
import { loadPackagedBytes } from '../src/data/packaged.js';
import { deadPid } from './support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-cache-trust-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const id = sourceId('test source');
const images: CachedImages = {
  count: 6, features: 4, classes: 3, shape: [2, 2, 1],
  pixels: Uint8Array.from({ length: 24 }, (_, i) => (i * 37) % 256), labels: Uint8Array.of(0, 1, 2, 0, 1, 2),
};

/** A copy of `bytes` with the u32 at `offset` set to `value`. */
function patched(bytes: Uint8Array, offset: number, value: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  new DataView(out.buffer).setUint32(offset, value, true);
  return out;
}

test('crc32 continues from a previous value: crc(a ++ b) = crc(b, crc(a))', () => {
  const a = Uint8Array.from([1, 2, 3, 4, 5]);
  const b = Uint8Array.from([250, 7, 0, 9]);
  const ab = Uint8Array.from([...a, ...b]);
  assert.equal(crc32(b, crc32(a)), crc32(ab));
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926); // the CRC-32/IEEE check value
});

test('every header field is covered: a changed classes, shape, rank, reserved word or header size is not read', () => {
  const file = join(dir, 'fields.u8');
  assert.equal(writeCache(file, images, id), file);
  const good = new Uint8Array(readFileSync(file));
  const back = readCache(file, id)!;
  assert.deepEqual([back.count, back.features, back.classes, back.shape], [6, 4, 3, [2, 2, 1]]);
  assert.deepEqual(back.labels, images.labels);
  for (const [what, offset, value] of [['classes', 20, 200], ['shape[0]', 28, 4], ['rank', 24, 2], ['reserved', 60, 1], ['header bytes', 8, 65]] as const) {
    writeFileSync(file, patched(good, offset, value));
    assert.equal(readCache(file, id), undefined, `${what} changed outside the CRC`);
  }
  // Consistent fields with a matching CRC are still checked against each other: a label >= classes.
  const relabelled = Uint8Array.from(good);
  relabelled[CACHE_HEADER_BYTES + 24 + 2] = 7;
  writeFileSync(file, relabelled);
  assert.equal(readCache(file, id), undefined);
  writeFileSync(file, good);
  assert.ok(readCache(file, id), 'the untouched file reads');
});

test('a cache file whose classes field was changed is rebuilt with the package\'s classes (mnist)', () => {
  const cacheDir = join(dir, 'mnist');
  const first = loadPackagedBytes(mnistSource, 'test', cacheDir);
  assert.equal(first.data.classes, 10);
  const file = join(cacheDir, 'mnist-test.u8');
  const good = new Uint8Array(readFileSync(file));
  writeFileSync(file, patched(good, 20, 200));
  const again = loadPackagedBytes(mnistSource, 'test', cacheDir);
  assert.equal(again.cache.converted, true, 'the damaged file is rebuilt');
  assert.equal(again.data.classes, 10);
  assert.deepEqual(new Uint8Array(readFileSync(file)), good);
});

test('the temp-folder fallback is per user and read only when the folder and the file are the user\'s alone', () => {
  const root = join(dir, 'tmp-root');
  mkdirSync(root);
  const primary = join(dir, 'nowhere', 'mnist-train.u8');
  const folder = fallbackCacheDirectory(root);
  const uid = process.getuid!();
  assert.equal(folder, join(root, `sparsepush-cache-${uid}`));
  assert.deepEqual(cacheCandidates(primary, root), [primary], 'no fallback folder: only the configured file');

  mkdirSync(folder, { mode: 0o700 });
  chmodSync(folder, 0o700);
  const fallback = join(folder, 'mnist-train.u8');
  writeFileSync(fallback, 'x', { mode: 0o600 });
  chmodSync(fallback, 0o600);
  assert.deepEqual(cacheCandidates(primary, root), [primary, fallback]);

  chmodSync(fallback, 0o666);
  assert.equal(trustedFallbackFile(fallback), false, 'a file anyone may write');
  assert.deepEqual(cacheCandidates(primary, root), [primary]);
  chmodSync(fallback, 0o600);

  chmodSync(folder, 0o777);
  assert.equal(trustedFallbackDirectory(folder), false, 'a folder anyone may write');
  assert.deepEqual(cacheCandidates(primary, root), [primary]);
  chmodSync(folder, 0o700);

  // Files and folders of another user (as that user's uid sees ours).
  assert.equal(trustedFallbackDirectory(folder, uid + 1), false);
  assert.equal(trustedFallbackFile(fallback, uid + 1), false);

  // A symlink planted in place of the folder is not followed.
  const other = join(root, 'elsewhere');
  rmSync(folder, { recursive: true });
  mkdirSync(other, { mode: 0o700 });
  symlinkSync(other, folder);
  assert.equal(trustedFallbackDirectory(folder), false);
  assert.deepEqual(cacheCandidates(primary, root), [primary]);
});

test('writing a cache file removes the temporary files of conversions that were killed', () => {
  const folder = join(dir, 'killed');
  mkdirSync(folder);
  const dead = deadPid();
  const torn = join(folder, `.mnist-train.u8.${dead}-0-0.tmp`);
  writeFileSync(torn, 'half a file');
  const file = join(folder, 'mnist-train.u8');
  assert.equal(writeCache(file, images, id), file);
  assert.deepEqual(readdirSync(folder), ['mnist-train.u8']);
});
