/**
 * The TensorFlow.js LayersModel form of a tfjs model: `model.json` (format `layers-model`: the
 * tfjs-layers topology and a weights manifest) plus one weights file, as tf.io's file handlers
 * write them and tf.loadLayersModel reads them. The network comes from the model's own
 * ModelDef.layers(); layout tensor `P.K` is the weight `P/<tfjs name of K>` of layer P
 * (tfjsWeightName). Weights of non-trainable layers (resnet20's fixed shortcut projections) are
 * not layout tensors: written, and ignored when read back.
 */
import { product } from '../models/layout.js';
import type { ModelDef } from '../models/tfjs/learner.js';
import type { ParamLayout, TensorSlot } from '../models/types.js';
import { DataError } from '../errors.js';
import { LAYERS_WEIGHTS_FILE } from './names.js';
import type { NamedArray } from './npz.js';

/** Layout tensor kind -> tfjs-layers weight name. */
const TFJS_SUFFIX: Readonly<Record<string, string>> = {
  weight: 'kernel', bias: 'bias', gamma: 'gamma', beta: 'beta', runningMean: 'moving_mean', runningVar: 'moving_variance',
};

/** `conv1.weight` -> `conv1/kernel`, `bn0.runningVar` -> `bn0/moving_variance`. */
export function tfjsWeightName(layoutName: string): string {
  const dot = layoutName.lastIndexOf('.');
  const suffix = dot > 0 ? TFJS_SUFFIX[layoutName.slice(dot + 1)] : undefined;
  if (suffix === undefined) throw new DataError(`layout tensor ${layoutName} has no tfjs-layers weight name (expected <layer>.${Object.keys(TFJS_SUFFIX).join('|')})`);
  return `${layoutName.slice(0, dot)}/${suffix}`;
}

/** model.json (text) and the weights file of def's LayersModel holding the given layout arrays. */
export async function layersModelFiles(def: ModelDef, arrays: readonly NamedArray[]): Promise<{ json: string; weights: Uint8Array }> {
  const tf = await import('@tensorflow/tfjs-core');
  const tfl = await import('@tensorflow/tfjs-layers');
  const { activateBackend, selectBackend } = await import('../models/backend.js');
  await selectBackend('cpu');
  activateBackend('cpu');
  const byName = new Map(arrays.map((a) => [tfjsWeightName(a.name), a]));
  const model = def.layers(tfl);
  try {
    const used = new Set<string>();
    for (const layer of model.layers) {
      if (layer.weights.length === 0 || !layer.trainable) continue;
      const tensors = layer.weights.map((w) => {
        const a = byName.get(w.originalName);
        if (!a) throw new DataError(`the ${def.spec} LayersModel has weight ${w.originalName}, which no layout tensor maps to`);
        if (a.shape.join() !== w.shape.join()) throw new DataError(`${a.name} has shape [${a.shape.join(', ')}], the LayersModel weight ${w.originalName} [${w.shape.join(', ')}]`);
        used.add(w.originalName);
        return tf.tensor(a.values, a.shape as number[], 'float32');
      });
      layer.setWeights(tensors);
      tf.dispose(tensors);
    }
    for (const name of byName.keys()) if (!used.has(name)) throw new DataError(`layout tensor ${byName.get(name)!.name} has no weight ${name} in the ${def.spec} LayersModel`);
    let saved: import('@tensorflow/tfjs-core').io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }));
    const a = saved!;
    const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(a.weightData!));
    const json = {
      format: 'layers-model',
      generatedBy: a.generatedBy,
      convertedBy: null,
      modelTopology: a.modelTopology,
      weightsManifest: [{ paths: [LAYERS_WEIGHTS_FILE], weights: a.weightSpecs }],
    };
    return { json: `${JSON.stringify(json)}\n`, weights };
  } finally {
    model.dispose();
  }
}

interface WeightSpec { name: string; shape: number[]; dtype?: string; quantization?: unknown }
interface LayerJson { class_name?: string; config?: { name?: string; trainable?: boolean; layers?: LayerJson[] } }

/**
 * The layout arrays of a LayersModel: `json` is model.json's text, `readWeights(path)` the bytes of
 * a weights file named in its manifest. float32 weights only; DataError naming `file` otherwise.
 */
export function readLayersModel(json: string, readWeights: (path: string) => Uint8Array, layout: ParamLayout, file: string): Map<string, NamedArray> {
  const fail = (msg: string): never => { throw new DataError(msg, file); };
  let doc: { format?: string; modelTopology?: unknown; weightsManifest?: Array<{ paths: string[]; weights: WeightSpec[] }> };
  try { doc = JSON.parse(json) as typeof doc; } catch (err) { return fail(`not JSON: ${(err as Error).message}`); }
  if (doc === null || typeof doc !== 'object') fail('not a LayersModel (the JSON is not an object)');
  if (doc.format !== undefined && doc.format !== 'layers-model') fail(`format '${doc.format}', expected 'layers-model'`);
  if (!Array.isArray(doc.weightsManifest)) fail('no weightsManifest');
  const fixed = fixedLayers(doc.modelTopology);
  const found = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const [g, group] of doc.weightsManifest!.entries()) {
    if (!Array.isArray(group?.paths) || !group.paths.every((p) => typeof p === 'string') || !Array.isArray(group.weights)) {
      fail(`weightsManifest[${g}] needs paths (a list of file names) and weights (a list)`);
    }
    for (const [j, w] of group.weights.entries()) {
      if (typeof w?.name !== 'string' || !Array.isArray(w.shape) || !w.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
        fail(`weightsManifest[${g}].weights[${j}] needs a name and a shape of non-negative integers`);
      }
    }
    const parts = group.paths.map((p) => readWeights(p));
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { bytes.set(p, at); at += p.length; }
    let offset = 0;
    for (const w of group.weights) {
      if ((w.dtype ?? 'float32') !== 'float32' || w.quantization) fail(`weight ${w.name} is ${w.quantization ? 'quantized' : w.dtype}; only float32 weights are read`);
      const count = product(w.shape);
      if (offset + 4 * count > bytes.length) fail(`weights end at byte ${bytes.length}, weight ${w.name} needs ${offset + 4 * count}`);
      const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, 4 * count);
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = dv.getFloat32(4 * i, true);
      found.set(w.name, { shape: w.shape, values });
      offset += 4 * count;
    }
    if (offset !== bytes.length) fail(`${bytes.length - offset} bytes after the last weight of group ${group.paths.join(', ')}`);
  }
  const out = new Map<string, NamedArray>();
  const wanted = new Set<string>();
  for (const slot of [...layout.params, ...layout.state] as TensorSlot[]) {
    const name = tfjsWeightName(slot.name);
    wanted.add(name);
    const w = found.get(name);
    if (!w) fail(`no weight ${name} (layout tensor ${slot.name})`);
    out.set(slot.name, { name: slot.name, shape: w!.shape, values: w!.values });
  }
  for (const name of found.keys()) {
    if (!wanted.has(name) && !fixed.has(name.slice(0, name.lastIndexOf('/')))) fail(`weight ${name} is not in the model's layout`);
  }
  return out;
}

/** Names of the non-trainable layers of a tfjs-layers topology (their weights are fixed, not layout tensors). */
function fixedLayers(topology: unknown): Set<string> {
  const out = new Set<string>();
  const root = (topology as { model_config?: LayerJson } | undefined)?.model_config ?? (topology as LayerJson | undefined);
  const layers = root?.config?.layers;
  for (const l of Array.isArray(layers) ? layers : []) if (l?.config?.trainable === false && l.config.name) out.add(l.config.name);
  return out;
}
