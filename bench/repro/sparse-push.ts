/**
 * Reproduction study: Sparse-Push (Aketi et al., arXiv 2102.05715) at laptop scale.
 *
 *   node --import tsx bench/repro/sparse-push.ts [--quick] [--seeds N] [--workers N] [--out DIR] [--lenet]
 *
 * Claims checked (the paper's, as docs/RESULTS.md lists them): (1) ~466x less communication than SGP at ~1 point accuracy loss
 * (the paper: CIFAR-10, ResNet-20 / VGG-11, IID); (2) under label skew compressed Sparse-Push loses
 * accuracy against SGP and Skew-Compensated Sparse-Push recovers most of that loss at the same bits.
 *
 * Setting (fixed before any run; not tuned toward the papers' numbers): 16 devices on the
 * time-varying directed exponential graph (exponential:1, one peer per round), Fashion-MNIST
 * (60k train / 10k test), softmax regression (`logistic`, d = 7,850), lr 0.05, momentum 0.9,
 * batch 32, one local step per round, consensus step gamma 0.2 for sparse-push and for
 * sc-sparse-push (the project defaults since commit 9a4cce4, src/algorithms/defaults.ts, chosen by
 * bench/repro/tune.ts on LeNet IID top-1%+int8; until then the study used 0.05, the earlier
 * default), Sparse-Push memory `choco`; memory `ef` runs at its own default 0.01 (0.2 diverges there;
 * defaults.ts DEFAULT_GAMMA_EF). The choco-form public copies start at the initial model x(0) (since
 * 2026-12-04; the same as starting at 0 for logistic, which starts at 0, so only LeNet rows changed).
 * Partitions: iid, skew:0.5, skew:1 (fraction of each class dealt label-sorted).
 * Compared: SGP (uncompressed) vs Sparse-Push with topk 10% / 1% / 0.1%, each also +int8 values,
 * and Skew-Compensated Sparse-Push with the same compressors on the skewed partitions.
 * Quick mode: 250 rounds (evaluated every 25), 1 seed, topk 1% / 0.1% / 0.1%+int8 (SC: 0.1%).
 * Full mode: 1,000 rounds (evaluated every 20), 3 seeds, all six compressors, plus Sparse-Push with
 * memory `ef` at 0.1%, then (seed 1) gamma 0.05 and 0.5 for topk 10% / 1% / 0.1% on iid and
 * skew:1 (Sparse-Push, and SC on skew:1) to show the sensitivity to the consensus step.
 * --lenet adds LeNet-5 runs (IID and skew:1; SGP, Sparse-Push 1% and 0.1%, SC 0.1% on skew:1),
 * 200 rounds (evaluated every 50), as many seeds as the main grid (tfjs in workers, one thread:
 * ~1.5 min per run).
 *
 * Reported per run group: final test accuracy, change against SGP, rounds / bits / energy to
 * 75% and 80% test accuracy (first evaluation at or above), the wire compression ratio (32·d per
 * message / bits actually encoded) and the reduction of bits-to-target against SGP.
 *
 * Measured runtime on the 2-core shared machine (one core free for it, load average 2.5-3), at
 * commit 9a4cce4: --quick: about 1.5 minutes (14 runs); full: about 30 minutes for 3 seeds x 36
 * main-grid runs + 18 sensitivity runs (~13-20 s each), plus ~9 minutes per seed for the 6 --lenet
 * runs (~1.5 min each). (At load 4-9 and before the engine's round pipelining: ~4 min / ~1.5 h.)
 */
import { defaultGamma } from '../../src/algorithms/defaults.js';
import {
  firstReaching, fmtNum, groupBy, hasMilestones, isMain, mean, PARTIAL_NOTE, pctMeanStd, runMain, runStudy, UNKNOWN, type Analysis, type ReportPlan, type RunResult, type RunSpec, type SetValue, type StudyArgSpec, type StudyDefinition, type StudyOptions, type Table,
} from './common.js';
import { formatBits, formatRatio } from '../../src/output/format.js';

const HELP = `bench/repro/sparse-push.ts: SGP vs Sparse-Push vs Skew-Compensated Sparse-Push
(16 devices, exponential:1, Fashion-MNIST, logistic; IID, skew:0.5, skew:1).`;

const TARGETS = [0.75, 0.8] as const;

interface Variant { algorithm: 'sgp' | 'sparse-push' | 'sc-sparse-push'; compressor: string; memory?: 'choco' | 'ef'; gamma?: number }

