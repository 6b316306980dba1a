/**
 * Numbers in the hand-written results text, computed from the committed runs.
 *
 * A discussion writes `{{STAT SELECTOR}}` where a measured number goes; build-results.ts replaces
 * it with the value computed from docs/results/<study>/<mode>/runs.jsonl, so the text cannot go
 * stale: changing the data changes the text, and `npm run results:check` fails until the rendered
 * files are rebuilt. A selector that matches no run, or runs with different configs (other than
 * the seed), is an error naming the file and line. `{{= TEXT}}` marks a number that is not ours
 * (a paper's figure) and renders TEXT as is.
 *
 * SELECTOR: space-separated filters on a run's resolved config (all must hold):
 *   @sp @spq @dagc @dagcq @scale @scaleq @tune @x   collection (sparse-push full / quick, ...,
 *   @sk @skq                                         tune full, tune exploration, skew); default: the
 *                                                    section's own study, full mode
 *   logistic lenet mlp:.. | iid skew:s dirichlet:a  model | data.partition
 *   sgp sparse-push sc-sparse-push ef-sgd dagc-r ... algorithm.name
 *   topk:f[+q] randk:f threshold:λ none int8 ...    compressor
 *   r300 s1 s1-3 s2,5 g0.2 lr0.05 b0.7 ev50 sr100   rounds, seeds, gamma, lr, momentum, evalEvery, data.volume volume:SR
 *   cosine constant | m:choco ef | v0.2.0 | #id #pre* schedule | memory | sparsepush version | run id (glob)
 *   qgm tracking                                    algorithm.compensation (of sc-sparse-push; runs before it existed: qgm)
 * STAT with several selectors separates them with ';'. A later selector starts from the first one
 * and overrides what it names (`sgp` also sets compressor none and drops gamma and memory; another
 * collection drops the run id and version).
 *
 * STAT (":d" = decimals, ":s" = significant digits):
 *   acc:d accsd:d accs:d        final test accuracy % of the average model: mean, mean ± std, per seed
 *   dacc:d daccsd:d daccs:d     the same for the devices' own models (meanDeviceAccuracy)
 *   cons:s conss:s              final consensus distance: mean, per seed (trainloss:s likewise, via range)
 *   wire wire:0                 mean wire compression ratio ("410x"; :0 rounds to an integer)
 *   bits energy:s wall          mean bits sent (formatBits), energy J, the runs' wall time
 *   perround:s                  wall seconds per round from the first evaluation to the end
 *   n                           number of runs
 *   at:R:d consat:R:s daccat:R:d     accuracy % / consensus distance / device accuracy % at round R
 *   reach:T  reachenergy:T:s    mean first round / energy at or above test accuracy T (every run must reach it)
 *   range:Q:d  rangemeans:Q:d   "min–max" over the runs / over the configs' means of Q (acc, dacc, cons, wire, energy)
 *   gap:d gapsd:d gaps:d A ; B  A − B in points (signed), paired by seed: mean, mean ± std, per seed
 *   gapm:d A ; B                A's mean − B's mean (unpaired, signed)
 *   drop:d A ; B                how far A's mean is below B's, in points, unsigned ("loses 4.5 points")
 *   ratio:Q A ; B               mean Q of A / mean Q of B ("172x"; Q = bits, energy, wire)
 *   rangeratio:Q:s A ; B        "min–max" of the per-seed Q(A) / Q(B)
 *   gapse:d countbelow:T A ; B  standard error of the paired gap; how many seeds' gap is below T points ("3 of 8")
 *   samehash A ; B              how many seeds of A have B's paramsHash ("8 of 8"; A and B may be in other collections)
 *   reachratio:T A ; B          bits to accuracy T of A / of B
 *   iterchange:T iterchangesd:T A ; B   change in % of the first round at or above T, A against B, paired by seed
 *   rec SC ; SP ; SGP           loss recovered on the means, (SC − SP) / (SGP − SP), in % (integer)
 *   recs SC ; SP ; SGP          the same per seed ("41 / 32 / −15")
 *   bench:DEVICES:WORKERS:FIELD:s  a row of the scale study's engine benchmark (roundsPerS, deviceStepsPerS, msPerRound)
 *   speedup:DEVICES             its 2-workers / 1-worker ratio
 */
