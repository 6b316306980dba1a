// The trained model as files: the .npz/.npy/zip encoders against the formats' specifications and
// a numpy-written fixture, every tfjs model's LayersModel export against its learner (loaded with
// tf.loadLayersModel), reading either file back, a run's files (hash = paramsHash), warm starts
// from them (config `init`) and the errors for files that do not fit the model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { resolveConfig } from '../src/config/index.js';
import { loadDataset } from '../src/data/index.js';
import { parseNpy } from '../src/data/npy.js';
import { generateSynthetic } from '../src/data/synthetic.js';
import type { Dataset } from '../src/data/types.js';
import { ConfigError, DataError } from '../src/errors.js';
import { runExperiment } from '../src/engine/run.js';
import { hashParams } from '../src/engine/run.js';
import {
  encodeNpy, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE, MODEL_NPZ, readModelFile, readNpz, tfjsWeightName, writeModelFiles, writeNpz,
} from '../src/model-file/index.js';
import { crc32, readZip, writeZip } from '../src/model-file/zip.js';
import { activateBackend, selectBackend } from '../src/models/backend.js';
import { createLearner, modelLayout } from '../src/models/registry.js';
import { TestRandom } from './support/kernel-memory.js';
import { assertThrowsError } from './support/assert-error.js';

const FIXTURES = new URL('./fixtures/', import.meta.url);

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sparsepush-model-file-'));
}

function throwsData(fn: () => unknown, pattern: RegExp, what: string): void {
  assertThrowsError(fn, DataError, pattern, what);
}

test('zip: CRC-32 of the standard check string, archives round-trip, corruption is refused', () => {
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
  const entries = [{ name: 'a.npy', data: new Uint8Array([1, 2, 3]) }, { name: 'b/c.npy', data: new Uint8Array(0) }];
  const zip = writeZip(entries);
  assert.deepEqual(readZip(zip, 'x.zip').map((e) => [e.name, [...e.data]]), [['a.npy', [1, 2, 3]], ['b/c.npy', []]]);
  assert.deepEqual(writeZip(entries), zip, 'a pure function of its entries');
  const bad = zip.slice();
  bad[30 + 5] ^= 0xff; // a data byte of a.npy
  throwsData(() => readZip(bad, 'x.zip'), /CRC mismatch/, 'corrupt data');
  throwsData(() => readZip(new Uint8Array(40), 'x.zip'), /no end-of-central-directory/, 'not a zip');
});

test('npy: the header numpy writes (v1.0, <f4, C order, data 64-byte aligned), values little-endian', () => {
  for (const shape of [[3], [2, 3], [1, 1, 2, 4], [5, 1]]) {
    const n = shape.reduce((p, d) => p * d, 1);
    const values = Float32Array.from({ length: n }, (_, i) => (i - 2.5) / 3);
    const bytes = encodeNpy(shape, values);
    const headerLen = new DataView(bytes.buffer).getUint16(8, true);
    assert.equal((10 + headerLen) % 64, 0, 'data starts at a multiple of 64');
    const header = new TextDecoder().decode(bytes.subarray(10, 10 + headerLen));
    assert.ok(header.startsWith(`{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.length === 1 ? `${shape[0]},` : shape.join(', ')}), }`), header);
    assert.ok(header.endsWith('\n'));
    const a = parseNpy(bytes, 't.npy');
    assert.deepEqual(a.shape, shape);
    assert.deepEqual(Float32Array.from({ length: n }, (_, i) => a.data.getFloat32(4 * i, true)), values);
  }
});

test('npz: reads numpy-written archives (savez and savez_compressed, float32 and float64)', () => {
  // test/fixtures/numpy-savez.npz and numpy-savez-compressed.npz were written by numpy 2.4:
  //   w = np.arange(6, dtype=np.float32).reshape(2, 3) / 4; b = np.array([-1.5, 2.25])  (float64)
  //   np.savez('numpy-savez.npz', w=w, b=b); np.savez_compressed('numpy-savez-compressed.npz', w=w, b=b)
  for (const name of ['numpy-savez.npz', 'numpy-savez-compressed.npz']) {
    const arrays = readNpz(readFileSync(new URL(name, FIXTURES)), name);
    assert.deepEqual([...arrays.keys()].sort(), ['b', 'w']);
    assert.deepEqual(arrays.get('w')!.shape, [2, 3]);
    assert.deepEqual([...arrays.get('w')!.values], [0, 0.25, 0.5, 0.75, 1, 1.25]);
    assert.deepEqual(arrays.get('b')!.shape, [2]);
    assert.deepEqual([...arrays.get('b')!.values], [-1.5, 2.25]);
  }
  const ours = writeNpz([{ name: 'conv1.weight', shape: [2, 2], values: Float32Array.of(1, 2, 3, 4) }]);
  assert.deepEqual([...readNpz(ours, 'o.npz').get('conv1.weight')!.values], [1, 2, 3, 4]);
});