function slug(s: string): string {
  return s.replace(/:/g, '').replace(/\+/g, '-').replace(/[^\w.-]/g, '_');
}

function variantLabel(v: Variant): string {
  const extra = [v.memory === 'ef' ? 'ef' : '', v.gamma !== undefined && v.algorithm !== 'sgp' && v.gamma !== mainGamma(v) ? `γ=${v.gamma}` : ''].filter((x) => x !== '');
  return extra.length > 0 ? `${v.algorithm} (${extra.join(', ')})` : v.algorithm;
}

/**
 * The consensus step of the main grid, per algorithm: the project defaults
 * (src/algorithms/defaults.ts, measured by bench/repro/tune.ts on LeNet and logistic, IID,
 * top-1%+int8). Set explicitly so that a later change of the defaults cannot change this study
 * silently.
 */
const GAMMA: Readonly<Record<'sparse-push' | 'sc-sparse-push', number>> = { 'sparse-push': 0.2, 'sc-sparse-push': 0.2 };
/** Sparse-Push's default with memory `ef` (DEFAULT_GAMMA_EF in src/algorithms/defaults.ts; 0.2 diverges there). */
const GAMMA_EF = 0.01;

/**
 * The consensus step a variant runs at unless it sets its own: its algorithm's default for its
 * memory form and compressor (GAMMA at top-1% and denser, 4x smaller per 10x sparser: 0.05 at
 * top-0.1%; defaultGamma in src/algorithms/defaults.ts, checked against the pinned values here).
 */
function mainGamma(v: Variant): number | undefined {
  if (v.algorithm === 'sgp') return undefined;
  if (v.memory === 'ef') return GAMMA_EF;
  return defaultGamma(v.algorithm, 'choco', v.compressor);
}

/** The study pins the defaults it was run at: a later change of them must be a visible change here. */
function checkPinnedDefaults(): void {
  const pinned: Array<[string, 'choco' | 'ef', string, number]> = [
    ['sparse-push', 'choco', 'topk:0.01', GAMMA['sparse-push']], ['sc-sparse-push', 'choco', 'topk:0.01', GAMMA['sc-sparse-push']],
    ['sparse-push', 'choco', 'topk:0.001', 0.05], ['sparse-push', 'ef', 'topk:0.001', GAMMA_EF],
  ];
  for (const [a, memory, c, g] of pinned) {
    const now = defaultGamma(a, memory, c);
    if (now !== g) throw new Error(`src/algorithms/defaults.ts now gives gamma ${now} for ${a} (${memory}, ${c}); this study was made at ${g}: update bench/repro/sparse-push.ts and re-run it`);
  }
}
/** Consensus steps of the sensitivity rows (full mode, seed 1), besides each algorithm's main one. */
const SENSITIVITY_GAMMAS = [0.05, 0.2, 0.5] as const;

const ARGS: StudyArgSpec = {
  seeds: { quick: 1, full: 3 }, help: HELP,
  flags: { lenet: 'also run LeNet-5 (slow: tfjs in workers)' },
};

