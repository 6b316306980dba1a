// Packaged datasets: mnist (10k digits, our 8k/2k split) and fashion-mnist (60k/10k), binary cache.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isShared, loadDataset, loadTrainTest } from '../src/data/index.js';
import { cacheDirectory, CACHE_HEADER_BYTES } from '../src/data/cache.js';
import { mnistSource } from '../src/data/mnist.js';
import { fashionMnistSource } from '../src/data/fashion-mnist.js';
import { loadPackagedBytes } from '../src/data/packaged.js';

const require = createRequire(import.meta.url);
const pkgDir = (name: string) => dirname(require.resolve(`${name}/package.json`));
const sha = (a: ArrayBufferView) => createHash('sha256').update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)).digest('hex');
const classCounts = (y: Uint8Array, classes = 10) => {
  const c = new Array<number>(classes).fill(0);
  for (const v of y) c[v]! += 1;
  return c;
};

const tmpCache = mkdtempSync(join(tmpdir(), 'sparsepush-cache-'));
test.after(() => rmSync(tmpCache, { recursive: true, force: true }));

test('mnist: deterministic stratified 8000/2000 split, [28,28,1] in [0,1], shared memory', async () => {
  const train = await loadDataset('mnist', { split: 'train', seed: 1, cacheDir: tmpCache });
  const testSet = await loadDataset('mnist:test', { split: 'train', seed: 1, cacheDir: tmpCache });
  assert.deepEqual([train.count, train.features, train.classes], [8000, 784, 10]);
  assert.deepEqual(train.shape, [28, 28, 1]);
  assert.equal(testSet.count, 2000);
  const perDigit = Array.from({ length: 10 }, (_, d) => (JSON.parse(readFileSync(join(pkgDir('mnist'), `src/digits/${d}.json`), 'utf8')).data as number[]).length / 784);
  const trainCounts = classCounts(train.y);
  const testCounts = classCounts(testSet.y);
  perDigit.forEach((n, d) => {
    assert.equal(trainCounts[d], Math.round(0.8 * n), `digit ${d}`);
    assert.equal(trainCounts[d]! + testCounts[d]!, n);
  });
  for (let i = 0; i < train.x.length; i += 97) {
    const v = train.x[i]!;
    assert.ok(v >= 0 && v <= 1 && Math.abs(v * 255 - Math.round(v * 255)) < 1e-4);
  }
  assert.ok(isShared(train.x) && isShared(train.y));
  // canonical order mixes classes and does not depend on the seed
  assert.ok(new Set(train.y.subarray(0, 50)).size >= 8);
  const again = await loadDataset('mnist', { split: 'train', seed: 99, cacheDir: tmpCache, limit: 100 });
  assert.equal(again.count, 100);
  assert.deepEqual(again.y, train.y.subarray(0, 100));
  assert.deepEqual(again.x, train.x.subarray(0, 100 * 784));
});

