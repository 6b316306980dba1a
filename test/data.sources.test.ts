import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { holdOut, isShared, loadDataset, loadTrainTest, parseDataSpec, standardize } from '../src/data/index.js';
import { CIFAR_RECORD_BYTES } from '../src/data/cifar10.js';
import { DataError, SpecError } from '../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'sparsepush-data-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const opts = { split: 'train' as const, seed: 1 };

function file(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** Writes a .npy (v1 unless version 2) with the given header fields and raw data bytes. */
function npy(name: string, descr: string, shape: number[], data: Uint8Array, opt: { fortran?: boolean; version?: 1 | 2 } = {}): string {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descr}', 'fortran_order': ${opt.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const version = opt.version ?? 1;
  const pre = version === 1 ? 10 : 12;
  while ((pre + header.length + 1) % 64 !== 0) header += ' ';
  header += '\n';
  const out = new Uint8Array(pre + header.length + data.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const view = new DataView(out.buffer);
  if (version === 1) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(data, pre + header.length);
  return file(name, out);
}
const bytes = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
const dataError = (re: RegExp) => (e: unknown) => e instanceof DataError && re.test(e.message);

test('spec parsing', () => {
  assert.deepEqual(parseDataSpec('fashion-mnist:test'), { kind: 'fashion-mnist', split: 'test' });
  assert.deepEqual(parseDataSpec('npy:a.npy,b.npy'), { kind: 'npy', xPath: 'a.npy', yPath: 'b.npy' });
  assert.deepEqual(parseDataSpec('cifar10:/data/c:test'), { kind: 'cifar10', dir: '/data/c', split: 'test' });
  assert.deepEqual(parseDataSpec('synthetic:100,5,3'), { kind: 'synthetic', count: 100, dims: 5, classes: 3, generator: 'blobs', noise: 1 });
  assert.deepEqual(parseDataSpec('synthetic:100,5,3,linear,0.5'), { kind: 'synthetic', count: 100, dims: 5, classes: 3, generator: 'linear', noise: 0.5 });
  for (const bad of ['', 'imagenet', 'mnist:val', 'csv:', 'npy:a.npy', 'npy:a.npy,', 'cifar10:', 'synthetic:10,2', 'synthetic:0,2,2', 'synthetic:10,2,1', 'synthetic:10,2,300', 'synthetic:10,2,2,trees', 'synthetic:10,2,2,blobs,-1', 'synthetic:1.5,2,2']) {
    assert.throws(() => parseDataSpec(bad), SpecError, bad);
  }
});

test('csv: header detection, values, classes from max label, shared memory', async () => {
  const path = file('ok.csv', 'a,b,label\n0.5,1,2\r\n-1e-3,.25,0\n\n3,4,1\n');
  const d = await loadDataset(`csv:${path}`, opts);
  assert.equal(d.count, 3);
  assert.equal(d.features, 2);
  assert.deepEqual(d.shape, [2]);
  assert.equal(d.classes, 3);
  assert.deepEqual([...d.x], [0.5, 1, Math.fround(-1e-3), 0.25, 3, 4]);
  assert.deepEqual([...d.y], [2, 0, 1]);
  assert.ok(isShared(d.x) && isShared(d.y));
  const noHeader = await loadDataset(`csv:${file('nohead.csv', '1,2,0\n3,4,1\n')}`, { ...opts, classes: 5 });
  assert.equal(noHeader.count, 2);
  assert.equal(noHeader.classes, 5);
  const limited = await loadDataset(`csv:${path}`, { ...opts, limit: 2 });
  assert.equal(limited.count, 2);
});

test('csv errors name the file and the 1-based line', async () => {
  const cases: [string, string, RegExp][] = [
    ['ragged.csv', 'f1,f2,y\n1,2,0\n3,4,5,1\n', /ragged\.csv: line 3: 4 columns, expected 3/],
    ['nonnum.csv', '1,2,0\n1,abc,1\n', /nonnum\.csv: line 2, column 2: 'abc' is not a number/],
    ['nan.csv', '1,2,0\nNaN,1,1\n', /line 2, column 1: 'NaN' is not a number/],
    ['emptycell.csv', '1,2,0\n1,,1\n', /line 2, column 2: '' is not a number/],
    ['neglabel.csv', '1,2,0\n1,2,-1\n', /neglabel\.csv: line 2, column 3: label '-1' is not an integer/],
    ['fraclabel.csv', '1,2,0\n\n1,2,1.5\n', /line 3, column 3: label '1.5' is not an integer/],
    ['biglabel.csv', '1,2,300\n', /line 1, column 3: label '300'/],
    ['empty.csv', '', /empty\.csv: empty file/],
    ['blank.csv', '\n\n  \n', /empty file/],
    ['headeronly.csv', 'a,b,c\n', /no data rows after the header/],
    ['onecol.csv', '1\n2\n', /line 1: need at least one feature column/],
  ];
  for (const [name, content, re] of cases) {
    const path = file(name, content);
    await assert.rejects(loadDataset(`csv:${path}`, opts), dataError(re), name);
  }
  await assert.rejects(loadDataset(`csv:${file('cls.csv', '1,0\n2,3\n')}`, { ...opts, classes: 3 }), dataError(/line 2, column 2: label '3' is not an integer in 0\.\.2/));
  await assert.rejects(loadDataset(`csv:${join(dir, 'missing.csv')}`, opts), dataError(/missing\.csv: cannot read CSV file: ENOENT/));
});

test('npy: float32 / float64 features, int64 / uint8 labels, v2 header, image shapes', async () => {
  const x32 = Float32Array.from([1, 2, 3, 4, 5, 6]);
  const y64 = BigInt64Array.from([0n, 2n, 1n]);
  const d = await loadDataset(`npy:${npy('x32.npy', '<f4', [3, 2], bytes(x32))},${npy('y64.npy', '<i8', [3], bytes(y64))}`, opts);
  assert.deepEqual([d.count, d.features, d.classes], [3, 2, 3]);
  assert.deepEqual([...d.x], [1, 2, 3, 4, 5, 6]);
  assert.deepEqual([...d.y], [0, 2, 1]);
  assert.ok(isShared(d.x));
  const x64 = Float64Array.from({ length: 2 * 2 * 3 }, (_, i) => i / 10);
  const y8 = Uint8Array.from([1, 0]);
  const e = await loadDataset(`npy:${npy('x64.npy', '<f8', [2, 2, 3], bytes(x64), { version: 2 })},${npy('y8.npy', '|u1', [2, 1], y8)}`, opts);
  assert.deepEqual(e.shape, [2, 3]);
  assert.equal(e.features, 6);
  assert.deepEqual([...e.x], [...x64].map(Math.fround));
  assert.deepEqual([...e.y], [1, 0]);
  // big-endian float32 and int16 labels
  const be = new Uint8Array(8);
  new DataView(be.buffer).setFloat32(0, 1.5, false);
  new DataView(be.buffer).setFloat32(4, -2, false);
  const yb = new Uint8Array(4);
  new DataView(yb.buffer).setInt16(0, 1, false);
  const f = await loadDataset(`npy:${npy('xbe.npy', '>f4', [2], be)},${npy('ybe.npy', '>i2', [2], yb)}`, opts);
  assert.deepEqual([...f.x], [1.5, -2]);
  assert.deepEqual([...f.y], [1, 0]);
});

test('npy errors name the file', async () => {
  const x = npy('gx.npy', '<f4', [2, 2], bytes(Float32Array.from([1, 2, 3, 4])));
  const y = npy('gy.npy', '<i4', [2], bytes(Int32Array.from([0, 1])));
  const cases: [string, RegExp][] = [
    [`${npy('xi.npy', '<i4', [2, 2], bytes(Int32Array.from([1, 2, 3, 4])))},${y}`, /xi\.npy: features must be float32 or float64, got dtype '<i4'/],
    [`${x},${npy('yf.npy', '<f4', [2], bytes(Float32Array.from([0, 1])))}`, /yf\.npy: labels must be an integer dtype/],
    [`${x},${npy('y3.npy', '<i4', [3], bytes(Int32Array.from([0, 1, 1])))}`, /y3\.npy: labels have 3 rows but features .*gx\.npy have 2/],
    [`${x},${npy('y2d.npy', '<i4', [1, 2], bytes(Int32Array.from([0, 1])))}`, /y2d\.npy: labels must have shape \[N\] or \[N, 1\]/],
    [`${npy('xf.npy', '<f4', [2, 2], bytes(Float32Array.from([1, 2, 3, 4])), { fortran: true })},${y}`, /xf\.npy: fortran_order arrays are not supported/],
    [`${npy('xt.npy', '<f4', [2, 2], bytes(Float32Array.from([1, 2, 3])))},${y}`, /xt\.npy: truncated data: .* needs 16 bytes, file has 12/],
    [`${x},${npy('yneg.npy', '<i4', [2], bytes(Int32Array.from([0, -1])))}`, /yneg\.npy: row 1: label -1 is not in 0\.\.255/],
    // An int64 label too large for a number is shown as stored, not as "out of range".
    [`${x},${npy('ybig.npy', '<i8', [2], bytes(BigInt64Array.from([0n, 5000000000n])))}`, /ybig\.npy: row 1: label 5000000000 is not in 0\.\.255$/],
    [`${npy('xnan.npy', '<f4', [2, 2], bytes(Float32Array.from([1, NaN, 3, 4])))},${y}`, /xnan\.npy: row 0, feature 1: NaN/],
    [`${file('notnpy.npy', 'hello world')},${y}`, /notnpy\.npy: not a \.npy file/],
    [`${x},${join(dir, 'nofile.npy')}`, /nofile\.npy: cannot read \.npy file: ENOENT/],
  ];
  for (const [spec, re] of cases) await assert.rejects(loadDataset(`npy:${spec}`, opts), dataError(re), spec);
  // header length 200, file ends after 1 header byte
  const truncHeader = file('th.npy', new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, 200, 0, 123]));
  await assert.rejects(loadDataset(`npy:${truncHeader},${y}`, opts), dataError(/th\.npy: truncated \.npy header/));
});