/** The runs of one invocation, in order: the main grid for every seed, then the seed-1 sensitivity rows, then LeNet. */
function plan(opts: StudyOptions): RunSpec[] {
  const q = opts.quick;
  const rounds = q ? 250 : 1000;
  const evalEvery = q ? 25 : 20;
  const partitions = ['iid', 'skew:0.5', 'skew:1'];
  const spCompressors = q ? ['topk:0.01', 'topk:0.001', 'topk:0.001+int8']
    : ['topk:0.1', 'topk:0.01', 'topk:0.001', 'topk:0.1+int8', 'topk:0.01+int8', 'topk:0.001+int8'];
  const scCompressors = q ? ['topk:0.001'] : spCompressors;

  const base = {
    devices: 16, rounds, evalEvery, model: 'logistic', topology: 'exponential:1',
    'data.train': 'fashion-mnist', 'data.test': 'fashion-mnist:test', 'data.volume': 'equal',
    'algorithm.lr': 0.05, 'algorithm.momentum': 0.9, 'algorithm.batchSize': 32, 'algorithm.localSteps': 1,
  };

  const variantsFor = (partition: string): Variant[] => {
    const vs: Variant[] = [{ algorithm: 'sgp', compressor: 'none' }];
    for (const c of spCompressors) vs.push({ algorithm: 'sparse-push', compressor: c, memory: 'choco' });
    if (!q) vs.push({ algorithm: 'sparse-push', compressor: 'topk:0.001', memory: 'ef' });
    if (partition !== 'iid') for (const c of scCompressors) vs.push({ algorithm: 'sc-sparse-push', compressor: c });
    return vs;
  };
  // Sensitivity to the consensus step (full mode, seed 1, iid and skew:1): CHOCO-style gossip
  // needs gamma to shrink with the kept fraction.
  const sensitivityFor = (partition: string): Variant[] => {
    const vs: Variant[] = [];
    if (q || partition === 'skew:0.5') return vs;
    for (const gamma of SENSITIVITY_GAMMAS) {
      for (const c of ['topk:0.1', 'topk:0.01', 'topk:0.001']) {
        const sp: Variant = { algorithm: 'sparse-push', compressor: c, memory: 'choco' };
        const sc: Variant = { algorithm: 'sc-sparse-push', compressor: c };
        if (gamma !== mainGamma(sp)) vs.push({ ...sp, gamma });
        if (partition !== 'iid' && gamma !== mainGamma(sc)) vs.push({ ...sc, gamma });
      }
    }
    return vs;
  };

  const specs: RunSpec[] = [];
  const add = (partition: string, v: Variant, seed: number): void => {
    const memory = v.memory ?? 'choco';
    const main = mainGamma(v);
    const gamma = v.gamma ?? main;
    const off = gamma !== main;
    // SGP has no consensus step (push-sum mixing, gamma unused) and no memory form.
    const own: Record<string, SetValue> = v.algorithm === 'sgp' || gamma === undefined ? {} : { 'algorithm.memory': memory, 'algorithm.gamma': gamma };
    specs.push({
      id: `${slug(partition)}-${v.algorithm}${memory === 'ef' ? '-ef' : ''}${off ? `-g${gamma}` : ''}-${slug(v.compressor)}-s${seed}`,
      sets: { ...base, seed, 'data.partition': partition, 'algorithm.name': v.algorithm, ...own, compressor: v.compressor },
      tags: { model: 'logistic', partition, algorithm: variantLabel(v), compressor: v.compressor, seed },
    });
  };
  // Main grid for every seed first, then the seed-1 sensitivity rows (an interrupted study then has
  // its main grid complete).
  for (let seed = 1; seed <= opts.seeds; seed++) for (const partition of partitions) for (const v of variantsFor(partition)) add(partition, v, seed);
  for (const partition of partitions) for (const v of sensitivityFor(partition)) add(partition, v, 1);
  if (opts.flags.has('lenet')) {
    const lenetVariants: Array<[string, Variant]> = [
      ['iid', { algorithm: 'sgp', compressor: 'none' }], ['iid', { algorithm: 'sparse-push', compressor: 'topk:0.01' }],
      ['iid', { algorithm: 'sparse-push', compressor: 'topk:0.001' }],
      ['skew:1', { algorithm: 'sgp', compressor: 'none' }], ['skew:1', { algorithm: 'sparse-push', compressor: 'topk:0.001' }],
      ['skew:1', { algorithm: 'sc-sparse-push', compressor: 'topk:0.001' }],
    ];
    for (let seed = 1; seed <= opts.seeds; seed++) {
      for (const [partition, v] of lenetVariants) {
        specs.push({
          id: `lenet-${slug(partition)}-${v.algorithm}-${slug(v.compressor)}-s${seed}`,
          sets: { ...base, rounds: 200, evalEvery: 50, model: 'lenet', seed, 'data.partition': partition, 'algorithm.name': v.algorithm, ...(v.algorithm === 'sgp' ? {} : { 'algorithm.memory': 'choco', 'algorithm.gamma': mainGamma(v)! }), compressor: v.compressor },
          tags: { model: 'lenet', partition, algorithm: variantLabel(v), compressor: v.compressor, seed },
        });
      }
    }
  }
  return specs;
}

