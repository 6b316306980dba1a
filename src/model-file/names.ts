/** The model files a run writes into its directory (docs/model-files.md). */
export const MODEL_NPZ = 'model.npz';
export const LAYERS_MODEL_JSON = 'model.json';
/** The weights file next to model.json. */
export const LAYERS_WEIGHTS_FILE = 'weights.bin';
