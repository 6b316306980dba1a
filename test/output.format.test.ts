import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatBits, formatBytes, formatClock, formatDuration, formatPercent, formatRatio, formatSi, formatTick, MISSING,
} from '../src/output/format.js';

test('percent: digits after the point; anything not a finite number is the missing mark', () => {
  assert.equal(formatPercent(0.8312), '83.12%');
  assert.equal(formatPercent(0.8312, 0), '83%');
  assert.equal(formatPercent(1), '100.00%');
  assert.equal(formatPercent(-0.0165, 2), '-1.65%');
  for (const v of [NaN, Infinity, null, undefined, '0.5']) assert.equal(formatPercent(v), MISSING);
  assert.equal(formatPercent(undefined, 2, 'n/a'), 'n/a');
});

test('bits: whole bits below 1,000, then a decimal prefix at three significant digits', () => {
  assert.equal(formatBits(0), '0 bit');
  assert.equal(formatBits(999), '999 bit');
  assert.equal(formatBits(999.6), '1000 bit');
  assert.equal(formatBits(1000), '1.00 kbit');
  assert.equal(formatBits(10_000), '10.0 kbit');
  assert.equal(formatBits(2_490_000), '2.49 Mbit');
  assert.equal(formatBits(1.01e9), '1.01 Gbit');
  assert.equal(formatBits(250e9), '250 Gbit');
  assert.equal(formatBits(3.2e15), '3200 Tbit');
  assert.equal(formatBits(NaN), MISSING);
});

test('SI quantities: prefixes from n to T, the sign kept, zero without a prefix', () => {
  assert.equal(formatSi(12_345, 'J'), '12.3 kJ');
  assert.equal(formatSi(0.00321, 'J'), '3.21 mJ');
  assert.equal(formatSi(4.5e-7, 'J'), '450 nJ');
  assert.equal(formatSi(1.5e-12, 'J'), '1.50e-12 J');
  assert.equal(formatSi(-2_000_000, 'bit'), '-2.00 Mbit');
  assert.equal(formatSi(0, 'J'), '0 J');
  assert.equal(formatSi(42), '42.0');
  assert.equal(formatSi(Infinity, 'J'), MISSING);
});

test('axis ticks: compact prefixes, no trailing zeros', () => {
  assert.deepEqual([1e9, 2.5e6, 1000, 42, 0.5, 123_456].map(formatTick), ['1G', '2.5M', '1k', '42', '0.5', '123k']);
});

test('ratios: fewer decimals as they grow', () => {
  assert.deepEqual([247.3, 31.25, 1.5, 0.125].map((x) => formatRatio(x)), ['247x', '31.3x', '1.50x', '0.13x']);
  assert.equal(formatRatio(NaN), MISSING);
});

test('bytes: powers of 1024', () => {
  assert.equal(formatBytes(512), '512 bytes');
  assert.equal(formatBytes(4096), '4.00 KiB');
  assert.equal(formatBytes(1.5 * 2 ** 30), '1.50 GiB');
  assert.equal(formatBytes(200 * 2 ** 20), '200.0 MiB');
});

test('durations: three significant digits below 10 s, then whole seconds, minutes and hours', () => {
  assert.equal(formatDuration(0), '0 s');
  assert.equal(formatDuration(0.0421), '0.0421 s');
  assert.equal(formatDuration(7.5), '7.5 s');
  assert.equal(formatDuration(9.996), '10 s');
  assert.equal(formatDuration(42.4), '42 s');
  assert.equal(formatDuration(89), '89 s');
  assert.equal(formatDuration(186), '3.1 min');
  assert.equal(formatDuration(9000), '2.50 h');
  assert.equal(formatDuration(undefined), MISSING);
});

test('clock: minutes and seconds, hours when there are any; unknown is --:--', () => {
  assert.equal(formatClock(0), '0:00');
  assert.equal(formatClock(75), '1:15');
  assert.equal(formatClock(3725), '1:02:05');
  assert.equal(formatClock(NaN), '--:--');
  assert.equal(formatClock(-1), '--:--');
});
