/**
 * The run config schema (zod v4): types, ranges, defaults for every key, strict objects (unknown
 * keys are errors) and spec strings checked by src/config/specs.ts. `resolveConfig` turns any input
 * into a RunConfig or throws one ConfigError whose message starts with the key path.
 *
 * Each field carries reference metadata (type text and description) so the Markdown reference
 * (`sparsepush config --reference`) is generated from this file and cannot drift from it.
 */
import { defaultGamma } from '../algorithms/defaults.js';
import { ALGORITHM_NAMES, algorithmsOfKind, isAlgorithmName } from '../algorithms/registry.js';
import { z } from 'zod';
import { ConfigError } from '../errors.js';
import type { RunConfig } from './types.js';
import { runMemoryProblem } from '../engine/limits.js';
import {
  checkCompressorSpec, checkDataSpec, checkModelSpec, checkPartitionSpec,
  checkLrScheduleSpec, checkTopologyFor, checkTopologySpec, checkVolumeSpec, compressorHead, dataSplit,
} from './specs.js';

const SERVER_ALGORITHMS: readonly string[] = algorithmsOfKind('server');

/** Reference metadata of one config key. */
export interface FieldDoc {
  /** Human-readable type and range, e.g. `number in (0, 1]`. */
  type: string;
  description: string;
  /** Shown instead of the default value when the default is derived (e.g. name). */
  defaultText?: string;
}
export const fieldDocs = z.registry<FieldDoc>();

function doc<T extends z.ZodType>(schema: T, meta: FieldDoc): T {
  fieldDocs.add(schema, meta);
  return schema;
}

// ---------------------------------------------------------------- field builders
// Every message starts with "expected ..." so the issue formatter can append ", got <value>".

function numberIn(range: string, ok: (v: number) => boolean, description: string, dflt: number, integer = false) {
  const expected = `expected ${integer ? 'an integer' : 'a number'} ${range}`;
  const base = z.number({ error: expected }).refine((v) => (!integer || Number.isInteger(v)) && ok(v), { error: expected });
  return doc(base.default(dflt), { type: `${integer ? 'integer' : 'number'} ${range}`, description });
}
const positiveInt = (description: string, dflt: number) => numberIn('≥ 1', (v) => v >= 1, description, dflt, true);
const nonNegInt = (description: string, dflt: number) => numberIn('≥ 0', (v) => v >= 0, description, dflt, true);
const positive = (description: string, dflt: number) => numberIn('> 0', (v) => v > 0, description, dflt);
const nonNeg = (description: string, dflt: number) => numberIn('≥ 0', (v) => v >= 0, description, dflt);
/** (0, 1]: compression ratios, consensus steps, participation. */
const ratio = (description: string, dflt: number) => numberIn('in (0, 1]', (v) => v > 0 && v <= 1, description, dflt);
/** [0, 1): probabilities of an event that must not be certain (drops, momentum). */
const probability = (description: string, dflt: number) => numberIn('in [0, 1)', (v) => v >= 0 && v < 1, description, dflt);