import { ALGORITHM_NAMES } from '../../src/algorithms/registry.js';
import type { MetricsRecord, RunSummaryFile } from '../../src/metrics/records.js';
import { firstReaching, fmtNum, mean, std } from './common.js';
import { formatBits, formatDuration, formatRatio } from '../../src/output/format.js';
import { canonicalJson, exactMilestones, type RunRecord } from './results-data.js';

const ALIASES: Readonly<Record<string, string>> = {
  sp: 'sparse-push/full', spq: 'sparse-push/quick', dagc: 'dagc/full', dagcq: 'dagc/quick',
  scale: 'scale/full', scaleq: 'scale/quick', tune: 'tune/full', x: 'tune/exploration', sk: 'skew/full', skq: 'skew/quick',
};
const ALGORITHMS: ReadonlySet<string> = new Set(ALGORITHM_NAMES);
const MODELS = /^(logistic|lenet|resnet20|mlp(:[\d,]+)?|vgg11(:\d+)?)$/;
const PARTITIONS = /^(iid|skew:[\d.]+|dirichlet:[\d.]+|shards:\d+)$/;
const COMPRESSORS = /^((topk|randk|threshold|qsgd):[\d.e-]+(:scaled)?(\+(int8|int4|sign|qsgd:\d+))?|none|int8|int4|sign)$/;

/** Config keys that may differ between the runs of one selection (besides the seed). */
const FREE_KEYS = new Set(['name', 'seed', 'workers', 'checkpoint', 'backend']);

interface Filter {
  collection?: string;
  model?: string; partition?: string; algorithm?: string; compressor?: string;
  rounds?: number; seeds?: number[]; gamma?: number; lr?: number; momentum?: number; evalEvery?: number;
  volume?: string; schedule?: string; memory?: string; compensation?: string; version?: string; id?: RegExp;
}

class FactError extends Error {}

function parseFilter(tokens: readonly string[], base: Filter): Filter {
  const f: Filter = { ...base };
  const own: Filter = {};
  for (const t of tokens) {
    const num = (prefix: string): number => {
      const v = Number(t.slice(prefix.length));
      if (!Number.isFinite(v)) throw new FactError(`bad number in '${t}'`);
      return v;
    };
    if (t.startsWith('@')) {
      const c = ALIASES[t.slice(1)] ?? t.slice(1);
      own.collection = c;
    } else if (t.startsWith('#')) {
      const glob = t.slice(1).replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
      own.id = new RegExp(`^${glob}$`);
    } else if (MODELS.test(t)) own.model = t;
    else if (PARTITIONS.test(t)) own.partition = t;
    else if (ALGORITHMS.has(t)) own.algorithm = t;
    else if (COMPRESSORS.test(t)) own.compressor = t;
    else if (/^r\d+$/.test(t)) own.rounds = num('r');
    else if (/^s\d+(-\d+)?$/.test(t)) {
      const [a, b] = t.slice(1).split('-').map(Number) as [number, number | undefined];
      own.seeds = Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
    } else if (/^s\d+(,\d+)+$/.test(t)) own.seeds = t.slice(1).split(',').map(Number);
    else if (/^g[\d.]+$/.test(t)) own.gamma = num('g');
    else if (/^lr[\d.]+$/.test(t)) own.lr = num('lr');
    else if (/^b[\d.]+$/.test(t)) own.momentum = num('b');
    else if (/^ev\d+$/.test(t)) own.evalEvery = num('ev');
    else if (/^sr\d+$/.test(t)) own.volume = `volume:${t.slice(2)}`;
    else if (t === 'cosine' || t === 'constant' || t.startsWith('step:')) own.schedule = t;
    else if (t === 'ef' || t === 'm:ef') own.memory = 'ef';
    else if (t === 'm:choco') own.memory = 'choco';
    else if (t === 'qgm' || t === 'tracking') own.compensation = t;
    else if (/^v\d+\.\d+\.\d+$/.test(t)) own.version = t.slice(1);
    else throw new FactError(`unknown selector word '${t}'`);
  }
  if (own.collection !== undefined && own.collection !== base.collection) {
    // Another collection: the run ids and sparsepush version of the first selector do not carry over.
    delete f.id;
    delete f.version;
  }
  Object.assign(f, own);
  if (own.algorithm === 'sgp') {
    if (own.compressor === undefined) f.compressor = 'none';
    if (own.gamma === undefined) delete f.gamma;
    if (own.memory === undefined) delete f.memory;
  }
  return f;
}