function cifarBatch(records: number, labelOf: (r: number) => number): Uint8Array {
  const out = new Uint8Array(records * CIFAR_RECORD_BYTES);
  for (let r = 0; r < records; r++) {
    const base = r * CIFAR_RECORD_BYTES;
    out[base] = labelOf(r);
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) out[base + 1 + ch * 1024 + p] = (r * 7 + ch * 50 + p) % 256;
  }
  return out;
}

test('cifar10: fake batch files, CHW -> HWC in [0, 1], train = 5 batches, test batch', async () => {
  const cdir = join(dir, 'cifar');
  mkdirSync(join(cdir, 'cifar-10-batches-bin'), { recursive: true });
  const sub = join(cdir, 'cifar-10-batches-bin');
  for (let b = 1; b <= 5; b++) writeFileSync(join(sub, `data_batch_${b}.bin`), cifarBatch(2, (r) => (b + r) % 10));
  writeFileSync(join(sub, 'test_batch.bin'), cifarBatch(3, (r) => r));
  const train = await loadDataset(`cifar10:${cdir}`, opts);
  assert.deepEqual([train.count, train.features, train.classes], [10, 3072, 10]);
  assert.deepEqual(train.shape, [32, 32, 3]);
  assert.deepEqual([...train.y], [1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
  // record 1 of batch 1: pixel p, channel ch = (7 + 50 ch + p) % 256
  for (const [p, ch] of [[0, 0], [5, 1], [1023, 2]] as const) {
    assert.equal(train.x[1 * 3072 + p * 3 + ch], Math.fround(((7 + ch * 50 + p) % 256) / 255));
  }
  const test1 = await loadDataset(`cifar10:${sub}:test`, opts);
  assert.deepEqual([...test1.y], [0, 1, 2]);
  const test2 = await loadDataset(`cifar10:${sub}`, { ...opts, split: 'test' });
  assert.deepEqual([...test2.x], [...test1.x]);
  // truncated and missing files
  writeFileSync(join(sub, 'data_batch_3.bin'), cifarBatch(2, () => 0).subarray(0, CIFAR_RECORD_BYTES + 100));
  await assert.rejects(loadDataset(`cifar10:${cdir}`, opts), dataError(/data_batch_3\.bin: truncated or not a CIFAR-10 batch/));
  rmSync(join(sub, 'data_batch_3.bin'));
  await assert.rejects(loadDataset(`cifar10:${cdir}`, opts), dataError(/data_batch_3\.bin: missing CIFAR-10 batch file/));
  writeFileSync(join(sub, 'test_batch.bin'), cifarBatch(1, () => 12));
  await assert.rejects(loadDataset(`cifar10:${sub}:test`, opts), dataError(/test_batch\.bin: record 0: label byte 12/));
});

test('synthetic: deterministic per seed, differs across seeds, test split is fresh data', async () => {
  for (const spec of ['synthetic:500,8,4', 'synthetic:500,8,4,linear']) {
    const a = await loadDataset(spec, { split: 'train', seed: 3 });
    const b = await loadDataset(spec, { split: 'train', seed: 3 });
    const c = await loadDataset(spec, { split: 'train', seed: 4 });
    const t = await loadDataset(spec, { split: 'test', seed: 3 });
    assert.deepEqual([a.count, a.features, a.classes], [500, 8, 4]);
    assert.deepEqual(bytes(a.x), bytes(b.x));
    assert.deepEqual(a.y, b.y);
    assert.notDeepEqual(bytes(a.x), bytes(c.x));
    assert.notDeepEqual(bytes(a.x), bytes(t.x));
    assert.ok([...a.y].every((v) => v < 4));
    const counts = [0, 0, 0, 0];
    for (const v of a.y) counts[v]! += 1;
    assert.ok(counts.every((n) => n > 50), `${spec}: class counts ${counts}`);
    assert.ok(isShared(a.x));
  }
  // blobs with little noise: nearest class mean (estimated on train) classifies the test split
  const spec = 'synthetic:400,10,5,blobs,0.3';
  const tr = await loadDataset(spec, { split: 'train', seed: 9 });
  const te = await loadDataset(spec, { split: 'test', seed: 9 });
  const means = Array.from({ length: 5 }, () => new Float64Array(10));
  const n = new Array(5).fill(0);
  for (let i = 0; i < tr.count; i++) {
    n[tr.y[i]!]++;
    for (let j = 0; j < 10; j++) means[tr.y[i]!]![j]! += tr.x[i * 10 + j]!;
  }
  means.forEach((m, k) => m.forEach((v, j) => (m[j] = v / n[k])));
  let correct = 0;
  for (let i = 0; i < te.count; i++) {
    let best = -1;
    let bestD = Infinity;
    means.forEach((m, k) => {
      let d = 0;
      for (let j = 0; j < 10; j++) d += (te.x[i * 10 + j]! - m[j]!) ** 2;
      if (d < bestD) { bestD = d; best = k; }
    });
    if (best === te.y[i]) correct++;
  }
  assert.ok(correct / te.count > 0.95, `accuracy ${correct / te.count}`);
});

test('loadTrainTest: hold-out for csv (stratified, disjoint, deterministic), explicit test sets', async () => {
  const rows: string[] = [];
  for (let i = 0; i < 100; i++) rows.push(`${i},${i * 2},${i % 4}`);
  const path = file('hold.csv', rows.join('\n'));
  const a = await loadTrainTest(`csv:${path}`, null, { seed: 1 });
  const b = await loadTrainTest(`csv:${path}`, null, { seed: 2 });
  assert.ok(a.heldOut);
  assert.equal(a.test.count, 20);
  assert.equal(a.train.count, 80);
  assert.deepEqual(bytes(a.test.x), bytes(b.test.x), 'the hold-out does not depend on the run seed');
  const ids = (d: { x: Float32Array; count: number }) => Array.from({ length: d.count }, (_, i) => d.x[i * 2]!);
  const all = new Set([...ids(a.train), ...ids(a.test)]);
  assert.equal(all.size, 100);
  const testCounts = [0, 0, 0, 0];
  for (const v of a.test.y) testCounts[v]! += 1;
  assert.deepEqual(testCounts, [5, 5, 5, 5]);
  const limited = await loadTrainTest(`csv:${path}`, null, { seed: 1, limit: 10 });
  assert.equal(limited.train.count, 10);
  assert.equal(limited.test.count, 20);
  // explicit test csv: classes follow the training set; a label beyond them is an error
  const testPath = file('hold-test.csv', '1,2,0\n3,4,1\n');
  const c = await loadTrainTest(`csv:${path}`, `csv:${testPath}`, { seed: 1 });
  assert.equal(c.test.classes, 4);
  assert.equal(c.heldOut, false);
  await assert.rejects(loadTrainTest(`csv:${path}`, `csv:${file('bad-test.csv', '1,2,4\n')}`, { seed: 1 }), dataError(/bad-test\.csv: line 1, column 3: label '4' is not an integer in 0\.\.3/));
  await assert.rejects(loadTrainTest(`csv:${path}`, `csv:${file('wide-test.csv', '1,2,3,0\n')}`, { seed: 1 }), dataError(/3 features per sample/));
  // synthetic uses its own test split
  const s = await loadTrainTest('synthetic:50,3,2', null, { seed: 1 });
  assert.equal(s.test.count, 50);
  assert.equal(s.heldOut, false);
  assert.throws(() => holdOut(s.train, 1.5), DataError);
});

test('standardize: train statistics applied to both sets', async () => {
  const { train, test } = await loadTrainTest('synthetic:300,4,3', 'synthetic:300,4,3', { seed: 5, normalize: 'standard' });
  for (let j = 0; j < 4; j++) {
    let m = 0;
    let s = 0;
    for (let i = 0; i < train.count; i++) m += train.x[i * 4 + j]!;
    m /= train.count;
    for (let i = 0; i < train.count; i++) s += (train.x[i * 4 + j]! - m) ** 2;
    assert.ok(Math.abs(m) < 1e-5 && Math.abs(Math.sqrt(s / train.count) - 1) < 1e-4);
  }
  assert.equal(test.count, 300);
  const [only] = standardize(train);
  assert.equal(only!.count, 300);
});
