/**
 * Skew-compensation study: how much of the accuracy Sparse-Push loses to compression under label
 * skew each compensation of sc-sparse-push recovers (algorithm.compensation qgm and tracking), and
 * at what bits.
 *
 *   node --import tsx bench/repro/skew.ts [--quick] [--seeds N] [--workers N] [--out DIR] [--lenet] [--dry-run]
 *
 * Setting (the project defaults; nothing tuned here): 16 devices on exponential:1, Fashion-MNIST,
 * 300 rounds, lr 0.05, momentum 0.9, batch 32, one local step, consensus step at each algorithm's
 * default (0.2 at top-1% and denser, 0.05 at top-0.1%), memory choco.
 * Logistic grid (full: seeds 1-3): partitions iid, skew:0.5, skew:0.8, skew:1; SGP (uncompressed) and
 * Sparse-Push / SC-qgm / SC-tracking at topk 10% / 1% / 0.1% with int8 values.
 * --lenet: LeNet-5 on skew:1 and iid at topk:0.01+int8 (SGP, Sparse-Push, SC-qgm, SC-tracking),
 * seeds 1..--seeds (default 2), evaluated every 50 rounds, run before the logistic grid.
 * Diagnostics (full mode, seed 1, skew:1): SC-tracking with exact messages (compressor none, both
 * vectors whole: twice SGP's bits) at gamma 1 and at Sparse-Push's 0.2, for each model run.
 * Quick mode: 100 rounds, 1 seed, skew:1 and iid, topk:0.01+int8 only (~2 minutes).
 *
 * Reported: final accuracy of the network-average model (mean ± std over seeds), bits sent and the
 * ratio of bits against Sparse-Push at the same compressor, and the loss recovered,
 * (SC − SP) / (SGP − SP), on the means.
 */
import {
  fmtNum, groupBy, isMain, mean, pctMeanStd, runMain, runStudy, type Analysis, type RunResult, type RunSpec, type StudyArgSpec, type StudyDefinition, type StudyOptions, type Table,
} from './common.js';
import { formatBits } from '../../src/output/format.js';

const HELP = `bench/repro/skew.ts: the skew compensations of sc-sparse-push (qgm, tracking) against
Sparse-Push and SGP under label skew, by skew and kept fraction (16 devices, exponential:1, Fashion-MNIST).`;

interface Variant { readonly label: string; readonly algorithm: 'sgp' | 'sparse-push' | 'sc-sparse-push'; readonly compensation?: 'qgm' | 'tracking' }

const VARIANTS: readonly Variant[] = [
  { label: 'sgp', algorithm: 'sgp' },
  { label: 'sparse-push', algorithm: 'sparse-push' },
  { label: 'sc-qgm', algorithm: 'sc-sparse-push', compensation: 'qgm' },
  { label: 'sc-tracking', algorithm: 'sc-sparse-push', compensation: 'tracking' },
];

/** Seeds of the logistic grid in full mode (--seeds sets the LeNet seeds). */
const LOGISTIC_SEEDS = 3;

function slug(s: string): string {
  return s.replace(/:/g, '').replace(/\+/g, '-').replace(/[^\w.-]/g, '_');
}

const ARGS: StudyArgSpec = { seeds: { quick: 1, full: 2 }, help: HELP, flags: { lenet: 'also run LeNet-5 on seeds 1..--seeds (slow: ~5-10 min per run)' } };

function plan(opts: StudyOptions): RunSpec[] {
  const q = opts.quick;
  const rounds = q ? 100 : 300;
  const base = {
    devices: 16, rounds, model: 'logistic', topology: 'exponential:1',
    'data.train': 'fashion-mnist', 'data.test': 'fashion-mnist:test', 'data.volume': 'equal',
    'algorithm.lr': 0.05, 'algorithm.momentum': 0.9, 'algorithm.batchSize': 32, 'algorithm.localSteps': 1, 'algorithm.memory': 'choco',
  };
  const specs: RunSpec[] = [];
  const add = (model: string, partition: string, v: Variant, compressor: string, seed: number, evalEvery: number, gamma?: number): void => {
    const c = v.algorithm === 'sgp' ? 'none' : compressor;
    specs.push({
      id: `${model}-${slug(partition)}-${v.label}-${slug(c)}${gamma === undefined ? '' : `-g${gamma}`}-s${seed}`,
      sets: {
        ...base, model, evalEvery, seed, 'data.partition': partition, 'algorithm.name': v.algorithm, compressor: c,
        ...(v.compensation ? { 'algorithm.compensation': v.compensation } : {}),
        ...(gamma === undefined ? {} : { 'algorithm.gamma': gamma }),
      },
      tags: { model, partition, algorithm: gamma === undefined ? v.label : `${v.label} γ=${gamma}`, compressor: c, seed },
    });
  };
  // What tracking needs (seed 1, skew:1): exact messages with the full consensus step, and with
  // Sparse-Push's lazy one (both streams whole: twice SGP's bits).
  const diagnostics = (model: string, evalEvery: number): void => {
    for (const gamma of [1, 0.2]) add(model, 'skew:1', VARIANTS[3]!, 'none', 1, evalEvery, gamma);
  };
  if (opts.flags.has('lenet')) {
    // skew:1 on every seed first (the claim), then iid.
    for (const partition of ['skew:1', 'iid']) {
      for (let seed = 1; seed <= opts.seeds; seed++) for (const v of VARIANTS) add('lenet', partition, v, 'topk:0.01+int8', seed, 50);
    }
    if (!q) diagnostics('lenet', 50);
  }
  const partitions = q ? ['skew:1', 'iid'] : ['skew:1', 'skew:0.8', 'skew:0.5', 'iid'];
  const kept = q ? ['topk:0.01+int8'] : ['topk:0.1+int8', 'topk:0.01+int8', 'topk:0.001+int8'];
  const logisticSeeds = q ? 1 : LOGISTIC_SEEDS;
  for (let seed = 1; seed <= logisticSeeds; seed++) {
    for (const partition of partitions) {
      add('logistic', partition, VARIANTS[0]!, 'none', seed, q ? 25 : 50);
      for (const compressor of kept) for (const v of VARIANTS.slice(1)) add('logistic', partition, v, compressor, seed, q ? 25 : 50);
    }
  }
  if (!q) diagnostics('logistic', 50);
  return specs;
}

