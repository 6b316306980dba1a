// `npm test`: type-check everything (tests included), then run every test file with Node's test runner.
// Test files are TypeScript, loaded through tsx; the Piscina workers they spawn inherit the loader.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const tsc = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.test.json'], { stdio: 'inherit' });
if (tsc.status !== 0) { console.error('type check failed'); process.exit(tsc.status ?? 1); }

const files = args.length > 0 ? args : readdirSync('test', { recursive: true })
  .map(String).filter((f) => f.endsWith('.test.ts')).sort().map((f) => join('test', f));
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(run.status ?? 1);
