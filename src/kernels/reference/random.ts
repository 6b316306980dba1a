/**
 * Oracle for assembly/random.ts: the TypeScript RNG is the specification (src/kernels/rng.ts).
 * `fillUniform` mirrors rng_fill_uniform over a typed array.
 */
import { rngUniform } from '../rng.js';

export { mix32, rngKey, rngU32, rngUniform, RandomStream, Purpose } from '../rng.js';

/** out[i] = rngUniform(key, counter0 + i) rounded to f32 (exact: 24-bit values). */
export function fillUniform(key: number, counter0: number, out: Float32Array): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = rngUniform(key, (counter0 + i) >>> 0);
  return out;
}