/** The study's tables from its runs (made now, or read back from docs/results). */
function analyze(results: readonly RunResult[], opts: StudyOptions): Analysis {
  const tables: Table[] = [];
  const reports: ReportPlan[] = [];
  if (results.length === 0) return { tables, notes: [], reports };
  const evalEvery = results[0]!.summary.config.evalEvery;

  const byModelPartition = groupBy(results, (r) => `${r.spec.tags['model']}|${r.spec.tags['partition']}`);
  const headline: string[][] = [];
  let partial = false;
  for (const [key, group] of byModelPartition) {
    const [model, partition] = key.split('|') as [string, string];
    const byVariant = groupBy(group, (r) => `${r.spec.tags['algorithm']}|${r.spec.tags['compressor']}`);
    const sgp = byVariant.get('sgp|none') ?? [];
    const sgpAcc = mean(sgp.map((r) => r.summary.final.accuracy ?? 0));
    const sgpToTarget = TARGETS.map((t) => reachStats(sgp, t));
    const rows: string[][] = [];
    const rowData = new Map<string, { acc: number; bitsRatio: number | null; bitsRatioPartial: boolean; wire: number }>();
    for (const [vk, runs] of byVariant) {
      const [algorithm, compressor] = vk.split('|') as [string, string];
      const accs = runs.map((r) => r.summary.final.accuracy ?? 0);
      const acc = mean(accs);
      const wire = mean(runs.map((r) => r.summary.final.compressionRatio ?? 1));
      const bitsTotal = mean(runs.map((r) => r.summary.final.bitsSent ?? 0));
      const energy = mean(runs.map((r) => r.summary.final.energyJ ?? 0));
      const reach = TARGETS.map((t) => reachStats(runs, t));
      const devAccs = runs.map((r) => r.summary.final.meanDeviceAccuracy ?? NaN);
      const consensus = mean(runs.map((r) => r.summary.final.consensusDistance ?? NaN));
      const cells = [
        algorithm, compressor, pctMeanStd(accs), pctMeanStd(devAccs), sgp.length > 0 ? signed(100 * (acc - sgpAcc)) : '–', fmtNum(consensus),
        formatRatio(wire), formatBits(bitsTotal), `${fmtNum(energy)} J`,
      ];
      reach.forEach((rs, i) => {
        const base = sgpToTarget[i]!;
        partial ||= rs.usable < rs.runs || base.usable < base.runs;
        cells.push(reachCell(rs, (r) => `${fmtNum(r.rounds)} / ${formatBits(r.bits)}`));
        cells.push(rs.reached > 0 && base.reached > 0 ? `${formatRatio(base.bits / rs.bits)}${rs.usable < rs.runs || base.usable < base.runs ? ' †' : ''}` : rs.usable === 0 || base.usable === 0 ? UNKNOWN : '–');
      });
      const hi = reach[reach.length - 1]!;
      cells.push(hi.reached > 0 ? `${fmtNum(hi.energy)} J${hi.usable < hi.runs ? ' †' : ''}` : hi.usable === 0 ? UNKNOWN : '–');
      rows.push(cells);
      const hiBase = sgpToTarget[sgpToTarget.length - 1]!;
      const bitsRatio = hi.reached > 0 && hiBase.reached > 0 ? hiBase.bits / hi.bits : null;
      rowData.set(vk, { acc, bitsRatio, bitsRatioPartial: hi.usable < hi.runs || hiBase.usable < hiBase.runs, wire });
    }
    const seedsNote = group.length > 0 ? `${new Set(group.map((r) => r.spec.tags['seed'])).size} seed(s)` : '';
    tables.push({
      title: `${model} — partition ${partition} (${seedsNote}, ${group[0]!.summary.config.rounds} rounds)`,
      headers: ['Algorithm', 'Compressor', 'Avg-model acc. %', 'Device acc. %', 'Δ vs SGP (pts)', 'Consensus dist.', 'Wire ratio', 'Bits sent', 'Energy',
        ...TARGETS.flatMap((t) => [`Rounds / bits to ${100 * t}%`, `Fewer bits than SGP to ${100 * t}%`]), `Energy to ${100 * TARGETS[TARGETS.length - 1]!}%`],
      rows,
      caption: 'Avg-model acc.: test accuracy of the network-average model Σ z_i / n at the last round (mean ± std over seeds); Δ vs SGP refers to it. Device acc.: mean over devices of each device\'s own model z_i (on the engine\'s device-evaluation subset). Consensus dist.: the engine\'s consensus distance (mean squared distance of the z_i to their average) at the last round. Wire ratio: 32·d per message / bits the codec actually emitted (header, values, indices). Bits / energy: all devices, cumulative. Rounds / bits to X%: first evaluation at or above X% (mean over the seeds that reached it; (k/n) when not all did).',
    });

    // Headline rows: the most compressed Sparse-Push and its SC counterpart against SGP.
    for (const comp of ['topk:0.001', 'topk:0.001+int8', 'topk:0.01']) {
      const sp = rowData.get(`sparse-push|${comp}`);
      if (!sp) continue;
      const sc = rowData.get(`sc-sparse-push|${comp}`);
      const loss = 100 * (sgpAcc - sp.acc);
      const recovered = sc && loss > 0 ? (sc.acc - sp.acc) / (sgpAcc - sp.acc) : null;
      headline.push([
        model, partition, comp, (100 * sgpAcc).toFixed(2), (100 * sp.acc).toFixed(2), signed(-loss), formatRatio(sp.wire), `${formatRatio(sp.bitsRatio)}${sp.bitsRatio !== null && sp.bitsRatioPartial ? ' †' : ''}`,
        sc ? (100 * sc.acc).toFixed(2) : '–', sc ? signed(100 * (sc.acc - sgpAcc)) : '–', recovered === null ? '–' : recovered < 0 ? 'none (SC is worse)' : `${(100 * recovered).toFixed(0)}%`,
      ]);
    }

    const seed1 = (vk: string): RunResult | undefined => byVariant.get(vk)?.find((r) => r.spec.tags['seed'] === 1);
    const pick = ['sgp|none', 'sparse-push|topk:0.01', 'sparse-push|topk:0.001', 'sc-sparse-push|topk:0.001'].map(seed1).filter((r): r is RunResult => r !== undefined);
    // Two plots per model (iid and the strongest skew).
    if (pick.length > 1 && partition !== 'skew:0.5') reports.push({ file: `compare-${model}-${partition.replace(/:/g, '')}.html`, title: `Sparse-Push study: ${model}, ${partition} (seed 1)`, runs: pick.map((r) => r.spec.id) });
  }
  tables.unshift({
    title: 'Headline: Sparse-Push against SGP, and what Skew-Compensated Sparse-Push recovers',
    headers: ['Model', 'Partition', 'Compressor', 'SGP acc. %', 'Sparse-Push acc. %', 'Δ (pts)', 'Wire ratio', 'Fewer bits to 80%', 'SC-Sparse-Push acc. %', 'SC Δ vs SGP (pts)', 'Loss recovered by SC'],
    rows: headline,
    caption: 'Accuracies are means over seeds at the last round. Loss recovered = (SC − SP) / (SGP − SP), shown only when Sparse-Push lost accuracy.',
  });
  const notes = [`Targets: ${TARGETS.map((t) => `${100 * t}%`).join(', ')} test accuracy, checked every ${evalEvery} rounds.`];
  if (partial) notes.push(PARTIAL_NOTE);
  void opts;
  return { tables, notes, reports };
}