function matches(f: Filter, r: RunRecord): boolean {
  const c = r.summary.config;
  const a = c.algorithm;
  return (f.model === undefined || c.model === f.model)
    && (f.partition === undefined || c.data.partition === f.partition)
    && (f.algorithm === undefined || a.name === f.algorithm)
    && (f.compressor === undefined || c.compressor === f.compressor)
    && (f.rounds === undefined || c.rounds === f.rounds)
    && (f.seeds === undefined || f.seeds.includes(c.seed))
    && (f.gamma === undefined || a.gamma === f.gamma)
    && (f.lr === undefined || a.lr === f.lr)
    && (f.momentum === undefined || a.momentum === f.momentum)
    && (f.evalEvery === undefined || c.evalEvery === f.evalEvery)
    && (f.volume === undefined || c.data.volume === f.volume)
    && (f.schedule === undefined || (a.lrSchedule ?? 'constant') === f.schedule)
    && (f.memory === undefined || a.memory === f.memory)
    && (f.compensation === undefined || (a.compensation ?? 'qgm') === f.compensation)
    && (f.version === undefined || r.summary.version === f.version)
    && (f.id === undefined || f.id.test(r.id));
}

/**
 * The resolved config, with keys added to the config after a run was made filled with the value
 * that run had (algorithm.lrSchedule did not exist before 'constant' was its only behaviour).
 */
function normalizedConfig(r: RunRecord): Record<string, unknown> {
  const c = r.summary.config;
  return { ...c, algorithm: { ...c.algorithm, lrSchedule: c.algorithm.lrSchedule ?? 'constant', compensation: c.algorithm.compensation ?? 'qgm' } } as unknown as Record<string, unknown>;
}

/** The config without the keys that may differ between seeds, as a comparable string. */
function configKey(r: RunRecord): string {
  const c = { ...normalizedConfig(r) };
  for (const k of FREE_KEYS) delete c[k];
  return canonicalJson({ c, v: r.summary.version });
}

function describeDifference(runs: readonly RunRecord[]): string {
  const flat = (o: unknown, p = ''): Record<string, string> => {
    const out: Record<string, string> = {};
    if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) Object.assign(out, flat(v, p ? `${p}.${k}` : k));
    else out[p] = JSON.stringify(o);
    return out;
  };
  const all = runs.map((r) => ({ ...flat(normalizedConfig(r)), version: String(r.summary.version) }));
  const keys = new Set(all.flatMap((x) => Object.keys(x)));
  const diff: string[] = [];
  for (const k of keys) {
    if (FREE_KEYS.has(k.split('.')[0]!)) continue;
    const vals = new Set(all.map((x) => x[k as keyof typeof x]));
    if (vals.size > 1) diff.push(`${k} (${[...vals].join(', ')})`);
  }
  return diff.join('; ');
}

