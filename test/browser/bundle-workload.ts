// What the bundler test runs, the same code in Node and in the page bundled from `sparsepush/browser`:
// compress + encode + parse + decode a vector with several compressors, one logistic gradient, one
// round of a topology and one partition. Results are hex strings / plain arrays for exact comparison.
import type * as Browser from '../../src/browser/index.js';

export type WorkloadLibrary = Pick<typeof Browser, 'createCompressor' | 'createNativeLogistic' | 'createTopology' | 'partition' | 'rngKey' | 'Purpose'>;

export const WORKLOAD = {
  d: 10_007,
  seed: 20240607,
  specs: ['none', 'topk:0.01+int8', 'randk:0.05', 'qsgd:4', 'sign', 'threshold:2+int4', 'topk:0.1+int4'],
  logistic: { dIn: 20, classes: 5, count: 33 },
} as const;

export interface WorkloadResult {
  compress: { spec: string; bits: number; bytes: string; decoded: string }[];
  logistic: { loss: number; grad: string };
  topology: number[][];
  shards: number[][];
}

/** 24-bit LCG values in [-8, 8), exact in f32 (the same vector on every platform). */
function lcg(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = ((s >>> 8) - 8388608) / 1048576;
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, '0');
  return out;
}
const f32hex = (x: Float32Array): string => hex(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));

export async function runWorkload(lib: WorkloadLibrary): Promise<WorkloadResult> {
  const { d, seed, specs } = WORKLOAD;
  const x = lcg(d, seed);
  const compress: WorkloadResult['compress'] = [];
  for (const [k, spec] of specs.entries()) {
    const c = await lib.createCompressor(spec);
    const msg = c.compress(x, { rngKey: lib.rngKey(seed, k, 7, lib.Purpose.randk) });
    const bytes = c.encode(msg);
    const out = new Float32Array(d);
    c.decode(c.parse(bytes, d), out);
    compress.push({ spec, bits: msg.bits, bytes: hex(bytes), decoded: f32hex(out) });
  }

  const { dIn, classes, count } = WORKLOAD.logistic;
  const learner = await lib.createNativeLogistic({ inputShape: [dIn], classes });
  const params = lcg(learner.paramCount, seed + 1).map((v) => v / 16);
  const bx = lcg(count * dIn, seed + 2);
  const by = Uint8Array.from({ length: count }, (_, i) => (i * 7) % classes);
  const grad = new Float32Array(learner.paramCount);
  const loss = await learner.gradient(params, new Float32Array(0), { x: bx, y: by, count }, grad);
  learner.dispose();

  const topology = lib.createTopology('random-regular:3', 12, { seed }).round(5).outPeers.map((p) => [...p]);
  const labels = Uint8Array.from({ length: 500 }, (_, i) => (i * 31) % 10);
  const shards = lib.partition({ name: 'workload', y: labels, classes: 10, count: 500 }, 'dirichlet:0.5', 'equal', 8, seed).shards.map((s) => [...s]);
  return { compress, logistic: { loss, grad: f32hex(grad) }, topology, shards };
}
