/**
 * DAGC paper reproduction (Lu et al., arXiv 2311.07324), Logistic@FMNIST: 10 workers, Dirichlet(0.5)
 * labels, arithmetic-series volumes with skew ratio SR, batch 32, lr 0.01 (plain SGD), budget 0.1%:
 *   dagc-r (topk:0.001)      vs ef-sgd topk:0.001       (uniform top-k, same mean ratio)
 *   dagc-a (threshold:0.05)  vs ef-sgd threshold:0.05   (uniform threshold)
 * Reports final accuracy, rounds to the target accuracy and uplink / downlink bits per run and the
 * mean over seeds.
 *
 *   node --import tsx bench/dagc-fmnist.ts [--rounds 5000] [--seeds 1,2,3] [--sr 10,100,1000]
 *        [--evalEvery 25] [--target 0.7] [--ratio 0.001] [--lambda 0.05] [--variants ef-topk,dagc-r,ef-threshold,dagc-a]
 *        [--out runs/dagc-fmnist] [--json]
 *
 * The workers compress lr-scaled vectors (server-common.ts: e += lr g): threshold:0.05 at lr 0.01
 * keeps ~0.4% of the coordinates; --lambda 0.0005 is the same threshold on raw gradients (~20%).
 * volume:1000 leaves the smallest worker 12 samples (< batch 32): data.smallShards=wrap.
 *
 * Each run writes metrics.jsonl / summary.json under OUT/SR<sr>-<variant>-s<seed>/ (runExperiment);
 * the same run from the CLI:
 *   node --import tsx src/cli/entry.ts run --set algorithm.name=dagc-r --set compressor=topk:0.001 \
 *     --set model=logistic --set devices=10 --set rounds=5000 --set evalEvery=25 \
 *     --set data.partition=dirichlet:0.5 --set data.volume=volume:100 --set data.smallShards=wrap --set algorithm.lr=0.01 \
 *     --set algorithm.momentum=0 --set algorithm.batchSize=32 --set seed=1 --workers 1
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../src/config/index.js';
import { loadTrainTest } from '../src/data/index.js';
import { runExperiment, type RunSummary } from '../src/engine/run.js';
import { readMetrics } from '../src/metrics/jsonl.js';
import { benchArgs } from './args.js';

/** The compared methods; the compressors take their parameter from --ratio and --lambda. */
const VARIANT_NAMES = ['ef-topk', 'dagc-r', 'ef-threshold', 'dagc-a'] as const;

const { values: opt, fail } = benchArgs({
  script: 'bench/dagc-fmnist.ts',
  purpose: 'DAGC reproduction, Logistic@FMNIST: DAGC-R / DAGC-A against uniform top-k / threshold on 10 skewed workers.',
  options: {
    rounds: { type: 'number', integer: true, min: 1, default: 5000, description: 'rounds per run' },
    seeds: { type: 'numbers', integer: true, min: 0, default: [1, 2, 3], description: 'seeds' },
    sr: { type: 'numbers', min: 1, default: [10, 100, 1000], description: 'skew ratios (data.volume=volume:SR)' },
    evalEvery: { type: 'number', integer: true, min: 1, default: 25, description: 'rounds between evaluations' },
    target: { type: 'number', min: 0, max: 1, default: 0.7, description: 'target accuracy for rounds-to-target' },
    out: { type: 'string', placeholder: 'DIR', default: 'runs/dagc-fmnist', description: 'run directories (a finished run of the same config is reused)' },
    variants: { type: 'string', placeholder: 'LIST', default: VARIANT_NAMES.join(','), description: 'methods to run, comma-separated' },
    ratio: { type: 'number', above: 0, below: 1, default: 0.001, description: 'top-k ratio' },
    lambda: { type: 'number', above: 0, default: 0.05, description: 'threshold' },
    json: { type: 'boolean', description: 'the rows as JSON on stdout' },
  },
});

const { ratio, lambda } = opt;
const VARIANTS: Record<(typeof VARIANT_NAMES)[number], { algorithm: string; compressor: string; label: string }> = {
  'ef-topk': { algorithm: 'ef-sgd', compressor: `topk:${ratio}`, label: `uniform top-k ${ratio}` },
  'dagc-r': { algorithm: 'dagc-r', compressor: `topk:${ratio}`, label: `DAGC-R ${ratio}` },
  'ef-threshold': { algorithm: 'ef-sgd', compressor: `threshold:${lambda}`, label: `uniform threshold ${lambda}` },
  'dagc-a': { algorithm: 'dagc-a', compressor: `threshold:${lambda}`, label: `DAGC-A ${lambda}` },
};
const isVariant = (v: string): v is (typeof VARIANT_NAMES)[number] => (VARIANT_NAMES as readonly string[]).includes(v);

