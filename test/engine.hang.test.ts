// A device error in a later round of a multi-round task ends the run with that error for any pool
// size. With 2 workers, a NaN at round 4 (learning rate 1e37) once left a worker waiting at the
// between-rounds barrier for a worker that had already left the task: the process idled forever
// and wrote no error.json. The race needs luck, so the repro runs many times. Runs happen in child
// processes, so a hang is killed after CHILD_LIMIT_MS and reported instead of stopping the suite
// (a correct run takes about a second).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENTRY, ROOT } from './support/child.js';

const CHILD = join(ROOT, 'test', 'fixtures', 'diverge-child.ts');
const RUNS = 20;
const CHILD_LIMIT_MS = 120_000;
/** The repro (test/fixtures/diverge-child.ts runs the same config through the library). */
const REPRO = [
  'run', '--set', 'model=logistic', '--set', 'devices=16', '--set', 'rounds=100', '--set', 'data.train=synthetic:2000,16,4',
  '--set', 'data.test=null', '--set', 'algorithm.lr=1e37', '--quiet',
];

type ErrorFile = { message: string; code: string } | null;

function errorFile(dir: string): ErrorFile {
  const file = join(dir, 'error.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as ErrorFile : null;
}

/** The CLI repro into `out`: its exit status and error.json (null when it wrote none). */
function cli(out: string, workers: number): { status: number | null; error: ErrorFile } {
  const child = spawnSync(process.execPath, ['--import', 'tsx', ENTRY, ...REPRO, '--workers', String(workers), '--out', out], {
    encoding: 'utf8', timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL',
  });
  return { status: child.status, error: errorFile(out) };
}

test(`lr 1e37 with 2 workers: every run fails with the NaN error naming device and round, in error.json and exit status 1 (${RUNS} library runs, 3 CLI runs)`, { timeout: 6 * CHILD_LIMIT_MS }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'sp-hang-'));
  try {
    const sequential = cli(join(dir, 'cli-w1'), 1);
    assert.equal(sequential.status, 1);
    assert.equal(sequential.error?.code, 'E_RUN');
    const expected = sequential.error.message;
    assert.match(expected, /^NaN\/Inf in device \d+'s parameters at round [1-9]\d* /, 'the NaN comes in a later round');

    const lib = join(dir, 'lib');
    const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, lib, String(RUNS), '2'], { encoding: 'utf8', timeout: CHILD_LIMIT_MS, killSignal: 'SIGKILL' });
    const lines = child.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { run: number; started?: true; finished?: true; error?: string });
    const outcomes = Array.from({ length: RUNS }, (_, i) => {
      const end = lines.find((l) => l.run === i && !l.started);
      const written = errorFile(join(lib, String(i)));
      if (!lines.some((l) => l.run === i)) return `run ${i}: not reached`;
      if (!end) return `run ${i}: hung (killed after ${CHILD_LIMIT_MS / 1000} s), ${written ? 'with' : 'no'} error.json`;
      return end.error === expected && written?.message === expected ? 'ok' : `run ${i}: ${end.error ?? 'finished'}; error.json: ${written?.message ?? 'none'}`;
    });
    assert.deepEqual(outcomes.filter((o) => o !== 'ok'), []);

    for (let i = 0; i < 3; i++) {
      const r = cli(join(dir, `cli-w2-${i}`), 2);
      assert.deepEqual([r.status, r.error?.message], [1, expected], `CLI run ${i} with 2 workers`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
