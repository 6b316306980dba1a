/**
 * `synthetic:N,D,C[,blobs|linear[,NOISE]]`: generated classification data, a pure function of
 * (spec, seed, split). Shape [D]; C classes.
 * - `blobs` (default, NOISE 1): class means mu_c ~ N(0, I_D); sample i has label i mod C
 *   (balanced, interleaved) and features mu_label + NOISE * N(0, I_D).
 * - `linear` (NOISE 0.1): a random linear teacher W (C x D, entries N(0, 1/D)); features
 *   x ~ N(0, I_D); label argmax_c (W x)_c + NOISE * N(0, 1) (classes need not be balanced).
 * The class means / teacher come from (seed, stream 1); train samples from stream 2, test samples
 * from stream 3, so `split: 'test'` gives N fresh samples of the same problem. Train and test must
 * be loaded with the same seed.
 */
import { SETUP_REPORT_EVERY, setupStage, type SetupListener } from '../setup-progress.js';
import { DataPurpose, normal, openStream } from './random.js';
import { sharedFloat32, sharedUint8 } from './shared.js';
import type { Split, SyntheticKind } from './spec.js';
import type { Dataset } from './types.js';

export interface SyntheticParams {
  readonly count: number;
  readonly dims: number;
  readonly classes: number;
  readonly generator: SyntheticKind;
  readonly noise: number;
}

export function generateSynthetic(p: SyntheticParams, split: Split, seed: number, limit?: number, onProgress?: SetupListener): Dataset {
  const { dims: d, classes: c, noise } = p;
  const count = limit && limit > 0 && limit < p.count ? limit : p.count;
  const report = setupStage(onProgress, `generating synthetic:${p.count},${d},${c} (${split})`, count, 'samples');
  const teacherRng = openStream(seed, 1, 0, DataPurpose.data);
  const teacher = new Float64Array(c * d);
  const teacherScale = p.generator === 'linear' ? 1 / Math.sqrt(d) : 1;
  for (let i = 0; i < teacher.length; i++) teacher[i] = normal(teacherRng) * teacherScale;

  const rng = openStream(seed, split === 'train' ? 2 : 3, 0, DataPurpose.data);
  const x = sharedFloat32(count * d);
  const y = sharedUint8(count);
  for (let i = 0; i < count; i++) {
    if (i % SETUP_REPORT_EVERY === 0 && i > 0) report(i);
    const row = i * d;
    if (p.generator === 'blobs') {
      const label = i % c;
      y[i] = label;
      for (let j = 0; j < d; j++) x[row + j] = teacher[label * d + j]! + noise * normal(rng);
    } else {
      for (let j = 0; j < d; j++) x[row + j] = normal(rng);
      let best = 0;
      let bestScore = -Infinity;
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += teacher[k * d + j]! * x[row + j]!;
        s += noise * normal(rng);
        if (s > bestScore) {
          bestScore = s;
          best = k;
        }
      }
      y[i] = best;
    }
  }
  report(count);
  const name = `synthetic:${p.count},${d},${c},${p.generator},${noise}${split === 'test' ? ':test' : ''}`;
  return { name, count, features: d, shape: [d], classes: c, x, y };
}
