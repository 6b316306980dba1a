/**
 * Model registry: spec string -> Learner.
 *
 * Specs: `logistic` (native AssemblyScript learner, registered by the engine through
 * `registerNativeLearner`), `mlp:h1,h2,...` (`mlp` alone = `mlp:128,64`), `lenet`, `resnet20`,
 * `vgg11[:w]` (w = first-stage channels, default 64). tfjs models run on the backend chosen by
 * `selectBackend`; native learners ignore the tfjs backend choice and report backend `native`.
 */
import { ConfigError, SpecError } from '../errors.js';
import { BACKEND_CHOICES, selectBackend, type BackendChoice } from './backend.js';
import { buildSlots, product, publicLayout } from './layout.js';
import { lenetDef } from './lenet.js';
import { logisticLayout } from './logistic.js';
import { mlpDef } from './mlp.js';
import { resnet20Def } from './resnet20.js';
import { TfjsLearner, type ModelDef } from './tfjs/learner.js';
import type { Learner, ParamLayout } from './types.js';
import { vgg11Def } from './vgg11.js';

export { parseModelSpec, MODEL_KINDS, DEFAULT_MLP_HIDDEN, DEFAULT_VGG_WIDTH } from './spec.js';
export type { ModelSpec, ModelKind } from './spec.js';
import { parseModelSpec, type ModelKind, type ModelSpec } from './spec.js';

export interface CreateLearnerOptions {
  /** Per-sample input shape, e.g. [28, 28, 1] or [784] (Dataset.shape). */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** tfjs backend choice (config key `backend`); default `auto`. */
  readonly backend?: BackendChoice;
  /** Tests only: stock tfjs batch norm / loss with autodiff instead of the custom-gradient ops. */
  readonly reference?: boolean;
}

/** A learner implemented without tfjs (the engine registers `logistic`). */
export type NativeLearnerFactory = (spec: ModelSpec, options: CreateLearnerOptions) => Learner | Promise<Learner>;

/** Native learners by model kind; filled by `registerNativeLearner`. */
export const nativeLearners = new Map<string, NativeLearnerFactory>();

/** Register (or replace) a native learner for a model kind, e.g. registerNativeLearner('logistic', ...). */
export function registerNativeLearner(kind: ModelKind, factory: NativeLearnerFactory): void {
  nativeLearners.set(kind, factory);
}

/** Registers the standalone native learner (src/models/logistic.ts) as `logistic`. */
export async function registerNativeLogistic(): Promise<void> {
  const { createNativeLogistic } = await import('./logistic.js');
  registerNativeLearner('logistic', (_spec, o) => createNativeLogistic({ inputShape: o.inputShape, classes: o.classes }));
}

function checkOptions(spec: string, o: CreateLearnerOptions): void {
  if (!Array.isArray(o.inputShape) || o.inputShape.length === 0 || o.inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new SpecError(spec, `input shape must be a non-empty list of positive integers, got [${String(o.inputShape)}]`);
  }
  if (!Number.isInteger(o.classes) || o.classes < 2 || o.classes > 255) {
    throw new SpecError(spec, `number of classes must be an integer in [2, 255] (labels are bytes), got ${o.classes}`);
  }
  if (o.backend !== undefined && !BACKEND_CHOICES.includes(o.backend)) {
    throw new ConfigError('backend', `unknown backend '${String(o.backend)}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
}

/** The tfjs model definition of a parsed spec (validates the input shape against the model). */
export function modelDef(parsed: ModelSpec, inputShape: readonly number[], classes: number): ModelDef {
  switch (parsed.kind) {
    case 'mlp': return mlpDef(parsed.spec, parsed.hidden, inputShape, classes);
    case 'lenet': return lenetDef(parsed.spec, inputShape, classes);
    case 'resnet20': return resnet20Def(parsed.spec, inputShape, classes);
    case 'vgg11': return vgg11Def(parsed.spec, parsed.width, inputShape, classes);
    case 'logistic':
      throw new SpecError(parsed.spec, 'logistic is a native learner; it is not available until the engine registers it (registerNativeLearner)');
  }
}

/**
 * The named tensors of a model's flat parameter and state vectors for an input shape and class
 * count: what model files (model.npz, the tfjs export) name and shape. SpecError for a bad spec
 * or an input the model cannot take.
 */
export function modelLayout(spec: string, inputShape: readonly number[], classes: number): ParamLayout {
  const parsed = parseModelSpec(spec);
  checkOptions(parsed.spec, { inputShape, classes });
  if (parsed.kind === 'logistic') return logisticLayout(product(inputShape), classes);
  const def = modelDef(parsed, inputShape, classes);
  return publicLayout(buildSlots(def.params), buildSlots(def.state));
}

/** Build the learner for a model spec. Throws SpecError / ConfigError naming the spec or `backend`. */
export async function createLearner(spec: string, options: CreateLearnerOptions): Promise<Learner> {
  const parsed = parseModelSpec(spec);
  checkOptions(parsed.spec, options);
  const native = nativeLearners.get(parsed.kind);
  if (native) return native(parsed, options);
  // Validate the model against the input before loading a backend.
  const def = modelDef(parsed, options.inputShape, options.classes);
  const backend = await selectBackend(options.backend ?? 'auto');
  return new TfjsLearner(def, backend, { reference: options.reference ?? false });
}
