export type { RunConfig, AlgorithmConfig, DataConfig, ClockConfig, EnergyConfig } from './types.js';
export { RunConfigSchema, resolveConfig, DEFAULT_CONFIG } from './schema.js';
export type { RunConfigInput, FieldDoc } from './schema.js';
export { readConfigFile, loadConfigFile, applySet, setKey, configToYaml } from './load.js';
export type { RawConfig } from './load.js';
export { configReferenceMarkdown, configReferenceRows, configReferenceBlock } from './reference.js';