/** Small inputs for every tfjs model kind (one shape each). */
const TFJS_MODELS: Array<{ model: string; shape: number[] }> = [
  { model: 'mlp:8,5', shape: [6] },
  { model: 'mlp:7', shape: [4, 4, 2] },
  { model: 'lenet', shape: [28, 28, 1] },
  { model: 'resnet20', shape: [8, 8, 3] },
  { model: 'vgg11:2', shape: [32, 32, 3] },
];

function randomData(shape: number[], classes: number, count: number, seed: number): Dataset {
  const flat = generateSynthetic({ count, dims: shape.reduce((p, d) => p * d, 1), classes, generator: 'blobs', noise: 1 }, 'train', seed);
  return { ...flat, shape };
}

/** Loss and correct count of a LayersModel's logits on data. */
function layersEvaluate(model: tfl.LayersModel, data: Dataset): { loss: number; correct: number } {
  return tf.tidy(() => {
    const x = tf.tensor(data.x, [data.count, ...data.shape]);
    const logits = model.predict(x) as tf.Tensor2D;
    const logp = tf.logSoftmax(logits).arraySync();
    const pred = tf.argMax(logits, 1).arraySync() as number[];
    let loss = 0, correct = 0;
    for (let i = 0; i < data.count; i++) {
      loss -= logp[i]![data.y[i]!]!;
      if (pred[i] === data.y[i]) correct++;
    }
    return { loss: loss / data.count, correct };
  });
}

async function loadLayers(dir: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(join(dir, LAYERS_MODEL_JSON), 'utf8')) as {
    modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
  };
  assert.deepEqual(json.weightsManifest[0]!.paths, [LAYERS_WEIGHTS_FILE]);
  const bin = readFileSync(join(dir, LAYERS_WEIGHTS_FILE));
  const weightData = bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength);
  return tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0]!.weights, weightData }));
}