interface Row {
  sr: number; variant: string; seed: number; finalAcc: number; bestAcc: number; toTarget: number | null;
  uplinkBits: number; downlinkBits: number; wallS: number;
}

const { rounds, evalEvery, target, seeds, sr: srs } = opt;
const variants = opt.variants.split(',').filter(isVariant);
const unknownVariants = opt.variants.split(',').filter((v) => !isVariant(v));
if (unknownVariants.length > 0) fail(`--variants: unknown variant ${unknownVariants.map((v) => `'${v}'`).join(', ')} (variants: ${VARIANT_NAMES.join(', ')})`);

const data = await loadTrainTest('fashion-mnist', 'fashion-mnist:test', { seed: 1, limit: 0 });
const rows: Row[] = [];
for (const sr of srs) {
  for (const seed of seeds) {
    for (const v of variants) {
      const spec = VARIANTS[v];
      const config = resolveConfig({
        name: `SR${sr}-${v}-${spec.compressor.replace(':', '')}-s${seed}`, seed, devices: 10, rounds, evalEvery, model: 'logistic',
        data: { train: 'fashion-mnist', test: 'fashion-mnist:test', partition: 'dirichlet:0.5', volume: `volume:${sr}`, smallShards: 'wrap' },
        algorithm: { name: spec.algorithm, lr: 0.01, momentum: 0, batchSize: 32, localSteps: 1 },
        compressor: spec.compressor, workers: 1,
      });
      const outDir = join(opt.out, config.name);
      const t0 = performance.now();
      // A finished run of the same config (name aside) is reused: runs are pure functions of their config.
      const summaryFile = join(outDir, 'summary.json');
      const previous = existsSync(summaryFile) ? JSON.parse(readFileSync(summaryFile, 'utf8')) as RunSummary : null;
      const same = previous && JSON.stringify({ ...previous.config, name: '' }) === JSON.stringify({ ...config, name: '' });
      const summary = same ? previous : await runExperiment(config, { outDir, data, inline: true });
      const lines = readMetrics(join(outDir, 'metrics.jsonl')).map((m) => ({ round: m.round, accuracy: m.accuracy ?? Number.NaN }));
      const hit = lines.find((m) => m.accuracy >= target);
      const row: Row = {
        sr, variant: v, seed, finalAcc: summary.final.accuracy, bestAcc: Math.max(...lines.map((m) => m.accuracy)),
        toTarget: hit ? hit.round : null, uplinkBits: summary.final.bitsSent, downlinkBits: summary.final.bitsDown,
        wallS: (performance.now() - t0) / 1000,
      };
      rows.push(row);
      console.error(`${config.name}: final ${(100 * row.finalAcc).toFixed(2)}%, to ${100 * target}%: ${row.toTarget ?? '-'}, uplink ${(row.uplinkBits / 1e6).toFixed(3)} Mbit, ${row.wallS.toFixed(1)} s`);
    }
  }
}

if (opt.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  const sd = (a: number[]): number => { const m = mean(a); return Math.sqrt(mean(a.map((v) => (v - m) ** 2))); };
  console.log(`| SR | method | final acc % (mean ± sd) | rounds to ${100 * target}% (per seed) | uplink Mbit | uplink vs uniform | uplink / dense | downlink Mbit |`);
  console.log('|---|---|---|---|---|---|---|---|');
  for (const sr of srs) {
    const base: Record<string, number> = {};
    for (const v of variants) {
      const rs = rows.filter((r) => r.sr === sr && r.variant === v);
      const up = mean(rs.map((r) => r.uplinkBits));
      const baseline = v.startsWith('ef-') ? v : v === 'dagc-r' ? 'ef-topk' : 'ef-threshold';
      if (v.startsWith('ef-')) base[v] = up;
      const rel = base[baseline] ? `${((up / base[baseline]! - 1) * 100).toFixed(1)}%` : '';
      const acc = rs.map((r) => 100 * r.finalAcc);
      const hits = rs.map((r) => r.toTarget ?? '-').join(', ');
      const kept = mean(rs.map((r) => r.uplinkBits)) / (rounds * 10 * 8 * (24 + 4 * 7850));
      console.log(`| ${sr} | ${VARIANTS[v].label} | ${mean(acc).toFixed(2)} ± ${sd(acc).toFixed(2)} | ${hits} | ${(up / 1e6).toFixed(3)} | ${rel} | ${(100 * kept).toFixed(3)}% | ${(mean(rs.map((r) => r.downlinkBits)) / 1e6).toFixed(0)} |`);
    }
  }
}
