/**
 * The tfjs model registry in a browser: the wasm backend fetches its .wasm files from a URL prefix
 * the page gives (Node finds them in the installed package). Loaded only for models other than
 * logistic, so a logistic run never downloads tfjs.
 */
import type { ModelRegistry } from '../engine/worker/runtime.js';

export async function loadBrowserModels(tfjsWasm: string | undefined): Promise<ModelRegistry> {
  const backend = await import('../models/backend.js');
  if (tfjsWasm !== undefined) backend.setWasmBinaryPrefix(tfjsWasm);
  return import('../models/registry.js');
}