test('every tfjs model: the LayersModel export computes what the learner computes; both files read back exactly', async () => {
  await selectBackend('cpu');
  const rnd = new TestRandom(9);
  for (const { model, shape } of TFJS_MODELS) {
    const classes = 3;
    const learner = await createLearner(model, { inputShape: shape, classes, backend: 'cpu' });
    const dir = tempDir();
    try {
      const params = new Float32Array(learner.paramCount);
      const state = new Float32Array(learner.stateCount);
      learner.init(params, state, 4);
      // Running statistics away from their 0 / 1 start, so batch norm does something.
      for (const s of learner.layout!.state) {
        const variance = s.name.endsWith('runningVar');
        for (let i = s.offset; i < s.offset + s.size; i++) state[i] = variance ? 0.5 + rnd.uniform() : 0.2 * (rnd.uniform() - 0.5);
      }
      const files = await writeModelFiles(dir, { model, inputShape: shape, classes }, { params, state });
      assert.deepEqual(files, [MODEL_NPZ, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE]);
      const layout = modelLayout(model, shape, classes);
      for (const file of [MODEL_NPZ, LAYERS_MODEL_JSON]) {
        const back = readModelFile(join(dir, file), layout);
        assert.deepEqual(back.params, params, `${model} ${file}: parameters`);
        assert.deepEqual(back.state, state, `${model} ${file}: state`);
      }
      const data = randomData(shape, classes, 40, 3);
      activateBackend('cpu');
      const layers = await loadLayers(dir);
      const got = layersEvaluate(layers, data);
      layers.dispose();
      const want = await learner.evaluate(params, state, data, 0, data.count);
      assert.equal(got.correct, want.correct, `${model}: correct predictions`);
      assert.ok(Math.abs(got.loss - want.loss) <= 1e-4 * Math.max(1, want.loss), `${model}: loss ${got.loss} vs ${want.loss}`);
    } finally {
      learner.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('model files that do not fit the model are DataErrors naming the file and the tensor', async () => {
  const dir = tempDir();
  try {
    const layout = modelLayout('mlp:4', [3], 2);
    const params = Float32Array.from({ length: 3 * 4 + 4 + 4 * 2 + 2 }, (_, i) => i / 10);
    await writeModelFiles(dir, { model: 'mlp:4', inputShape: [3], classes: 2 }, { params, state: new Float32Array(0) });
    const npz = join(dir, MODEL_NPZ);
    throwsData(() => readModelFile(npz, modelLayout('mlp:5', [3], 2)), /model\.npz: tensor fc1\.weight has shape \[3, 4\], the model needs \[3, 5\]/, 'wrong width');
    throwsData(() => readModelFile(npz, modelLayout('mlp:4,4', [3], 2)), /model\.npz: tensor fc2\.weight has shape \[4, 2\], the model needs \[4, 4\]/, 'fewer layers');
    const write = (name: string, arrays: Parameters<typeof writeNpz>[0]): string => { const p = join(dir, name); writeFileSync(p, writeNpz(arrays)); return p; };
    const slots = layout.params.map((s) => ({ name: s.name, shape: s.shape, values: params.subarray(s.offset, s.offset + s.size) }));
    throwsData(() => readModelFile(write('missing.npz', slots.slice(1)), layout), /missing\.npz: no tensor fc1\.weight \[3, 4\]/, 'missing tensor');
    throwsData(() => readModelFile(write('extra.npz', [...slots, { name: 'extra', shape: [1], values: Float32Array.of(1) }]), layout), /array extra is not a tensor/, 'extra array');
    const nan = slots.map((s) => (s.name === 'fc2.bias' ? { ...s, values: Float32Array.of(0, Number.NaN) } : s));
    throwsData(() => readModelFile(write('nan.npz', nan), layout), /tensor fc2\.bias holds NaN at element 1/, 'NaN');
    throwsData(() => readModelFile(join(dir, 'model.bin'), layout), /cannot read the model file/, 'absent');
    writeFileSync(join(dir, 'model.txt'), 'x');
    throwsData(() => readModelFile(join(dir, 'model.txt'), layout), /a model file is a \.npz/, 'extension');
    const json = JSON.parse(readFileSync(join(dir, LAYERS_MODEL_JSON), 'utf8')) as { weightsManifest: Array<{ weights: Array<{ name: string }> }> };
    json.weightsManifest[0]!.weights[0]!.name = 'dense_9/kernel';
    writeFileSync(join(dir, 'renamed.json'), JSON.stringify(json));
    throwsData(() => readModelFile(join(dir, 'renamed.json'), layout), /no weight fc1\/kernel \(layout tensor fc1\.weight\)/, 'renamed tfjs weight');
    // Malformed manifests are DataErrors naming the file and the entry, before any weights are read.
    const malformed = (name: string, edit: (j: { weightsManifest: unknown[] }) => void): string => {
      const j = JSON.parse(readFileSync(join(dir, LAYERS_MODEL_JSON), 'utf8')) as { weightsManifest: unknown[] };
      edit(j);
      writeFileSync(join(dir, name), JSON.stringify(j));
      return join(dir, name);
    };
    throwsData(() => readModelFile(malformed('nopaths.json', (j) => { j.weightsManifest[0] = { weights: [] }; }), layout), /nopaths\.json: weightsManifest\[0\] needs paths/, 'group without paths');
    throwsData(() => readModelFile(malformed('badshape.json', (j) => { (j.weightsManifest[0] as { weights: Array<{ shape: unknown }> }).weights[1]!.shape = [-4]; }), layout), /badshape\.json: weightsManifest\[0\]\.weights\[1\] needs a name and a shape of non-negative integers/, 'negative dimension');
    writeFileSync(join(dir, 'null.json'), 'null');
    throwsData(() => readModelFile(join(dir, 'null.json'), layout), /null\.json: not a LayersModel/, 'JSON null');
    assert.equal(tfjsWeightName('s1b1.bn2.runningVar'), 's1b1.bn2/moving_variance');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function syntheticRunData(): { train: Dataset; test: Dataset } {
  const p = { count: 600, dims: 9, classes: 3, generator: 'blobs' as const, noise: 1.5 };
  return { train: generateSynthetic(p, 'train', 4), test: generateSynthetic({ ...p, count: 200 }, 'test', 4) };
}

test('a run writes model.npz holding z_avg (its hash is paramsHash); init starts the next run from it', async () => {
  const dir = tempDir();
  try {
    const data = syntheticRunData();
    const base = {
      seed: 1, devices: 4, rounds: 15, evalEvery: 5, model: 'logistic', topology: 'exponential:1', compressor: 'none',
      data: { train: 'synthetic:1,1,2', test: null }, algorithm: { name: 'sgp', lr: 0.1, batchSize: 16, weightDecay: 1e-3 },
    };
    const a = await runExperiment(resolveConfig(base), { outDir: join(dir, 'a'), data, inline: true });
    assert.deepEqual(a.modelFiles, [MODEL_NPZ]);
    const npz = join(dir, 'a', MODEL_NPZ);
    const values = readModelFile(npz, modelLayout('logistic', [9], 3));
    assert.equal(hashParams(values.params), a.paramsHash, 'model.npz holds z_avg');
    const arrays = readNpz(readFileSync(npz), npz);
    assert.deepEqual(arrays.get('weight')!.shape, [3, 9]);
    assert.deepEqual(arrays.get('bias')!.shape, [3]);

    // Warm start: every device starts at a's z_avg, so b's round-0 line is a's last line.
    const b = await runExperiment(resolveConfig({ ...base, init: npz, rounds: 5 }), { outDir: join(dir, 'b'), data, inline: true });
    const first = JSON.parse(readFileSync(join(dir, 'b', 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>;
    assert.equal(first['round'], 0);
    for (const k of ['accuracy', 'loss', 'trainLoss', 'trainAccuracy'] as const) assert.equal(first[k], a.final[k], `round-0 ${k} = a's final ${k}`);
    assert.equal(first['consensusDistance'], 0);
    assert.notEqual(b.paramsHash, a.paramsHash);

    await assert.rejects(runExperiment(resolveConfig({ ...base, init: npz, model: 'mlp:4' }), { outDir: join(dir, 'c'), data, inline: true }), (err: unknown) => {
      assert.ok(err instanceof ConfigError && err.key === 'init', String(err));
      assert.match((err as Error).message, /^init: .*model\.npz: (no tensor fc1\.weight|array weight is not a tensor)/);
      return true;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a tfjs run writes the LayersModel too, and init reads it back (batch-norm statistics included)', async () => {
  const dir = tempDir();
  try {
    const image = (count: number, split: 'train' | 'test'): Dataset => ({
      ...generateSynthetic({ count, dims: 8 * 8 * 3, classes: 3, generator: 'blobs', noise: 2 }, split, 6), shape: [8, 8, 3],
    });
    const data = { train: image(64, 'train'), test: image(32, 'test') };
    const base = {
      seed: 2, devices: 2, rounds: 2, evalEvery: 1, model: 'resnet20', backend: 'cpu' as const, topology: 'ring', compressor: 'none',
      data: { train: 'synthetic:1,1,2', test: null }, algorithm: { name: 'sgp', lr: 0.05, batchSize: 8 },
    };
    const a = await runExperiment(resolveConfig(base), { outDir: join(dir, 'a'), data, inline: true });
    assert.deepEqual(a.modelFiles, [MODEL_NPZ, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE]);
    const fromJson = readModelFile(join(dir, 'a', LAYERS_MODEL_JSON), modelLayout('resnet20', [8, 8, 3], 3));
    const fromNpz = readModelFile(join(dir, 'a', MODEL_NPZ), modelLayout('resnet20', [8, 8, 3], 3));
    assert.deepEqual(fromJson, fromNpz);
    assert.equal(hashParams(fromJson.params), a.paramsHash);
    const learner = await createLearner('resnet20', { inputShape: [8, 8, 3], classes: 3, backend: 'cpu' });
    const initial = { params: new Float32Array(learner.paramCount), state: new Float32Array(learner.stateCount) };
    learner.init(initial.params, initial.state, 2);
    learner.dispose();
    assert.equal(fromJson.state.length, initial.state.length);
    assert.notDeepEqual(fromJson.state, initial.state, 'the running statistics moved in training and were written');
    const b = await runExperiment(resolveConfig({ ...base, init: join(dir, 'a', LAYERS_MODEL_JSON), rounds: 1 }), { outDir: join(dir, 'b'), data, inline: true });
    const first = JSON.parse(readFileSync(join(dir, 'b', 'metrics.jsonl'), 'utf8').split('\n')[0]!) as Record<string, number>;
    assert.equal(first['accuracy'], a.final.accuracy, 'the same model with the same statistics');
    assert.equal(first['loss'], a.final.loss);
    assert.ok(b.rounds === 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a LeNet run on an MNIST subset: its tfjs export, loaded with tf.loadLayersModel, gives the reported accuracy and loss', async () => {
  const dir = tempDir();
  try {
    const cacheDir = join(dir, 'cache');
    const train = await loadDataset('mnist', { split: 'train', seed: 1, cacheDir, limit: 600 });
    const testSet = await loadDataset('mnist:test', { split: 'train', seed: 1, cacheDir, limit: 400 });
    const config = resolveConfig({
      seed: 3, devices: 4, rounds: 12, evalEvery: 6, model: 'lenet', backend: 'wasm', topology: 'exponential:1', compressor: 'none',
      data: { train: 'mnist', test: null }, algorithm: { name: 'sgp', lr: 0.05, batchSize: 16 },
    });
    const summary = await runExperiment(config, { outDir: join(dir, 'run'), data: { train, test: testSet }, inline: true });
    assert.ok(summary.final.accuracy > 0.2, `LeNet learned something (${summary.final.accuracy})`);
    // The same backend as the run, so the logits agree to the last bit where kernels do.
    await selectBackend('wasm');
    activateBackend('wasm');
    const model = await loadLayers(join(dir, 'run'));
    const got = layersEvaluate(model, testSet);
    model.dispose();
    assert.equal(got.correct / testSet.count, summary.final.accuracy, 'accuracy of the loaded LayersModel');
    assert.ok(Math.abs(got.loss - summary.final.loss) <= 1e-4 * summary.final.loss, `loss ${got.loss} vs reported ${summary.final.loss}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
