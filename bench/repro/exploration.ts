/**
 * The tune study's exploration runs (docs/results/tune/exploration/runs.jsonl): runs made with the
 * public command line outside any study script, while the defaults were being chosen. Their
 * tables are grouped by what each session tried; every row is one run, from its summary.json.
 */
import { join } from 'node:path';
import { fmtNum, type Table } from './common.js';
import { formatRatio } from '../../src/output/format.js';
import { RESULTS_DIR, type RunRecord } from './results-data.js';

export const EXPLORATION = { dir: join(RESULTS_DIR, 'tune', 'exploration') } as const;

interface Group {
  /** Table title (may hold {{facts}}). */
  readonly title: string;
  readonly member: (id: string) => boolean;
}

const CONSTANT_STEP_300 = /^lenet-iid-(sgp|sp-g0\.2)-s[45]$/;

/** In display order; every run belongs to the first group whose rule matches. */
const GROUPS: readonly Group[] = [
  { title: 'Session 8: momentum β 0.7 for Sparse-Push and SC under `skew:1`, and `skew:0.8` (sparsepush 0.2.0)', member: (id) => id.startsWith('v2-') && (id.endsWith('-b0.7') || id.includes('-skew0.8-')) },
  { title: 'Session 7: sparsepush 0.2.0 (wire format v2)', member: (id) => id.startsWith('v2-') },
  { title: 'LeNet-5, top-0.1%, 200 rounds: γ 0.05 (the sparser-compressor default) against the sparse-push study\'s γ 0.2 runs', member: (id) => id.startsWith('lenet-') && id.endsWith('-r200') },
  { title: 'LeNet-5 at a constant step (the default): IID seeds 4 and 5 over 300 rounds; 1,000 rounds (`k10-*`) (sessions 4 and 5)', member: (id) => id.startsWith('k10-') || CONSTANT_STEP_300.test(id) },
  { title: 'LeNet-5, IID and skew:1, 300 rounds (600 for the `r600` runs): Sparse-Push / SC at the defaults with the copies starting at x(0), and the variants tried for SC and for the IID gap', member: (id) => id.startsWith('lenet-') },
  { title: 'Logistic, memory ef: the consensus-step grid behind the ef default γ 0.01', member: (id) => id.startsWith('logistic-') && id.includes('-ef-') },
  { title: 'Logistic, choco form, 300 rounds: γ grid per kept fraction (seed 1)', member: (id) => id.startsWith('g-') },
  { title: 'Logistic, skew:1, 300 rounds: SC momentum 0.9 vs 0.7 (3 seeds), and γ 0.3 over 1,000 rounds', member: (id) => id.startsWith('logistic-') },
  { title: 'LeNet-5 with `algorithm.lrSchedule: cosine` (sessions 4 and 5): 300 rounds (`c-*`), 600 rounds (`c6-*`) and 1,000 rounds (`c10-*`)', member: (id) => /^c(6|10)?-/.test(id) },
  { title: 'LeNet-5 skew:1, 300 rounds (session 5): SC with a larger β and a smaller step (seed 1), and Sparse-Push / SC with milder compression (top-3% and top-10%, seeds 1-3); at the defaults, for comparison, SGP {{accs @tune lenet skew:1 r300 sgp s1-3}}%, Sparse-Push (top-1%) {{accs @tune lenet skew:1 r300 sparse-push topk:0.01+int8 s1-3}}%, SC {{accs @tune lenet skew:1 r300 sc-sparse-push topk:0.01+int8 g0.2 s1-3}}% (seeds 1 / 2 / 3)', member: (id) => id.startsWith('x-') },
];

const HEADERS = ['Model', 'Partition', 'Algorithm', 'Memory', 'Compressor', 'γ', 'lr', 'β', 'lr schedule', 'Rounds', 'Seed', 'Version', 'Avg-model acc. %', 'Device acc. %', 'Consensus dist.', 'Wire ratio', 'Run'];

function row(r: RunRecord): string[] {
  const c = r.summary.config;
  const a = c.algorithm;
  const f = r.summary.final;
  const compressed = a.name !== 'sgp';
  return [
    c.model, c.data.partition, a.name, compressed ? a.memory : '–', c.compressor, compressed ? String(a.gamma) : '–', String(a.lr), String(a.momentum),
    a.lrSchedule ?? 'constant', String(c.rounds), String(c.seed), r.summary.version ?? '–', ((f.accuracy ?? NaN) * 100).toFixed(2), ((f.meanDeviceAccuracy ?? NaN) * 100).toFixed(2),
    fmtNum(f.consensusDistance), formatRatio(f.compressionRatio), `\`${r.id}\``,
  ];
}

function sortKey(r: RunRecord): string {
  const c = r.summary.config;
  const pad = (n: number): string => String(n).padStart(6, '0');
  return [c.model, c.data.partition, pad(c.rounds), c.algorithm.name, c.compressor, String(c.algorithm.gamma), String(c.algorithm.lr), String(c.algorithm.momentum), c.algorithm.lrSchedule ?? 'constant', pad(c.seed), r.id].join('|');
}

/** The exploration tables, every run in exactly one of them (an unassigned run is an error). */
export function explorationTables(records: readonly RunRecord[]): Table[] {
  const buckets = GROUPS.map(() => [] as RunRecord[]);
  for (const r of records) {
    const g = GROUPS.findIndex((x) => x.member(r.id));
    if (g < 0) throw new Error(`exploration run ${r.id} belongs to no table of bench/repro/exploration.ts`);
    buckets[g]!.push(r);
  }
  return GROUPS.map((g, i) => ({
    title: g.title,
    headers: HEADERS,
    rows: buckets[i]!.sort((a, b) => sortKey(a).localeCompare(sortKey(b))).map(row),
  })).filter((t) => t.rows.length > 0);
}
