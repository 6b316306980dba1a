// The page's live charts without a browser (web/src/chart-model.ts): nice axis scales, and series
// that stay bounded however many points arrive (every stride-th point kept, the latest always
// drawn, the extent of all of them), growing only by appending between two thinnings, so the
// page can extend a path instead of redrawing it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_KEPT_POINTS, niceScale, pathCommands, SeriesPoints, toAxis } from '../web/src/chart-model.js';

test('nice scales: 5 to 10 round steps on a linear axis, whole decades on a log axis', () => {
  // span 0.74 / 5 = 0.148: steps of 0.1; 37 / 5 = 7.4: steps of 10.
  assert.deepEqual(niceScale(0.13, 0.87, false), { lo: 0.1, hi: 0.9, log: false, ticks: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9] });
  assert.deepEqual(niceScale(0, 37, false), { lo: 0, hi: 40, log: false, ticks: [0, 10, 20, 30, 40] });
  assert.deepEqual(niceScale(-3.2, 1.5, true), { lo: -4, hi: 2, log: true, ticks: [1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100] });
  assert.deepEqual(niceScale(-8, 8, true).ticks, [1e-8, 1e-5, 1e-2, 10, 1e4, 1e7], 'at most 6 ticks: every 3rd decade of 16');
  // One value: a domain around it (4.5 to 5.5, steps of 0.2); none (min > max): the unit domain.
  assert.deepEqual(niceScale(5, 5, false).ticks, [4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
  assert.deepEqual(niceScale(2, 2, true), { lo: 1, hi: 3, log: true, ticks: [10, 100, 1000] });
  assert.deepEqual(niceScale(Infinity, -Infinity, false), { lo: 0, hi: 1, log: false, ticks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  assert.deepEqual(niceScale(Infinity, -Infinity, true), { lo: 0, hi: 1, log: true, ticks: [1, 10] });
});

test('axis units: log10 on a log axis; values that cannot be drawn are NaN', () => {
  assert.equal(toAxis(1000, true), 3);
  assert.equal(toAxis(0.25, false), 0.25);
  for (const v of [0, -1, NaN, Infinity]) assert.ok(Number.isNaN(toAxis(v, true)), `${v} on a log axis`);
  for (const v of [NaN, -Infinity]) assert.ok(Number.isNaN(toAxis(v, false)), `${v} on a linear axis`);
  assert.equal(toAxis(-1, false), -1);
});

/** What a series must keep after `count` drawable points: every stride-th, stride the least power of two leaving at most MAX_KEPT_POINTS. */
function expectedStride(count: number): number {
  let stride = 1;
  while (Math.ceil(count / stride) > MAX_KEPT_POINTS) stride *= 2;
  return stride;
}

test('a series keeps at most MAX_KEPT_POINTS points, every stride-th one, the extent of all and the latest', () => {
  const s = new SeriesPoints();
  const y = (i: number): number => Math.sin(i / 37) + (i === 4321 ? 5 : 0);
  const total = 20_000;
  for (let i = 0; i < total; i++) {
    // Every 7th point cannot be drawn (NaN, e.g. a log axis's zero): it is counted as seen, not drawn.
    s.add(i, i % 7 === 3 ? NaN : y(i));
    if (i % 997 !== 0 && i !== total - 1) continue;
    const drawable = Array.from({ length: i + 1 }, (_, k) => k).filter((k) => k % 7 !== 3);
    const stride = expectedStride(drawable.length);
    assert.equal(s.seen, i + 1);
    assert.equal(s.count, drawable.length);
    assert.equal(s.stride, stride, `stride after ${drawable.length} points`);
    const kept = drawable.filter((_, n) => n % stride === 0).flatMap((k) => [k, y(k)]);
    assert.deepEqual(s.kept, kept);
    assert.ok(s.kept.length / 2 <= MAX_KEPT_POINTS);
    const last = drawable[drawable.length - 1]!;
    assert.deepEqual(s.drawn().slice(-2), [last, y(last)], 'the latest point is drawn last');
    assert.equal(s.drawn().length, kept.length + (s.lastIsExtra ? 2 : 0));
    assert.equal(s.lastIsExtra, (drawable.length - 1) % stride !== 0);
    assert.deepEqual([s.minX, s.maxX], [0, last]);
    assert.equal(s.maxY, Math.max(...drawable.map(y)), 'the extent covers points that were not kept (the spike at 4321)');
    assert.equal(s.minY, Math.min(...drawable.map(y)));
  }
  assert.ok(s.stride >= 16, `the series was thinned several times: stride ${s.stride}`);
});

test('between two thinnings a series only appends: a path grown piece by piece equals the path drawn at once', () => {
  const s = new SeriesPoints();
  const map = (v: number): number => v * 0.37 + 1;
  let generation = s.generation;
  let path = '';
  let drawnKept = 0;
  let rebuilds = 0;
  let i = 0;
  // Chunks of varying size, as updates arrive.
  for (let chunk = 1; i < 5_000; chunk = (chunk * 7) % 23 + 1) {
    const before = s.kept.slice();
    for (let k = 0; k < chunk; k++, i++) s.add(i, (i * 31) % 101);
    if (s.generation === generation) {
      assert.deepEqual(s.kept.slice(0, before.length), before, 'kept points are never changed, only appended');
      path += pathCommands(s.kept, drawnKept, map, map);
    } else {
      generation = s.generation;
      path = pathCommands(s.kept, 0, map, map);
      rebuilds++;
    }
    drawnKept = s.kept.length / 2;
    assert.equal(path, pathCommands(s.kept, 0, map, map));
  }
  assert.equal(rebuilds, Math.log2(s.stride), 'one rebuild per thinning');
  assert.match(path, /^M1\.0,1\.0L/);
});