function specString(check: (s: string) => string | null, type: string, description: string, dflt: string) {
  const base = z.string({ error: `expected a spec string (${type.replaceAll('\\|', '|')})` }).superRefine((s, ctx) => {
    const problem = check(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
  return doc(base.default(dflt), { type, description });
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, description: string, dflt: T[number]) {
  const expected = `expected one of ${values.join(', ')}`;
  return doc(z.enum(values, { error: expected }).default(dflt), { type: values.join(' \\| '), description });
}

function section<S extends z.ZodRawShape>(shape: S, description: string) {
  const obj = z.strictObject(shape, { error: 'expected a mapping of keys to values' });
  return doc(obj.prefault({} as z.input<typeof obj>), { type: 'object', description });
}

// ---------------------------------------------------------------- the schema

const dataSchema = section({
  train: specString(checkDataSpec, 'mnist \\| fashion-mnist \\| csv:PATH \\| npy:X.npy,y.npy \\| cifar10:DIR \\| synthetic:N,D,C[,blobs\\|linear[,NOISE]]',
    'Training data. CSV: one sample per row, features then the integer class label; a header row is allowed. Relative paths are relative to the working directory.', 'fashion-mnist'),
  test: doc(z.union([z.string(), z.null()], { error: 'expected a dataset spec string or null' }).superRefine((s, ctx) => {
    if (s === null) return;
    const problem = checkDataSpec(s);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).default('fashion-mnist:test'), {
    type: 'dataset spec \\| null', description: 'Test data for accuracy and loss (same forms as train; mnist:test, fashion-mnist:test, cifar10:DIR:test pick a test split). null: the dataset\'s own test split (packaged, cifar10, synthetic) or a 20% hold-out of a csv/npy training file.',
  }),
  partition: specString(checkPartitionSpec, 'iid \\| dirichlet:α \\| skew:s \\| shards:c', 'How labels are dealt to devices: IID, Dirichlet(α) label proportions, label skew (fraction s sorted), or c classes per device.', 'iid'),
  volume: specString(checkVolumeSpec, 'equal \\| natural \\| volume:SR \\| zipf:a', 'Data volume per device: equal, natural (as the label partition deals them), an arithmetic series with p_1/p_n = SR, or Zipf(a).', 'equal'),
  limit: nonNegInt('Use at most this many training samples (0 = all).', 0),
  smallShards: oneOf(['error', 'wrap'] as const, 'A device whose shard is smaller than algorithm.batchSize: error (default), or wrap (its batches span several reshuffled epochs of the shard; strong volume skew such as DAGC\'s volume:1000 needs it).', 'error'),
}, 'Datasets and how they are split over devices.');

const algorithmSchema = section({
  name: oneOf(ALGORITHM_NAMES, `Training algorithm: decentralized (${algorithmsOfKind('decentralized').join(', ')}) or server-based (${SERVER_ALGORITHMS.join(', ')}).`, 'sparse-push'),
  lr: positive('Learning rate η.', 0.05),
  lrSchedule: specString(checkLrScheduleSpec, 'constant \\| cosine \\| step:f1[,f2,...]', 'Learning-rate schedule over the run\'s rounds: constant, cosine decay (never reaching 0), or step decay (x0.1 at each fraction f of the rounds).', 'constant'),
  momentum: probability('Momentum β (local momentum; quasi-global momentum for sc-sparse-push).', 0.9),
  weightDecay: nonNeg('L2 weight decay.', 0),
  batchSize: positiveInt('Mini-batch size per device and local step.', 32),
  localSteps: positiveInt('Local SGD steps per round (H).', 1),
  gamma: doc(z.union([z.number(), z.null()], { error: 'expected a number in (0, 1] or null' })
    .refine((v) => v === null || (v > 0 && v <= 1), { error: 'expected a number in (0, 1] or null' }).default(null), {
    type: 'number in (0, 1] \\| null', defaultText: `the algorithm's (sparse-push and sc-sparse-push: ${defaultGamma('sparse-push')} for sparsifiers keeping >= 1%, 4x smaller per 10x sparser, e.g. ${defaultGamma('sparse-push', 'choco', 'topk:0.001')} at topk:0.001; sparse-push with memory ef: ${defaultGamma('sparse-push', 'ef')}; choco: ${defaultGamma('choco')})`,
    description: 'Consensus step γ of sparse-push, sc-sparse-push and choco (γ = 1 with compressor none makes sparse-push SGP). null picks the algorithm\'s measured default (src/algorithms/defaults.ts). Unused by sgp, dpsgd and the server algorithms.',
  }),
  compensation: oneOf(['qgm', 'tracking'] as const, 'Skew compensation of sc-sparse-push: tracking (gradient tracking on the compressed push-sum; the tracker\'s message shares the compressor\'s kept fraction) or qgm (quasi-global momentum from the in-neighbours\' public copies; no extra message). See docs/algorithms.md.', 'qgm'),
  memory: oneOf(['choco', 'ef'] as const, 'Sparse-Push memory form: choco (public copies) or ef (error feedback; conserves mass for any degree sequence).', 'choco'),
  participation: ratio('Fraction of workers taking part in each round (server algorithms).', 1),
}, 'The training algorithm and its optimiser settings.');

const faultsSchema = section({
  linkDrop: probability('Probability that an edge drops a round\'s message.', 0),
  offline: probability('Probability that a device is offline for a round (neither sends nor receives).', 0),
}, 'Simulated faults, drawn independently per edge / device and round.');

// Virtual clock defaults: a fleet of phones / edge boards training through a JS+WASM runtime.
// - flops 1e9 FLOP/s: sustained single-thread training throughput in WASM on a mobile or edge SoC is
//   a few GFLOP/s (peak SoC figures of 10-100 GFLOP/s are not reached by a small-batch backward
//   pass); 1 GFLOP/s is a round, conservative middle.
// - bandwidth 1e7 bit/s: a typical mobile uplink (~10 Mbit/s median LTE upload in public speed-test
//   reports); uplink, not downlink, is what peer-to-peer pushes are bound by.
// - spreads 0.5 (σ of ln): ~e^{±1} ≈ 2.7x between the 16th and 84th percentile devices, in line
//   with the several-fold spread of device speed and link quality seen in federated-learning traces.
// - latency 5 ms: one Wi-Fi / LAN hop; cellular links are 30-50 ms, set it higher to model them.
const clockSchema = section({
  flops: positive('Median device compute rate, FLOP/s (log-normal across devices).', 1e9),
  flopsSpread: nonNeg('Log-normal spread (σ of ln) of device compute rates; 0 = identical devices.', 0.5),
  bandwidth: positive('Median link bandwidth, bit/s (log-normal across links).', 1e7),
  bandwidthSpread: nonNeg('Log-normal spread (σ of ln) of link bandwidths; 0 = identical links.', 0.5),
  latency: nonNeg('Per-message link latency, seconds.', 0.005),
}, 'Virtual clock: a round takes the slowest device\'s compute time plus its slowest outgoing transfer (bits / bandwidth + latency).');

// Energy defaults (rough, order-of-magnitude figures):
// - tx/rx 5e-8 J/bit = 50 nJ/bit: Wi-Fi transfer energy measured on phones is tens of nJ/bit at
//   good rates (e.g. Balasubramanian et al., IMC 2009; cellular is several times higher).
// - perFlop 1e-10 J = 0.1 nJ/FLOP: a mobile SoC delivers on the order of 10 GFLOP/s per watt.
const energySchema = section({
  txPerBit: nonNeg('Energy per bit sent, J (50 nJ/bit ≈ Wi-Fi on a phone).', 5e-8),
  rxPerBit: nonNeg('Energy per bit received, J.', 5e-8),
  perFlop: nonNeg('Energy per FLOP, J (0.1 nJ/FLOP ≈ mobile SoC).', 1e-10),
}, 'Energy model: bits sent · txPerBit + bits received · rxPerBit + FLOPs · perFlop, per device.');

const checkpointSchema = section({
  every: nonNegInt('Write a checkpoint every this many rounds (0 = never).', 0),
  dir: doc(z.union([z.string().min(1), z.null()], { error: 'expected a directory path or null' }).default(null), {
    type: 'path \\| null', description: 'Checkpoint directory (null = `checkpoints/` inside the run\'s output directory).',
  }),
}, 'Checkpoints (a dump of the arena) for resuming with `run --resume DIR`.');

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const RunConfigSchema = z.strictObject({
  name: doc(z.string({ error: 'expected a run name' })
    .regex(NAME_RE, { error: 'expected a run name of 1-64 letters, digits, ".", "_" or "-" (it names the output directory)' })
    .optional(), {
    type: 'string', description: 'Run name (labels plots, names the output directory `runs/<timestamp>-<name>`).', defaultText: 'the algorithm name',
  }),
  seed: numberIn('in [0, 2^32)', (v) => v >= 0 && v < 2 ** 32, 'Seed of every random stream (data split, sampling, graphs, stochastic compressors, faults).', 1, true),
  devices: positiveInt('Number of devices (workers).', 16),
  rounds: positiveInt('Communication rounds.', 300),
  evalEvery: positiveInt('Evaluate every this many rounds (the last round always): test accuracy and loss of z̄, trainLoss = z̄\'s training objective (mean cross-entropy over the training set, or over a fixed seeded subset of 10,000 samples when it is larger, + weightDecay/2·‖z̄‖²), trainAccuracy on the same samples, batchLoss (mean last mini-batch loss), consensus distance, bits, time, energy.', 10),
  targetAccuracy: numberIn('in [0, 1]', (v) => v >= 0 && v <= 1, 'Stop once test accuracy reaches this and report rounds/bits/time/energy to it (0 = never stop early).', 0),
  init: doc(z.union([z.string().min(1), z.null()], { error: 'expected a model file path or null' }).default(null), {
    type: 'path \\| null',
    description: 'Start every device from a trained model instead of the seeded initialisation: the model.npz (or the tfjs model.json) a finished run wrote, for the same model and data shape (every tensor\'s name and shape must match; batch-norm statistics included). Relative to the working directory. null: the seeded initialisation.',
  }),
  model: specString(checkModelSpec, 'logistic \\| mlp[:W1,W2,...] \\| lenet \\| resnet20 \\| vgg11[:width]', 'Model. logistic runs on the WASM kernels without tfjs (use it for large device counts); mlp alone is mlp:128,64; vgg11:w sets the first-stage channels (default 64).', 'lenet'),
  data: dataSchema,
  topology: specString((s) => checkTopologySpec(s), 'ring \\| directed-ring \\| torus[:RxC] \\| complete \\| star \\| exponential:p \\| random-regular:k \\| erdos-renyi:p[:fixed] \\| edges:FILE', 'Communication graph schedule of the decentralized algorithms (server algorithms use a star).', 'exponential:1'),
  algorithm: algorithmSchema,
  compressor: specString(checkCompressorSpec, 'topk:f \\| randk:f[:scaled] \\| threshold:λ \\| int8[:bucket] \\| int4[:bucket] \\| qsgd:s[:bucket] \\| sign \\| none \\| SPARSIFIER+QUANTIZER', 'Message compressor, e.g. topk:0.01+int8. dagc-r derives per-device ratios from topk:δ̄, dagc-a per-device thresholds from threshold:λ̄.', 'topk:0.01'),
  faults: faultsSchema,
  clock: clockSchema,
  energy: energySchema,
  backend: oneOf(['auto', 'tensorflow', 'wasm', 'cpu'] as const, 'TensorFlow.js backend: auto tries tensorflow (tfjs-node), then wasm, then cpu. summary.json records which one ran.', 'auto'),
  workers: doc(z.preprocess((v) => (v === 'auto' ? 0 : v), z.number({ error: 'expected an integer ≥ 0 or auto' })
    .refine((v) => Number.isInteger(v) && v >= 0, { error: 'expected an integer ≥ 0 or auto' })).default(0), {
    type: 'integer ≥ 0 \\| auto', description: 'Worker threads (0 or auto = number of cores). Results do not depend on it.',
  }),
  checkpoint: checkpointSchema,
}, { error: 'expected a mapping of keys to values' }).superRefine((c, ctx) => {
  // Checks that need more than one key. Zod runs this even when a field already failed its own
  // (non-aborting) check, so each check first makes sure its inputs are valid on their own.
  const validDevices = Number.isInteger(c.devices) && c.devices >= 1;
  const decentralized = !SERVER_ALGORITHMS.includes(c.algorithm.name);
  // Decentralized algorithms build the graph for the device count now, so a torus that does not
  // factor or a degree larger than the network fails before any output directory exists.
  // A run too large for this process is refused here, before its graph is built or its data read.
  const memory = validDevices && checkTopologySpec(c.topology) === null && checkDataSpec(c.data.train) === null
    && Number.isInteger(c.algorithm.batchSize) && isAlgorithmName(c.algorithm.name) ? runMemoryProblem(c as RunConfig) : null;
  if (memory) ctx.addIssue({ code: 'custom', path: memory.key.split('.'), message: memory.message.slice(memory.key.length + 2) });
  if (!memory && decentralized && validDevices && c.devices >= 2 && Number.isInteger(c.seed) && checkTopologySpec(c.topology) === null) {
    const topo = checkTopologyFor(c.topology, c.devices, c.seed);
    if (topo) ctx.addIssue({ code: 'custom', path: ['topology'], message: topo });
  }
  if (checkCompressorSpec(c.compressor) === null) {
    const head = compressorHead(c.compressor);
    if (c.algorithm.name === 'dagc-r' && head !== 'topk') {
      ctx.addIssue({ code: 'custom', path: ['compressor'], message: `dagc-r derives per-device top-k ratios from a topk:δ̄ compressor, got '${c.compressor}'` });
    }
    if (c.algorithm.name === 'dagc-a' && head !== 'threshold') {
      ctx.addIssue({ code: 'custom', path: ['compressor'], message: `dagc-a derives per-device thresholds from a threshold:λ̄ compressor, got '${c.compressor}'` });
    }
  }
  if (c.data.test === null && dataSplit(c.data.train) === 'test') {
    ctx.addIssue({ code: 'custom', path: ['data', 'train'], message: `'${c.data.train}' selects the test split and data.test is null; set data.test or train on the training split` });
  }
  if (decentralized && validDevices && c.devices < 2) {
    ctx.addIssue({ code: 'custom', path: ['devices'], message: `${c.algorithm.name} is decentralized and needs at least 2 devices, got ${c.devices}` });
  }
});

export type RunConfigInput = z.input<typeof RunConfigSchema>;
type Parsed = z.output<typeof RunConfigSchema>;

// Compile-time check: the schema's output is the RunConfig contract (name and a null gamma are
// filled in by resolveConfig).
type AssertAssignable<T extends U, U> = T;
type Resolved = Omit<Parsed, 'algorithm'> & { name: string; algorithm: Omit<Parsed['algorithm'], 'gamma'> & { gamma: number } };
export type SchemaMatchesRunConfig = AssertAssignable<Resolved, RunConfig>;

// ---------------------------------------------------------------- issues -> one line

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = input;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

/** Short, unambiguous rendering of a bad value for an error message. */
function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  let text: string;
  try { text = JSON.stringify(v); } catch { text = String(v); }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(config)' : path.map(String).join('.');
}

function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let schema: z.ZodType = RunConfigSchema;
  for (const key of path) {
    const inner = unwrapObject(schema);
    if (!inner) return [];
    schema = inner.shape[String(key)] as z.ZodType;
    if (!schema) return [];
  }
  const obj = unwrapObject(schema);
  return obj ? Object.keys(obj.shape) : [];
}

/** The strict object inside default/prefault/optional/pipe wrappers, if any. */
export function unwrapObject(schema: z.ZodType): z.ZodObject | null {
  let s: z.ZodType = schema;
  for (let i = 0; i < 8; i++) {
    if (s instanceof z.ZodObject) return s;
    if (s instanceof z.ZodDefault || s instanceof z.ZodPrefault || s instanceof z.ZodOptional) s = s.unwrap() as z.ZodType;
    else if (s instanceof z.ZodPipe) s = s.in as z.ZodType;
    else return null;
  }
  return null;
}

function issueToError(issue: z.core.$ZodIssue, input: unknown): ConfigError {
  if (issue.code === 'unrecognized_keys') {
    const key = keyPath([...issue.path, issue.keys[0]!]);
    const known = knownKeysAt(issue.path);
    return new ConfigError(key, `unknown key${known.length ? ` (expected one of: ${known.join(', ')})` : ''}`);
  }
  const key = keyPath(issue.path);
  const message = issue.message.startsWith('expected')
    ? `${issue.message}, got ${describeValue(valueAt(input, issue.path))}`
    : issue.message;
  return new ConfigError(key, message);
}

// ---------------------------------------------------------------- resolve

/** Keys that would reach Object.prototype when assigned; never config keys. */
const PROTOTYPE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** Throws ConfigError naming the key path when a mapping holds `__proto__` (or constructor/prototype) at any depth. */
export function checkNoPrototypeKeys(value: unknown, file?: string, prefix = ''): void {
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkNoPrototypeKeys(v, file, `${prefix}[${i}]`));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new ConfigError(prefix || '(config)', `expected a plain mapping${file ? ` (in ${file})` : ''}`);
  for (const key of Object.keys(value)) {
    const here = prefix ? `${prefix}.${key}` : key;
    if (PROTOTYPE_KEYS.has(key)) throw new ConfigError(here, `'${key}' is not a config key and is refused${file ? ` (in ${file})` : ''}`);
    checkNoPrototypeKeys((value as Record<string, unknown>)[key], file, here);
  }
}

/** Validate any input (parsed JSON/YAML, partial objects) into a full RunConfig; throws ConfigError. */
export function resolveConfig(input: unknown): RunConfig {
  const raw = input === undefined || input === null ? {} : input;
  checkNoPrototypeKeys(raw);
  const result = RunConfigSchema.safeParse(raw);
  if (!result.success) {
    // Unknown keys first: a misspelt key often explains the other complaints.
    const issues = [...result.error.issues].sort((a, b) =>
      Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'));
    throw issueToError(issues[0]!, raw);
  }
  const { name, ...rest } = result.data;
  const algorithm = { ...rest.algorithm, gamma: rest.algorithm.gamma ?? defaultGamma(rest.algorithm.name, rest.algorithm.memory, rest.compressor) };
  return { name: name ?? rest.algorithm.name, ...rest, algorithm };
}

/** The config every key defaults to (`resolveConfig({})`). */
export const DEFAULT_CONFIG: Readonly<RunConfig> = Object.freeze(resolveConfig({}));
