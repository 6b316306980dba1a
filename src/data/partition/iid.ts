/** `iid`: all samples shuffled, then dealt in consecutive runs of each device's size. */
import { checkSizes, equalSizes, partitionStream, toPartition, type Partitioner } from './common.js';
import { shuffle } from '../../kernels/rng.js';

export const iid: Partitioner = (labels, _classes, devices, opts) => {
  const n = labels.length;
  const sizes = opts.sizes ?? equalSizes(n, devices);
  checkSizes(sizes, devices, n, 'iid');
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  shuffle(order, partitionStream(opts.seed));
  let at = 0;
  return toPartition(sizes.map((s) => order.subarray(at, (at += s))));
};
