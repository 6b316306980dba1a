/**
 * A model's layout for a model file, without loading TensorFlow.js for the native logistic model
 * (importing the model registry loads the tfjs backends, ~1.5 s). Portable: no Node built-ins.
 */
import { logisticLayout } from '../models/logistic.js';
import { product } from '../models/layout.js';
import { parseModelSpec } from '../models/spec.js';
import type { ParamLayout } from '../models/types.js';
import type { ModelShape } from './values.js';

export async function layoutOfModel(shape: ModelShape): Promise<ParamLayout> {
  if (parseModelSpec(shape.model).kind === 'logistic') return logisticLayout(product(shape.inputShape), shape.classes);
  const { modelLayout } = await import('../models/registry.js');
  return modelLayout(shape.model, shape.inputShape, shape.classes);
}
