/**
 * `dirichlet:a` (a > 0): for each class k, proportions over devices p_k ~ Dirichlet(a, ..., a)
 * (Gamma draws by Marsaglia-Tsang from the counter RNG). Small a concentrates each class on a few
 * devices; large a tends to IID.
 * - Without sizes (volume `natural`): class k's shuffled samples are split by p_k
 *   (largest remainder), the classic partition of Hsu et al.; device sizes fall as they may.
 * - With sizes (volume `equal`, `volume:SR`, `zipf:a`): the class x device matrix n_k p_k is
 *   scaled (iterative proportional fitting) to the class counts and the device sizes, which keeps
 *   its label skew, then rounded exactly (src/data/partition/allocate.ts).
 */
import { DataError, SpecError } from '../../errors.js';
import { dirichlet as drawDirichlet } from '../random.js';
import { allocate, isFailure } from './allocate.js';
import { apportion, checkSizes, describeSizes, partitionStream, shuffledByClass, toPartition, type Partitioner } from './common.js';

/** Floor on Dirichlet weights when fitting to sizes, so every device can take any class if needed. */
const WEIGHT_FLOOR = 1e-9;

export function dirichlet(alpha: number): Partitioner {
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new SpecError(`dirichlet:${alpha}`, 'alpha must be a finite number > 0');
  return (labels, classes, devices, opts) => {
    const what = `dirichlet:${alpha}`;
    const rng = partitionStream(opts.seed);
    const byClass = shuffledByClass(labels, classes, rng);
    const props = byClass.map(() => drawDirichlet(rng, alpha, devices));
    const counts = new Int32Array(classes * devices);
    if (!opts.sizes) {
      byClass.forEach((idx, k) => {
        apportion(idx.length, props[k]!).forEach((c, i) => (counts[k * devices + i] = c));
      });
    } else {
      const sizes = opts.sizes;
      checkSizes(sizes, devices, labels.length, what);
      const used = sizes.reduce((a, b) => a + b, 0);
      // Unused samples (sizes summing below the total) go to an extra "unused" column.
      const extra = labels.length - used;
      const cols = devices + (extra > 0 ? 1 : 0);
      const weights = new Float64Array(classes * cols);
      byClass.forEach((idx, k) => {
        for (let i = 0; i < devices; i++) weights[k * cols + i] = idx.length * Math.max(props[k]![i]!, WEIGHT_FLOOR);
        if (extra > 0) weights[k * cols + devices] = idx.length / cols;
      });
      const result = allocate(byClass.map((idx) => idx.length), extra > 0 ? [...sizes, extra] : [...sizes], weights);
      if (isFailure(result)) {
        throw new DataError(`${what}: cannot fill device ${result.column} (${result.missing} samples short; sizes ${describeSizes(sizes)})`);
      }
      for (let k = 0; k < classes; k++) for (let i = 0; i < devices; i++) counts[k * devices + i] = result.counts[k * cols + i]!;
    }
    const lists: number[][] = Array.from({ length: devices }, () => []);
    byClass.forEach((idx, k) => {
      let at = 0;
      for (let i = 0; i < devices; i++) for (let j = 0; j < counts[k * devices + i]!; j++) lists[i]!.push(idx[at++]!);
    });
    return toPartition(lists);
  };
}
