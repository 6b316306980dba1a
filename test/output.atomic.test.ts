// Outputs are atomic: every file is written to a temporary file and renamed, so a full disk (here:
// a file-size limit, `ulimit -f`, in a child shell) leaves the old file or none, never a torn one;
// the error names the file and the bytes it needed, and no temporary file is left behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { removeStaleTemps, tempPathFor, writeFileAtomic } from '../src/output/atomic-write.js';
import { errorRecord, writeErrorFile } from '../src/output/error-file.js';
import { OutputError, RunError } from '../src/errors.js';
import { deadPid, ENTRY, ROOT } from './support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'sp-atomic-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `node --import tsx ARGS` in a POSIX shell whose file-size limit is `kib` KiB (`ulimit -f` counts 512-byte blocks). */
function limited(kib: number, args: string[]): { status: number | null; stdout: string; stderr: string } {
  const quoted = [process.execPath, '--import', 'tsx', ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const r = spawnSync('/bin/sh', ['-c', `ulimit -f ${2 * kib} && exec ${quoted}`], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, POSIXLY_CORRECT: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every path below `root` (files and directories), relative. */
function tree(root: string): string[] {
  return readdirSync(root, { recursive: true }).map(String).sort();
}

const tempLike = (name: string): boolean => /\.tmp$|\.tmp-|^\.tmp/.test(name.split('/').pop()!);

test('writeFileAtomic over the file-size limit: the old content stays, the error names the file and the bytes, no temp file is left', () => {
  const target = join(dir, 'unit', 'summary.json');
  mkdirSync(join(dir, 'unit'));
  writeFileSync(target, '{"old": true}\n');
  const script = join(dir, 'write-big.ts');
  writeFileSync(script, [
    `import { writeFileAtomic } from ${JSON.stringify(pathToFileURL(join(ROOT, 'src/output/atomic-write.ts')).href)};`,
    `try { writeFileAtomic(${JSON.stringify(target)}, 'x'.repeat(4096)); console.log('written'); }`,
    'catch (err) { console.log(JSON.stringify({ name: err.name, file: err.file, reason: err.reason, message: err.message })); }',
  ].join('\n'));
  const r = limited(1, [script]);
  assert.equal(r.status, 0, r.stderr);
  const e = JSON.parse(r.stdout) as { name: string; file: string; reason: string; message: string };
  assert.equal(e.name, 'OutputError');
  assert.equal(e.file, target);
  assert.equal(e.reason, 'EFBIG');
  assert.equal(e.message, `${target}: cannot write: file too large for the file-size limit (ulimit -f) (EFBIG); it needed 4.00 KiB, 1.00 KiB were written`);
  assert.equal(readFileSync(target, 'utf8'), '{"old": true}\n');
  assert.deepEqual(readdirSync(join(dir, 'unit')), ['summary.json']);
});

test('writeFileAtomic replaces the file in one step; stale temporaries of dead writers are removed, live ones kept', () => {
  const d = join(dir, 'replace');
  const target = join(d, 'report.html');
  writeFileAtomic(target, 'first');
  writeFileAtomic(target, 'second');
  assert.equal(readFileSync(target, 'utf8'), 'second');
  assert.deepEqual(readdirSync(d), ['report.html']);
  // A dead writer's temporary (pid of a process that has exited) and one of ours.
  const dead = deadPid();
  const deadTemp = join(d, `.report.html.${dead}-0-0.tmp`);
  writeFileSync(deadTemp, 'torn');
  const ours = tempPathFor(target);
  writeFileSync(ours, 'in progress');
  removeStaleTemps(d);
  assert.equal(existsSync(deadTemp), false);
  assert.equal(existsSync(ours), true);
});

test('one error.json writer: typed fields, the round, and a failure reported instead of thrown', () => {
  const d = join(dir, 'errors');
  const written = writeErrorFile(d, new OutputError('/x/summary.json', 'cannot write', 'ENOSPC'), 7);
  assert.ok('file' in written);
  assert.deepEqual(JSON.parse(readFileSync(join(d, 'error.json'), 'utf8')), {
    name: 'OutputError', code: 'E_OUTPUT', message: '/x/summary.json: cannot write', file: '/x/summary.json', round: 7,
  });
  assert.deepEqual(errorRecord(new Error('boom')), { name: 'Error', code: 'E_INTERNAL', message: 'boom', round: null });
  // Into a path whose parent is a file: not thrown, returned.
  writeFileSync(join(dir, 'plain-file'), '');
  const failed = writeErrorFile(join(dir, 'plain-file', 'run'), new RunError('x'));
  assert.ok('failure' in failed && failed.failure instanceof OutputError);
  assert.match(failed.failure.message, /cannot create the directory: a parent of it is not a directory \(ENOTDIR\)/);
});

const SMALL_RUN = ['--quiet', '--set', 'model=logistic', '--set', 'devices=64', '--set', 'rounds=4', '--set', 'evalEvery=4', '--set', 'data.train=synthetic:4000,8,3',
  '--set', 'data.test=null', '--set', 'compressor=none', '--set', 'algorithm.name=sgp', '--workers', '1'];

test('a run whose summary.json does not fit: exit 1 naming summary.json and its size, no summary, error.json, no temp files', () => {
  const out = join(dir, 'summary-full');
  const r = limited(2, [ENTRY, 'run', ...SMALL_RUN, '--out', out]);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, new RegExp(`^sparsepush run: ${join(out, 'summary.json').replaceAll('/', '\\/')}: cannot write: file too large .*\\(EFBIG\\); it needed \\d+\\.\\d+ KiB, 2\\.00 KiB were written \\(details: .*error\\.json\\)$`));
  assert.equal(existsSync(join(out, 'summary.json')), false, 'no summary.json: the run is not finished');
  const error = JSON.parse(readFileSync(join(out, 'error.json'), 'utf8')) as { code: string; file: string; round: number };
  assert.equal(error.code, 'E_OUTPUT');
  assert.equal(error.file, join(out, 'summary.json'));
  assert.equal(error.round, 4);
  assert.equal(readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').length, 2, 'metrics intact');
  assert.ok(parseYaml(readFileSync(join(out, 'config.resolved.yaml'), 'utf8')));
  assert.deepEqual(tree(out).filter(tempLike), []);
  // Not finished, so it can be run again in place without --force once there is room.
  const again = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, 'run', ...SMALL_RUN, '--out', out], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(again.status, 0, again.stderr);
  assert.ok(existsSync(join(out, 'summary.json')));
  assert.equal(existsSync(join(out, 'error.json')), false);
});

test('a checkpoint that does not fit: the error names the checkpoint file and its size, the temporary checkpoint is removed', () => {
  const out = join(dir, 'checkpoint-full');
  const r = limited(2, [ENTRY, 'run', ...SMALL_RUN, '--set', 'checkpoint.every=2', '--out', out]);
  assert.equal(r.status, 1, r.stderr);
  const arena = join(out, 'checkpoints', 'ckpt-00000002', 'arena.bin');
  assert.match(r.stderr, new RegExp(`^sparsepush run: ${arena.replaceAll('/', '\\/')}: cannot write: file too large .*\\(EFBIG\\); it needed \\d+\\.\\d+ KiB, 2\\.00 KiB were written \\(details: `));
  assert.deepEqual(tree(join(out, 'checkpoints')), [], 'no temporary or partial checkpoint, no LATEST');
  assert.deepEqual(tree(out).filter(tempLike), []);
  assert.equal((JSON.parse(readFileSync(join(out, 'error.json'), 'utf8')) as { file: string }).file, arena);
});