export const SPARSE_PUSH_STUDY: StudyDefinition = {
  id: 'sparse-push', title: 'Sparse-Push and Skew-Compensated Sparse-Push (arXiv 2102.05715)', script: 'bench/repro/sparse-push.ts',
  args: ARGS, plan, analyze,
};

interface Reach { runs: number; usable: number; reached: number; rounds: number; bits: number; energy: number; simTimeS: number }

/** First-reaching means over the runs whose kept evaluations allow it (usable); see results-data.ts. */
function reachStats(runs: readonly RunResult[], target: number): Reach {
  const usable = runs.filter(hasMilestones);
  const hits = usable.map((r) => firstReaching(r.metrics, target)).filter((m) => m !== null);
  if (hits.length === 0) return { runs: runs.length, usable: usable.length, reached: 0, rounds: NaN, bits: NaN, energy: NaN, simTimeS: NaN };
  return {
    runs: runs.length, usable: usable.length, reached: hits.length,
    rounds: mean(hits.map((m) => m.round)), bits: mean(hits.map((m) => m.bitsSent ?? 0)),
    energy: mean(hits.map((m) => m.energyJ ?? 0)), simTimeS: mean(hits.map((m) => m.simTimeS ?? 0)),
  };
}

/** "rounds / bits" of the seeds that reached the target, "(k/n)" when not all did, † when some seeds' evaluations were not kept. */
function reachCell(rs: Reach, value: (r: Reach) => string): string {
  if (rs.usable === 0) return UNKNOWN;
  const dagger = rs.usable < rs.runs ? ' †' : '';
  if (rs.reached === 0) return `not reached (0/${rs.usable})${dagger}`;
  return `${value(rs)}${rs.reached < rs.usable ? ` (${rs.reached}/${rs.usable})` : ''}${dagger}`;
}

function signed(x: number): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(2)}`;
}

async function main(): Promise<void> {
  checkPinnedDefaults();
  await runStudy(SPARSE_PUSH_STUDY);
}

if (isMain(import.meta.url)) runMain(main);