test('mnist cache: files written once, reused, bytes match the package, damage is rebuilt', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-cache-'));
  try {
    const first = loadPackagedBytes(mnistSource, 'train', dir);
    assert.equal(first.cache.converted, true);
    assert.ok(existsSync(join(dir, 'mnist-train.u8')) && existsSync(join(dir, 'mnist-test.u8')));
    assert.deepEqual(readdirSync(dir).sort(), ['mnist-test.u8', 'mnist-train.u8'], 'no temp files left');
    const second = loadPackagedBytes(mnistSource, 'train', dir);
    assert.equal(second.cache.converted, false);
    assert.equal(sha(second.data.pixels), sha(first.data.pixels));
    assert.deepEqual(second.data.labels, first.data.labels);
    // class-major cache: row 0 is the package's first digit 0
    const raw = JSON.parse(readFileSync(join(pkgDir('mnist'), 'src/digits/0.json'), 'utf8')).data as number[];
    for (let j = 0; j < 784; j++) assert.ok(Math.abs(second.data.pixels[j]! / 255 - raw[j]!) <= 0.0006);
    // a flipped payload byte fails the CRC: rebuilt, same content
    const file = join(dir, 'mnist-test.u8');
    const bytes = readFileSync(file);
    const good = sha(bytes);
    bytes[CACHE_HEADER_BYTES + 1000] ^= 0xff;
    writeFileSync(file, bytes);
    const rebuilt = loadPackagedBytes(mnistSource, 'test', dir);
    assert.equal(rebuilt.cache.converted, true);
    assert.equal(sha(readFileSync(file)), good);
    // a truncated file too
    writeFileSync(file, bytes.subarray(0, 5000));
    assert.equal(loadPackagedBytes(mnistSource, 'test', dir).cache.converted, true);
    assert.equal(sha(readFileSync(file)), good);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mnist cache: two processes converting at once both succeed and leave one valid file each', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-cache-'));
  try {
    const script = join(dir, 'convert.mjs');
    const mod = (f: string) => pathToFileURL(resolve('src/data', f)).href;
    writeFileSync(script, [
      `const { loadPackagedBytes } = await import(${JSON.stringify(mod('packaged.ts'))});`,
      `const { mnistSource } = await import(${JSON.stringify(mod('mnist.ts'))});`,
      `const r = loadPackagedBytes(mnistSource, 'train', ${JSON.stringify(dir)});`,
      `console.log(r.data.count);`,
    ].join('\n'));
    const run = () => new Promise<string>((ok, fail) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? ok(out.trim()) : fail(new Error(`exit ${code}`))));
    });
    assert.deepEqual(await Promise.all([run(), run()]), ['8000', '8000']);
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.u8')).sort(), ['mnist-test.u8', 'mnist-train.u8']);
    assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0);
    assert.equal(loadPackagedBytes(mnistSource, 'train', dir).cache.converted, false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fashion-mnist: 60000/10000 x 784, balanced labels, cache in the package folder reused with identical data', async () => {
  const train = await loadDataset('fashion-mnist', { split: 'train', seed: 1 });
  assert.deepEqual([train.count, train.features, train.classes], [60000, 784, 10]);
  assert.deepEqual(train.shape, [28, 28, 1]);
  assert.deepEqual(classCounts(train.y), new Array(10).fill(6000));
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < train.x.length; i += 13) {
    min = Math.min(min, train.x[i]!);
    max = Math.max(max, train.x[i]!);
  }
  assert.ok(min === 0 && max === 1, `range ${min}..${max}`);
  assert.ok(isShared(train.x) && isShared(train.y));
  const hashX = sha(train.x);
  const hashY = sha(train.y);
  const cacheFile = join(cacheDirectory(), 'fashion-mnist-train.u8');
  assert.ok(existsSync(cacheFile), `${cacheFile} exists`);
  assert.ok(existsSync(join(cacheDirectory(), 'fashion-mnist-test.u8')));

  const testSet = await loadDataset('fashion-mnist:test', { split: 'train', seed: 1 });
  assert.deepEqual([testSet.count, testSet.features], [10000, 784]);
  assert.deepEqual(classCounts(testSet.y), new Array(10).fill(1000));

  const again = await loadDataset('fashion-mnist', { split: 'train', seed: 2 });
  assert.equal(sha(again.x), hashX);
  assert.equal(sha(again.y), hashY);
  const cached = loadPackagedBytes(fashionMnistSource, 'test', undefined);
  assert.equal(cached.cache.converted, false);
  // class-major cache vs the package JSON: test = first 1000 of each class, train = the rest
  const raw = JSON.parse(readFileSync(join(pkgDir('fashion-mnist'), 'src/clothes/3.json'), 'utf8')).data as number[][];
  assert.deepEqual([...cached.data.pixels.subarray(3000 * 784, 3001 * 784)], raw[0]);
  const cachedTrain = loadPackagedBytes(fashionMnistSource, 'train', undefined);
  assert.deepEqual([...cachedTrain.data.pixels.subarray(18000 * 784, 18001 * 784)], raw[1000]);
  assert.deepEqual([...cachedTrain.data.pixels.subarray(23999 * 784, 24000 * 784)], raw[6999]);
});

test('fashion-mnist through loadTrainTest: own test split, limit', async () => {
  const { train, test: t, heldOut } = await loadTrainTest('fashion-mnist', null, { seed: 1, limit: 1000 });
  assert.equal(train.count, 1000);
  assert.equal(t.count, 10000);
  assert.equal(heldOut, false);
  assert.ok(new Set(train.y).size === 10);
});
