// Preload that logs the paramsHash of every summary.json a process writes, one JSON line per run
// to the file named by SPARSEPUSH_HASH_LOG. With it, the hashes the whole test suite computes can
// be compared before and after a change that must not alter results:
//
//   SPARSEPUSH_HASH_LOG=/tmp/before.jsonl NODE_OPTIONS="--import $PWD/scripts/hash-log.mjs" npm test
//   (change the code, run again into /tmp/after.jsonl)
//   node scripts/hash-log.mjs /tmp/before.jsonl /tmp/after.jsonl    # exit 1 when the sorted lists differ
//
// It wraps fs.writeFileSync and fs.renameSync (summary.json may be written in place or renamed
// from a temporary file) and re-syncs the ESM named exports, so `import { writeFileSync } from
// 'node:fs'` sees the wrapper too.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';

const log = process.env.SPARSEPUSH_HASH_LOG;

function record(text) {
  try {
    const s = JSON.parse(text);
    if (typeof s?.paramsHash !== 'string') return;
    fs.appendFileSync(log, `${JSON.stringify({ name: s.config?.name, rounds: s.rounds, paramsHash: s.paramsHash })}\n`);
  } catch { /* not a summary */ }
}

if (log) {
  const { writeFileSync, renameSync, readFileSync } = fs;
  fs.writeFileSync = function (file, data, ...rest) {
    const out = writeFileSync.call(this, file, data, ...rest);
    if (typeof file === 'string' && basename(file) === 'summary.json') record(String(data));
    return out;
  };
  fs.renameSync = function (from, to, ...rest) {
    const out = renameSync.call(this, from, to, ...rest);
    if (typeof to === 'string' && basename(to) === 'summary.json') record(readFileSync(to, 'utf8'));
    return out;
  };
  syncBuiltinESMExports();
}

// As a command: compare two logs as sorted multisets of lines.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [a, b] = process.argv.slice(2);
  if (!a || !b) {
    console.error('usage: node scripts/hash-log.mjs BEFORE.jsonl AFTER.jsonl');
    process.exit(2);
  }
  const lines = (f) => fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).sort();
  const [x, y] = [lines(a), lines(b)];
  const count = (list) => list.reduce((m, l) => m.set(l, (m.get(l) ?? 0) + 1), new Map());
  const [cx, cy] = [count(x), count(y)];
  const diff = [...new Set([...cx.keys(), ...cy.keys()])].filter((l) => cx.get(l) !== cy.get(l));
  for (const l of diff) console.log(`${cx.get(l) ?? 0} -> ${cy.get(l) ?? 0}  ${l}`);
  console.error(`${x.length} runs before, ${y.length} after, ${diff.length} differing line(s)`);
  process.exit(diff.length === 0 && x.length > 0 ? 0 : 1);
}
