import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProgress, metricsText } from '../src/cli/progress.js';

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

test('metrics line: the metrics present, in the shared formats', () => {
  assert.equal(metricsText({ round: 3, accuracy: 0.7123, loss: 0.81234, bitsSent: 1.2e9, simTimeS: 0.0421 }), 'acc 71.23%  loss 0.812  bits 1.20 Gbit  sim 0.0421 s');
  assert.equal(metricsText({ round: 3, accuracy: null }), '');
});

test('not a TTY: one plain line per evaluation, with ETA', () => {
  const c = clock();
  const lines: string[] = [];
  const p = createProgress({ write: (t) => lines.push(t), tty: false, quiet: false, now: c.now });
  for (let round = 1; round <= 20; round++) {
    c.advance(500);
    p.update({ round, rounds: 20, metrics: round % 10 === 0 ? { round, accuracy: 0.5, bitsSent: round * 1000 } : undefined });
  }
  p.done();
  assert.equal(lines.length, 2);
  assert.ok(lines.every((l) => l.endsWith('\n') && !l.includes('\r')));
  // 9 rounds after the first event took 4.5 s: 0.5 s per round, 10 rounds left.
  assert.equal(lines[0], 'round 10/20  acc 50.00%  bits 10.0 kbit  elapsed 0:05  eta 0:05\n');
  assert.match(lines[1]!, /^round 20\/20 .* eta 0:00\n$/);
});

test('TTY: one line redrawn in place (throttled), ended with a newline', () => {
  const c = clock();
  let text = '';
  const p = createProgress({ write: (t) => { text += t; }, tty: true, quiet: false, columns: 80, now: c.now });
  for (let round = 1; round <= 100; round++) {
    c.advance(10); // 10 ms per round: most redraws are throttled
    p.update({ round, rounds: 100, metrics: round % 50 === 0 ? { round, accuracy: 0.9, bitsSent: 5e6 } : undefined });
  }
  p.done();
  const draws = text.split('\r\x1b[2K').filter(Boolean);
  assert.ok(draws.length >= 3 && draws.length <= 15, `${draws.length} redraws`);
  assert.ok(text.endsWith('\n'));
  assert.equal(text.split('\n').length, 2, 'a single line');
  const final = draws[draws.length - 1]!.trimEnd();
  assert.match(final, /^\[#{10,}\] 100\/100 {2}acc 90\.00% {2}bits 5\.00 Mbit {2}ETA 0:00$/);
  assert.ok(draws.every((d) => d.replace('\n', '').length < 80), 'fits the terminal');
});

test('--quiet writes nothing', () => {
  let text = '';
  const p = createProgress({ write: (t) => { text += t; }, tty: true, quiet: true });
  p.update({ round: 1, rounds: 2, metrics: { round: 1, accuracy: 0.1 } });
  p.done();
  const q = createProgress({ write: (t) => { text += t; }, tty: false, quiet: true });
  q.update({ round: 1, rounds: 2, metrics: { round: 1, accuracy: 0.1 } });
  assert.equal(text, '');
});

test('set-up stages: off a terminal a line when a stage starts and one when it ends; nothing with --quiet', () => {
  const c = clock();
  const lines: string[] = [];
  const p = createProgress({ write: (t) => lines.push(t), tty: false, quiet: false, now: c.now });
  p.setup({ stage: 'generating synthetic:1000,4,2 (train)', done: 0, total: 1000, unit: 'samples' });
  for (let done = 100; done <= 1000; done += 100) {
    c.advance(150);
    p.setup({ stage: 'generating synthetic:1000,4,2 (train)', done, total: 1000, unit: 'samples' });
  }
  p.setup({ stage: 'filling the arena (3 MiB)', done: 0, total: 16, unit: 'devices' });
  c.advance(40);
  p.setup({ stage: 'filling the arena (3 MiB)', done: 16, total: 16, unit: 'devices' });
  p.done();
  assert.deepEqual(lines, [
    'generating synthetic:1000,4,2 (train): 1000 samples\n',
    'generating synthetic:1000,4,2 (train): done in 1.5 s\n',
    'filling the arena (3 MiB): 16 devices\n',
    'filling the arena (3 MiB): done in 0.0 s\n',
  ]);
  const quiet: string[] = [];
  const q = createProgress({ write: (t) => quiet.push(t), tty: false, quiet: true, now: c.now });
  q.setup({ stage: 's', done: 0, total: 2, unit: 'files' });
  q.setup({ stage: 's', done: 2, total: 2, unit: 'files' });
  q.done();
  assert.deepEqual(quiet, []);
});

test('set-up stages on a terminal: a bar redrawn in place (throttled), left with its time when done', () => {
  const c = clock();
  const out: string[] = [];
  const p = createProgress({ write: (t) => out.push(t), tty: true, quiet: false, columns: 140, now: c.now });
  const stage = 'converting the mnist package into the dataset cache';
  p.setup({ stage, done: 0, total: 10, unit: 'files' });
  for (let k = 1; k <= 10; k++) {
    c.advance(30);
    p.setup({ stage, done: k, total: 10, unit: 'files' });
  }
  // The start, redraws at least 100 ms apart (k = 4 and 8) and the end.
  assert.equal(out.length, 4);
  assert.ok(out.every((l) => l.startsWith('\r\x1b[2K')));
  assert.equal(out[0], `\r\x1b[2K[${'-'.repeat(30)}] ${stage}  0/10 files`);
  assert.equal(out[1], `\r\x1b[2K[${'#'.repeat(12)}${'-'.repeat(18)}] ${stage}  4/10 files`);
  assert.equal(out[2], `\r\x1b[2K[${'#'.repeat(24)}${'-'.repeat(6)}] ${stage}  8/10 files`);
  assert.equal(out[3], `\r\x1b[2K[${'#'.repeat(30)}] ${stage}  10 files in 0.3 s\n`);
  p.done();
  assert.equal(out.length, 4, 'a finished stage left its line ended: done() adds nothing');
});