function analyze(results: readonly RunResult[]): Analysis {
  const tables: Table[] = [];
  const headline: string[][] = [];
  const byCell = groupBy(results, (r) => `${r.spec.tags['model']}|${r.spec.tags['partition']}`);
  for (const [cell, group] of byCell) {
    const [model, partition] = cell.split('|') as [string, string];
    const byVariant = groupBy(group, (r) => `${r.spec.tags['algorithm']}|${r.spec.tags['compressor']}`);
    const accOf = (key: string): number[] => (byVariant.get(key) ?? []).map((r) => r.summary.final.accuracy ?? NaN);
    const bitsOf = (key: string): number => mean((byVariant.get(key) ?? []).map((r) => r.summary.final.bitsSent ?? NaN));
    const sgp = accOf('sgp|none');
    const compressors = [...new Set(group.map((r) => String(r.spec.tags['compressor'])).filter((c) => c !== 'none')), 'none'];
    const rows: string[][] = [];
    if (sgp.length > 0) rows.push(['sgp', 'none', pctMeanStd(sgp), formatBits(bitsOf('sgp|none')), '–', '–', '–']);
    for (const c of compressors) {
      const sp = accOf(`sparse-push|${c}`);
      const spBits = bitsOf(`sparse-push|${c}`);
      const labels = [...new Set((group.filter((r) => r.spec.tags['compressor'] === c)).map((r) => String(r.spec.tags['algorithm'])))].filter((l) => l !== 'sgp');
      for (const label of ['sparse-push', 'sc-qgm', 'sc-tracking', ...labels.filter((l) => l.includes('γ'))]) {
        const runs = byVariant.get(`${label}|${c}`) ?? [];
        if (runs.length === 0) continue;
        const accs = accOf(`${label}|${c}`);
        const bits = bitsOf(`${label}|${c}`);
        const consensus = mean(runs.map((r) => r.summary.final.consensusDistance ?? NaN));
        const loss = mean(sgp) - mean(sp);
        const recovered = label === 'sparse-push' || sgp.length === 0 || !(loss > 0) ? null : (mean(accs) - mean(sp)) / loss;
        const share = recovered === null ? '–' : `${(100 * recovered).toFixed(0)}%`;
        rows.push([label, c, pctMeanStd(accs), formatBits(bits), fmtNum(bits / spBits), fmtNum(consensus), share]);
        if (label === 'sparse-push' || sgp.length === 0) continue;
        const change = partition === 'iid' ? `${(100 * (mean(accs) - mean(sp))).toFixed(2)} pts vs Sparse-Push` : share;
        headline.push([model, partition, c, label, pctMeanStd(sgp), pctMeanStd(sp), pctMeanStd(accs), fmtNum(bits / spBits), change]);
      }
    }
    const seeds = new Set(group.map((r) => r.spec.tags['seed'])).size;
    tables.push({
      title: `${model}, ${partition} (${seeds} seed(s), ${group[0]!.summary.config.rounds} rounds)`,
      headers: ['Algorithm', 'Compressor', 'Accuracy %', 'Bits sent', 'Bits / Sparse-Push', 'Consensus dist.', 'Loss recovered'],
      rows,
      caption: 'Accuracy: the network-average model at the last round (mean ± std over seeds). Bits: all devices, whole run (mean over seeds). Loss recovered: (SC − SP) / (SGP − SP) on the means, when Sparse-Push lost accuracy.',
    });
  }
  tables.unshift({
    title: 'Headline: what each compensation recovers of Sparse-Push\'s loss against SGP (IID: its change against Sparse-Push)',
    headers: ['Model', 'Partition', 'Compressor', 'Compensation', 'SGP %', 'Sparse-Push %', 'SC %', 'Bits / Sparse-Push', 'Loss recovered'],
    rows: headline,
  });
  return { tables, notes: ['Logistic evaluated every 50 rounds (quick: 25), LeNet every 50; the last round is always evaluated.'], reports: [] };
}

export const SKEW_STUDY: StudyDefinition = { id: 'skew', title: 'Skew compensation: qgm and tracking', script: 'bench/repro/skew.ts', args: ARGS, plan, analyze };

if (isMain(import.meta.url)) runMain(() => runStudy(SKEW_STUDY));
