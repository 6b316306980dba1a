/**
 * `sparsepush/browser/config`: the CLI's config schema (defaults, ranges, spec checks; errors name
 * the key) for browser code. A separate entry because the schema library (zod) is several times
 * the size of everything else in `sparsepush/browser`.
 */
export { resolveConfig, DEFAULT_CONFIG, RunConfigSchema } from '../config/schema.js';
export type { RunConfigInput } from '../config/schema.js';
export type { RunConfig } from '../config/types.js';
