/**
 * The trained model as files, and back.
 *
 * A finished run writes `model.npz`: one float32 array per tensor of the model's layout
 * (modelLayout: the parameters, then the learner state such as batch-norm running statistics),
 * named and shaped as the layout defines them, holding the network-average model z̄ and the
 * devices' mean state. tfjs models also get a TensorFlow.js LayersModel: `model.json` +
 * `weights.bin` (layers.ts). readModelFile reads either back into flat vectors (a run's `init`,
 * evaluateModelFile), checking every tensor's name and shape against the layout.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Dataset } from '../data/types.js';
import { DataError } from '../errors.js';
import { writeFileAtomic } from '../output/atomic-write.js';
import { totalSize } from '../models/layout.js';
import { parseModelSpec } from '../models/spec.js';
import type { ParamLayout, TensorSlot } from '../models/types.js';
import { layoutOfModel } from './layout.js';
import { layersModelFiles, readLayersModel } from './layers.js';
import { LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE, MODEL_NPZ } from './names.js';
import { type NamedArray, readNpz, writeNpz } from './npz.js';
import type { ModelShape, ModelValues } from './values.js';

export { tfjsWeightName } from './layers.js';
export { LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE, MODEL_NPZ } from './names.js';
export { encodeNpy, readNpz, writeNpz, type NamedArray } from './npz.js';
export type { ModelShape, ModelValues } from './values.js';

/** The layout's tensors as named arrays (views on the flat vectors). */
export function layoutArrays(layout: ParamLayout, values: ModelValues): NamedArray[] {
  const part = (slots: readonly TensorSlot[], flat: Float32Array): NamedArray[] =>
    slots.map((s) => ({ name: s.name, shape: s.shape, values: flat.subarray(s.offset, s.offset + s.size) }));
  return [...part(layout.params, values.params), ...part(layout.state, values.state)];
}

function checkLengths(layout: ParamLayout, values: ModelValues): void {
  if (values.params.length !== totalSize(layout.params) || values.state.length !== totalSize(layout.state)) {
    throw new DataError(`model values have ${values.params.length} parameters and ${values.state.length} state values, the layout ${totalSize(layout.params)} and ${totalSize(layout.state)}`);
  }
}

/**
 * Writes model.npz into dir, and for tfjs models model.json + weights.bin (each atomically);
 * returns the file names written. The files are a pure function of (shape, values).
 */
export async function writeModelFiles(dir: string, shape: ModelShape, values: ModelValues): Promise<string[]> {
  const layout = await layoutOfModel(shape);
  checkLengths(layout, values);
  const arrays = layoutArrays(layout, values);
  writeFileAtomic(join(dir, MODEL_NPZ), writeNpz(arrays));
  const parsed = parseModelSpec(shape.model);
  if (parsed.kind === 'logistic') return [MODEL_NPZ];
  const { modelDef } = await import('../models/registry.js');
  const { json, weights } = await layersModelFiles(modelDef(parsed, shape.inputShape, shape.classes), arrays);
  writeFileAtomic(join(dir, LAYERS_WEIGHTS_FILE), weights);
  writeFileAtomic(join(dir, LAYERS_MODEL_JSON), json);
  return [MODEL_NPZ, LAYERS_MODEL_JSON, LAYERS_WEIGHTS_FILE];
}

/**
 * Reads a model file (`.npz`, or a LayersModel `.json` with its weights files beside it) into flat
 * vectors laid out as `layout`. Every layout tensor must be present with its exact shape, and no
 * other array may be (DataError naming the file and the tensor).
 */
export function readModelFile(path: string, layout: ParamLayout): ModelValues {
  const file = resolve(path);
  let arrays: Map<string, NamedArray>;
  let bytes: Uint8Array;
  try { bytes = readFileSync(file); } catch (err) { throw new DataError(`cannot read the model file: ${(err as Error).message}`, file); }
  if (file.endsWith('.npz')) {
    arrays = readNpz(bytes, file);
    const known = new Set([...layout.params, ...layout.state].map((s) => s.name));
    for (const name of arrays.keys()) if (!known.has(name)) throw new DataError(`array ${name} is not a tensor of the model's layout`, file);
  } else if (file.endsWith('.json')) {
    const read = (p: string): Uint8Array => {
      try { return readFileSync(resolve(dirname(file), p)); } catch (err) { throw new DataError(`weights file ${p}: ${(err as Error).message}`, file); }
    };
    arrays = readLayersModel(new TextDecoder().decode(bytes), read, layout, file);
  } else {
    throw new DataError('a model file is a .npz (model.npz) or a tfjs LayersModel .json (model.json)', file);
  }
  const fill = (slots: readonly TensorSlot[]): Float32Array => {
    const flat = new Float32Array(totalSize(slots));
    for (const s of slots) {
      const a = arrays.get(s.name);
      if (!a) throw new DataError(`no tensor ${s.name} [${s.shape.join(', ')}] (the model needs ${slots.length} tensors: ${slots.map((t) => t.name).join(', ')})`, file);
      if (a.shape.join() !== s.shape.join()) throw new DataError(`tensor ${s.name} has shape [${a.shape.join(', ')}], the model needs [${s.shape.join(', ')}]`, file);
      for (let i = 0; i < a.values.length; i++) {
        if (!Number.isFinite(a.values[i]!)) throw new DataError(`tensor ${s.name} holds ${a.values[i]} at element ${i}`, file);
      }
      flat.set(a.values, s.offset);
    }
    return flat;
  };
  return { params: fill(layout.params), state: fill(layout.state) };
}

/** Mean cross-entropy and accuracy of a model file's model on a dataset (the model spec must match the file). */
export async function evaluateModelFile(path: string, model: string, data: Dataset, opts: { backend?: 'auto' | 'wasm' | 'cpu' } = {}): Promise<{ loss: number; accuracy: number }> {
  const { createLearner, registerNativeLogistic, nativeLearners } = await import('../models/registry.js');
  if (!nativeLearners.has('logistic')) await registerNativeLogistic();
  const learner = await createLearner(model, { inputShape: data.shape, classes: data.classes, backend: opts.backend ?? 'auto' });
  try {
    const values = readModelFile(path, await layoutOfModel({ model, inputShape: data.shape, classes: data.classes }));
    const r = await learner.evaluate(values.params, values.state, data, 0, data.count);
    return { loss: r.loss, accuracy: r.correct / data.count };
  } finally {
    learner.dispose();
  }
}