const minus = (s: string): string => s.replace(/^-/, '−');
const signed = (x: number, d: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(d)}`;
const fixed = (x: number, d: number): string => minus(x.toFixed(d));
const bySeed = (rs: readonly RunRecord[]): RunRecord[] => [...rs].sort((a, b) => a.summary.config.seed - b.summary.config.seed);

type Quantity = (r: RunRecord) => number;
const QUANTITIES: Readonly<Record<string, { of: Quantity; fmt: (x: number, p?: number) => string }>> = {
  acc: { of: (r) => 100 * (r.summary.final.accuracy ?? NaN), fmt: (x, d = 2) => fixed(x, d) },
  dacc: { of: (r) => 100 * (r.summary.final.meanDeviceAccuracy ?? NaN), fmt: (x, d = 2) => fixed(x, d) },
  cons: { of: (r) => r.summary.final.consensusDistance ?? NaN, fmt: (x, s = 3) => fmtNum(x, s) },
  wire: { of: (r) => r.summary.final.compressionRatio ?? NaN, fmt: (x, d) => (d === undefined ? formatRatio(x) : `${x.toFixed(d)}x`) },
  trainloss: { of: (r) => Number((r.summary.final as unknown as Record<string, unknown>)['trainLoss'] ?? NaN), fmt: (x, s = 2) => fmtNum(x, s) },
  energy: { of: (r) => r.summary.final.energyJ ?? NaN, fmt: (x, s = 3) => fmtNum(x, s) },
  bits: { of: (r) => r.summary.final.bitsSent ?? NaN, fmt: (x) => formatBits(x) },
};

function quantity(name: string): { of: Quantity; fmt: (x: number, p?: number) => string } {
  const q = QUANTITIES[name];
  if (!q) throw new FactError(`unknown quantity '${name}' (${Object.keys(QUANTITIES).join(', ')})`);
  return q;
}

function evalAt(r: RunRecord, round: number): MetricsRecord {
  const m = r.metrics.find((x) => x.round === round);
  if (!m) throw new FactError(`run ${r.id} has no kept evaluation at round ${round}`);
  return m;
}

function reached(r: RunRecord, target: number): MetricsRecord {
  if (!exactMilestones(r.kept)) throw new FactError(`run ${r.id} kept '${r.kept}' evaluations: first-reaching rounds cannot be recomputed`);
  const m = firstReaching(r.metrics, target);
  if (!m) throw new FactError(`run ${r.id} never reaches ${target}`);
  return m;
}

/** Per-seed pairs of two selections (the seeds both have). */
function paired(a: readonly RunRecord[], b: readonly RunRecord[]): Array<[RunRecord, RunRecord]> {
  const out: Array<[RunRecord, RunRecord]> = [];
  for (const x of bySeed(a)) {
    const y = b.find((r) => r.summary.config.seed === x.summary.config.seed);
    if (y) out.push([x, y]);
  }
  if (out.length === 0) throw new FactError('the selections share no seed');
  return out;
}

const pctShare = (x: number): string => minus((100 * x).toFixed(0));

export class Facts {
  private readonly collections = new Map<string, { records: readonly RunRecord[]; extra: unknown }>();
  /** Numbers written by hand in the rendered sources (lintNumbers), with where. */
  readonly literalNumbers: string[] = [];

  addCollection(name: string, records: readonly RunRecord[], extra?: unknown): void {
    this.collections.set(name, { records, extra });
  }

  /**
   * Replaces every {{...}} of `text`; `where` names the source in errors; `study` picks the default
   * collection. With `errors`, a bad fact is collected there (and rendered as ⟦?⟧) instead of thrown.
   */
  render(text: string, where: string, study: string, errors?: string[]): string {
    const home = study.includes('/') ? study : `${study}/full`;
    const lines = text.split('\n');
    const out = lines.map((line, i) => {
      for (const p of lintNumbers(line)) this.literalNumbers.push(`${where}:${i + 1}: ${p}`);
      // `code spans` are left as written (they may show the {{...}} syntax itself).
      return line.split(/(`[^`]*`)/).map((part) => (part.startsWith('`') ? part : part.replace(/\{\{(.*?)\}\}/g, (_, expr: string) => {
        try {
          return this.evaluate(expr.trim(), home);
        } catch (err) {
          if (!(err instanceof FactError)) throw err;
          const message = `${where}:${i + 1}: {{${expr}}}: ${err.message}`;
          if (!errors) throw new Error(message);
          errors.push(message);
          return '⟦?⟧';
        }
      }))).join('');
    });
    return out.join('\n');
  }

  private select(f: Filter, aggregate: boolean): RunRecord[] {
    const name = f.collection!;
    const c = this.collections.get(name);
    if (!c) throw new FactError(`no committed collection '${name}'`);
    const runs = c.records.filter((r) => matches(f, r));
    if (runs.length === 0) throw new FactError(`no run of ${name} matches`);
    if (aggregate) {
      const keys = new Set(runs.map(configKey));
      if (keys.size > 1) throw new FactError(`the ${runs.length} matching runs of ${name} differ in ${describeDifference(runs)}: narrow the selector`);
      const seeds = runs.map((r) => r.summary.config.seed);
      if (new Set(seeds).size !== seeds.length) throw new FactError(`several matching runs of ${name} share a seed (${runs.map((r) => r.id).join(', ')})`);
    }
    return runs;
  }

  evaluate(expr: string, home: string): string {
    if (expr.startsWith('=')) return expr.slice(1).trim();
    const [head, ...rest] = expr.split(/\s+/);
    const [stat, ...params] = head!.split(':');
    const p = (i: number): number | undefined => (params[i] === undefined ? undefined : Number(params[i]));
    const groupsText = rest.join(' ').split(';').map((s) => s.trim().split(/\s+/).filter((t) => t !== ''));
    const filters: Filter[] = [];
    for (const g of groupsText) filters.push(parseFilter(g, filters[0] ?? { collection: home }));
    const one = (aggregate = true): RunRecord[] => this.select(filters[0]!, aggregate);
    const two = (): [RunRecord[], RunRecord[]] => {
      if (filters.length !== 2) throw new FactError(`${stat} takes two selectors separated by ';'`);
      return [this.select(filters[0]!, true), this.select(filters[1]!, true)];
    };
    const accs = (rs: readonly RunRecord[]): number[] => bySeed(rs).map(QUANTITIES['acc']!.of);
    switch (stat) {
      case 'acc': case 'dacc': {
        const q = quantity(stat);
        return q.fmt(mean(one().map(q.of)), p(0));
      }
      case 'accsd': case 'daccsd': {
        const q = quantity(stat.slice(0, -2));
        const xs = one().map(q.of);
        const d = p(0) ?? 2;
        return xs.length > 1 ? `${fixed(mean(xs), d)} ± ${std(xs).toFixed(d)}` : fixed(xs[0]!, d);
      }
      case 'accs': case 'daccs': case 'conss': {
        const q = quantity(stat.slice(0, -1));
        return bySeed(one()).map((r) => q.fmt(q.of(r), p(0))).join(' / ');
      }
      case 'cons': case 'wire': case 'energy': case 'bits': {
        const q = quantity(stat);
        return q.fmt(mean(one().map(q.of)), p(0));
      }
      case 'wall': return formatDuration(mean(one().map((r) => r.summary.wallTimeS)));
      case 'perround': {
        // As the scale study's table: from the first evaluation (round 0) to the end, evaluations included.
        const per = one().map((r) => {
          const first = r.metrics[0];
          if (!first || first.round !== 0 || typeof first.wallTimeS !== 'number') throw new FactError(`run ${r.id} kept no round-0 evaluation`);
          return ((r.summary.final.wallTimeS ?? r.summary.wallTimeS) - first.wallTimeS) / r.summary.rounds;
        });
        return fmtNum(mean(per), p(0) ?? 2);
      }
      case 'n': return String(one(false).length);
      case 'at': case 'daccat': {
        const round = p(0);
        if (round === undefined) throw new FactError(`${stat} needs a round (${stat}:R)`);
        const field = stat === 'at' ? 'accuracy' : 'meanDeviceAccuracy';
        return fixed(100 * mean(one().map((r) => evalAt(r, round)[field] ?? NaN)), p(1) ?? 2);
      }
      case 'consat': {
        const round = p(0);
        if (round === undefined) throw new FactError('consat needs a round (consat:R)');
        return fmtNum(mean(one().map((r) => evalAt(r, round).consensusDistance ?? NaN)), p(1) ?? 3);
      }
      case 'reach': case 'reachenergy': {
        const t = p(0);
        if (t === undefined) throw new FactError(`${stat} needs a target (${stat}:0.8)`);
        const hits = one().map((r) => reached(r, t));
        return stat === 'reach' ? fmtNum(mean(hits.map((m) => m.round))) : fmtNum(mean(hits.map((m) => m.energyJ ?? NaN)), p(1) ?? 3);
      }
      case 'reachratio': {
        const t = p(0);
        if (t === undefined) throw new FactError('reachratio needs a target (reachratio:0.8)');
        const [a, b] = two();
        const bits = (rs: RunRecord[]): number => mean(rs.map((r) => reached(r, t).bitsSent ?? NaN));
        return formatRatio(bits(a) / bits(b));
      }
      case 'iterchange': case 'iterchangesd': {
        const t = p(0);
        if (t === undefined) throw new FactError(`${stat} needs a target (${stat}:0.7)`);
        const [a, b] = two();
        const changes = paired(a, b).map(([x, y]) => 100 * (reached(x, t).round - reached(y, t).round) / reached(y, t).round);
        const m = mean(changes);
        return stat === 'iterchange' || changes.length === 1 ? signed(m, 1) : `${signed(m, 1)} ± ${std(changes).toFixed(1)}`;
      }
      case 'range': case 'rangemeans': {
        const q = quantity(params[0] ?? '');
        const d = p(1);
        let xs: number[];
        if (stat === 'range') xs = one(false).map(q.of);
        else {
          const groups = new Map<string, number[]>();
          for (const r of one(false)) {
            const k = configKey(r);
            groups.set(k, [...(groups.get(k) ?? []), q.of(r)]);
          }
          xs = [...groups.values()].map(mean);
        }
        const lo = q.fmt(Math.min(...xs), d);
        const hi = q.fmt(Math.max(...xs), d);
        return lo === hi ? lo : `${lo.replace(/x$/, '')}–${hi}`;
      }
      case 'gap': case 'gapsd': case 'gaps': case 'gapse': case 'countbelow': {
        const [a, b] = two();
        const diffs = paired(a, b).map(([x, y]) => QUANTITIES['acc']!.of(x) - QUANTITIES['acc']!.of(y));
        if (stat === 'countbelow') {
          const t = p(0);
          if (t === undefined) throw new FactError('countbelow needs a threshold in points (countbelow:-1.5)');
          return `${diffs.filter((x) => x < t).length} of ${diffs.length}`;
        }
        const d = p(0) ?? 2;
        if (stat === 'gapse') return (std(diffs) / Math.sqrt(diffs.length)).toFixed(d);
        if (stat === 'gaps') return diffs.map((x) => signed(x, d)).join(' / ');
        if (stat === 'gap' || diffs.length === 1) return signed(mean(diffs), d);
        return `${signed(mean(diffs), d)} ± ${std(diffs).toFixed(d)}`;
      }
      case 'gapm': {
        const [a, b] = two();
        return signed(mean(accs(a)) - mean(accs(b)), p(0) ?? 2);
      }
      case 'drop': {
        const [a, b] = two();
        return fixed(mean(accs(b)) - mean(accs(a)), p(0) ?? 2);
      }
      case 'samehash': {
        const [a, b] = two();
        const pairs = paired(a, b);
        return `${pairs.filter(([x, y]) => x.summary.paramsHash === y.summary.paramsHash).length} of ${pairs.length}`;
      }
      case 'rangeratio': {
        const q = quantity(params[0] ?? '');
        const [a, b] = two();
        const xs = paired(a, b).map(([x, y]) => q.of(x) / q.of(y));
        const lo = fmtNum(Math.min(...xs), p(1) ?? 3);
        const hi = fmtNum(Math.max(...xs), p(1) ?? 3);
        return lo === hi ? lo : `${lo}–${hi}`;
      }
      case 'ratio': {
        const q = quantity(params[0] ?? '');
        const [a, b] = two();
        return formatRatio(mean(a.map(q.of)) / mean(b.map(q.of)));
      }
      case 'rec': case 'recs': {
        if (filters.length !== 3) throw new FactError(`${stat} takes three selectors: SC ; SP ; SGP`);
        const [sc, sp, sgp] = filters.map((f) => this.select(f, true)) as [RunRecord[], RunRecord[], RunRecord[]];
        if (stat === 'rec') {
          const [m1, m2, m3] = [sc, sp, sgp].map((rs) => mean(accs(rs))) as [number, number, number];
          return pctShare((m1 - m2) / (m3 - m2));
        }
        return paired(sc, sp).map(([x, y]) => {
          const z = sgp.find((r) => r.summary.config.seed === x.summary.config.seed);
          if (!z) throw new FactError(`no SGP run for seed ${x.summary.config.seed}`);
          const [a, b, c] = [x, y, z].map(QUANTITIES['acc']!.of) as [number, number, number];
          return pctShare((a - b) / (c - b));
        }).join(' / ');
      }
      case 'bench': case 'speedup': {
        const c = this.collections.get(filters[0]?.collection ?? home);
        const bench = c?.extra as { rows?: Array<Record<string, number>>; speedups?: Array<{ devices: number; speedup2v1: number }> } | undefined;
        if (!bench?.rows) throw new FactError(`collection ${filters[0]?.collection ?? home} has no engine benchmark`);
        if (stat === 'speedup') {
          const s = bench.speedups?.find((x) => x.devices === p(0));
          if (!s) throw new FactError(`no speedup at ${params[0]} devices`);
          return `${s.speedup2v1.toFixed(2)}x`;
        }
        const row = bench.rows.find((x) => x['devices'] === p(0) && x['workers'] === p(1));
        const field = params[2];
        if (!row || field === undefined || typeof row[field] !== 'number') throw new FactError(`no benchmark row ${params.join(':')}`);
        return fmtNum(row[field], p(3) ?? 3);
      }
      default:
        throw new FactError(`unknown statistic '${stat}'`);
    }
  }
}

/**
 * Measured-looking numbers written by hand in a source line (outside {{...}}, `code` and URLs):
 * numbers ≥ 1 with two decimals (84.85) and ratios of 10x or more (410x; powers of ten excepted). They belong in a {{fact}},
 * or in {{= ...}} when they are not ours (a paper's figure).
 */
export function lintNumbers(line: string): string[] {
  const bare = line.replace(/\{\{.*?\}\}/g, ' ').replace(/`[^`]*`/g, ' ').replace(/\]\([^)]*\)/g, '] ').replace(/<!--.*?-->/g, ' ');
  const out: string[] = [];
  for (const m of bare.matchAll(/(?<![\w.])[1-9]\d*\.\d{2}(?![\d])|(?<![\w.])\d{2,}(\.\d+)?x\b/g)) {
    if (/^10+x$/.test(m[0])) continue; // "10x sparser", "100x fewer bits": round figures of speech and targets, not measurements
    out.push(`'${m[0]}' written by hand`);
  }
  return out;
}

export type { RunSummaryFile };
