/**
 * Speed of the page against Node for the same logistic config, one run each: the page built from
 * the sources, served by `sparsepush serve`, run in headless Chromium (Web Workers over the shared
 * arena) from its URL, then the compiled CLI, `node bin/sparsepush.js run` (Piscina worker threads
 * running dist/; `npm run build` first), with the same pool size. Both wall times are the summaries'
 * wallTimeS (from planning the arena, data loading included, to the last evaluation); the ratio is
 * page / Node. The paramsHash must agree.
 *
 *   node --import tsx bench/page.ts [--json] [--rounds 300] [--devices 16] [--workers 2] [--model logistic] [--limit 0]
 *
 * (--model mlp or lenet times the tfjs models on the wasm backend, in both; --limit caps the
 * training samples.)
 *
 * On a shared machine wall-clock figures move with the load; the 1-minute load average at the
 * start of each run is reported with it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPage } from '../scripts/build-browser.mjs';
import type { RunSummary } from '../src/metrics/records.js';
import { launchChromium, ROOT, startServeProcess } from '../scripts/chromium.mjs';
import { benchArgs } from './args.js';

const { values: opts } = benchArgs({
  script: 'bench/page.ts',
  purpose: 'Wall time of one config in the page (headless Chromium) against the CLI in Node; the paramsHash must agree.',
  options: {
    json: { type: 'boolean', description: 'one JSON document on stdout' },
    rounds: { type: 'number', integer: true, min: 1, default: 300, description: 'rounds' },
    devices: { type: 'number', integer: true, min: 2, default: 16, description: 'devices' },
    workers: { type: 'number', integer: true, min: 1, default: 2, description: 'workers in both (Web Workers, worker threads)' },
    model: { type: 'string', placeholder: 'SPEC', default: 'logistic', description: 'model spec (mlp or lenet: tfjs on the wasm backend)' },
    limit: { type: 'number', integer: true, min: 0, default: 0, description: 'cap on the training samples (0: all)' },
  },
});

const config = {
  name: 'bench-page', devices: opts.devices, rounds: opts.rounds, evalEvery: 10, workers: opts.workers,
  model: opts.model, data: { train: 'mnist', test: null, limit: opts.limit }, topology: 'exponential:1',
  algorithm: { name: 'sparse-push', lr: 0.1 }, compressor: 'topk:0.01+int8',
};

interface Side { wallTimeS: number; roundsPerS: number; workers: number; paramsHash: string; accuracy: number; load1: number }

const side = (s: RunSummary, load1: number): Side => ({
  wallTimeS: s.wallTimeS, roundsPerS: s.rounds / s.wallTimeS, workers: s.workers, paramsHash: s.paramsHash, accuracy: s.final.accuracy, load1,
});

async function inPage(): Promise<{ result: Side; browserVersion: string }> {
  const tmp = mkdtempSync(join(tmpdir(), 'sparsepush-bench-page-'));
  await buildPage({ outDir: join(tmp, 'site'), source: true });
  const served = await startServeProcess(['--dir', join(tmp, 'site')]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    const load1 = loadavg()[0]!;
    await page.goto(`${served.origin}/?config=${encodeURIComponent(JSON.stringify(config))}&autostart=1`);
    await page.waitForFunction(() => ['done', 'error'].includes(document.documentElement.dataset.state ?? ''), undefined, { timeout: 600_000 });
    const summary = await page.evaluate(() => (window as unknown as { sparsepushSummary?: RunSummary }).sparsepushSummary);
    if (!summary) throw new Error(`the page failed: ${await page.evaluate(() => (window as unknown as { sparsepushError?: string }).sparsepushError)}`);
    return { result: side(summary, load1), browserVersion: browser.version() };
  } finally {
    await browser.close();
    await served.close();
  }
}

function inNode(): Side {
  const dir = mkdtempSync(join(tmpdir(), 'sparsepush-bench-node-'));
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  const load1 = loadavg()[0]!;
  const cli = spawnSync(process.execPath, [join(ROOT, 'bin', 'sparsepush.js'), 'run', '--config', join(dir, 'config.json'), '--out', join(dir, 'run'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (cli.status !== 0) throw new Error(`sparsepush run failed (${cli.status}): ${cli.stderr}`);
  return side(JSON.parse(readFileSync(join(dir, 'run', 'summary.json'), 'utf8')) as RunSummary, load1);
}

const { result: page, browserVersion } = await inPage();
const node = inNode();
const report = {
  config, chromium: browserVersion, node: process.version, page, nodeRun: node,
  ratio: page.wallTimeS / node.wallTimeS, sameParamsHash: page.paramsHash === node.paramsHash,
};
if (opts.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  const row = (name: string, s: Side): string => `${name.padEnd(6)} ${s.wallTimeS.toFixed(2).padStart(7)} s  ${s.roundsPerS.toFixed(1).padStart(7)} rounds/s  ${s.workers} workers  accuracy ${(s.accuracy * 100).toFixed(2)}%  load ${s.load1.toFixed(2)}`;
  console.log(`${config.devices} devices, ${config.rounds} rounds, ${config.algorithm.name} ${config.compressor}, ${config.model} on ${config.data.train} (Chromium ${browserVersion}, Node ${process.version})`);
  console.log(row('page', page));
  console.log(row('node', node));
  console.log(`page / node wall time: ${report.ratio.toFixed(2)}  (paramsHash ${report.sameParamsHash ? 'identical' : 'DIFFERS'})`);
}
if (!report.sameParamsHash) process.exitCode = 1;
