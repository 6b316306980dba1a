/** Fake run directories (metrics.jsonl + summary.json + config.resolved.yaml) for report and CLI tests. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configToYaml } from '../src/config/load.js';
import { resolveConfig } from '../src/config/schema.js';
import type { RunConfig } from '../src/config/types.js';
import type { MetricsRecord, RunSummaryFile } from '../src/metrics/records.js';

export interface FakeRunOptions {
  name: string;
  algorithm?: string;
  compressor?: string;
  devices?: number;
  rounds?: number;
  evalEvery?: number;
  /** Final accuracy the curve approaches. */
  plateau?: number;
  /** Bits per device per round. */
  bitsPerRound?: number;
  /** Leave out summary.json (an unfinished run). */
  unfinished?: boolean;
  /** Write error.json with this message. */
  error?: string;
  /** consensusDistance null, or 0 as the engine records it for server algorithms. */
  noConsensus?: boolean | 'zero';
}

export function fakeRun(root: string, o: FakeRunOptions): string {
  const dir = join(root, o.name);
  const config: RunConfig = resolveConfig({
    name: o.name, devices: o.devices ?? 8, rounds: o.rounds ?? 60, evalEvery: o.evalEvery ?? 10, model: 'logistic',
    data: { train: 'mnist', test: 'mnist:test' },
    algorithm: { name: o.algorithm ?? 'sparse-push' }, compressor: o.compressor ?? 'topk:0.01',
  });
  writeFakeRun(dir, config, o);
  return dir;
}

/** What the engine would write for `config` into `dir` (a smooth made-up learning curve); returns the summary. */
export function writeFakeRun(dir: string, config: RunConfig, o: Partial<FakeRunOptions> = {}): RunSummaryFile | null {
  mkdirSync(dir, { recursive: true });
  const { devices, rounds, evalEvery } = config;
  const plateau = o.plateau ?? 0.85;
  const bitsPerRound = o.bitsPerRound ?? 1e5;
  const metrics: MetricsRecord[] = [];
  for (let round = 0; round <= rounds; round = round === rounds ? rounds + 1 : Math.min(rounds, round + evalEvery)) {
    const progress = 1 - Math.exp(-round / (rounds / 4));
    metrics.push({
      round, epoch: round / 10,
      accuracy: 0.1 + (plateau - 0.1) * progress,
      loss: 2.3 * (1 - progress) + 2.5 * (1 - plateau),
      meanDeviceAccuracy: 0.1 + (plateau - 0.12) * progress,
      consensusDistance: o.noConsensus === 'zero' ? 0 : o.noConsensus ? null : 2 * Math.exp(-round / 15) + 1e-4,
      bitsSent: round * devices * bitsPerRound,
      bitsReceived: round * devices * bitsPerRound,
      compressionRatio: 32 * 7850 / (bitsPerRound),
      massX: 1, massW: devices,
      simTimeS: round * 0.12,
      energyJ: round * devices * bitsPerRound * 1e-7,
      wallTimeS: round * 0.01,
    });
  }
  writeFileSync(join(dir, 'config.resolved.yaml'), configToYaml(config));
  writeFileSync(join(dir, 'metrics.jsonl'), metrics.map((m) => JSON.stringify(m)).join('\n') + '\n');
  if (o.error) writeFileSync(join(dir, 'error.json'), JSON.stringify({ message: o.error }));
  if (!o.unfinished && !o.error) {
    const summary: RunSummaryFile = {
      name: config.name, version: '0.1.0', config, final: metrics[metrics.length - 1]!,
      paramsHash: 'ab'.repeat(32), backend: 'wasm', simd: true, workers: 2, wallTimeS: 12.5, rounds,
      bitsPerDevice: Array.from({ length: devices }, (_, i) => rounds * bitsPerRound * (1 + 0.1 * (i % 3))),
      toTarget: { round: 30, bitsSent: 30 * devices * bitsPerRound, simTimeS: 3.6, energyJ: 1.2 },
      spectralGap: 0.4,
    };
    writeFileSync(join(dir, 'summary.json'), JSON.stringify(summary, null, 2));
    return summary;
  }
  return null;
}
