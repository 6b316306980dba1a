/**
 * D-PSGD (Lian et al. 2017) on undirected graphs with a symmetric, doubly stochastic W
 * (reference: docs/algorithms.md#dpsgd):
 *   x_i <- sum_j W_ij x_j - lr u_i(grad F_i(x_i))
 * Both terms use the round's starting x (the gradient is taken before mixing, the message is the
 * pre-update x). W is the Metropolis-Hastings matrix of the round's graph,
 *   W_ij = 1 / (1 + max(deg_i, deg_j)) for neighbours, W_ii = 1 - sum_j W_ij,
 * symmetric for any undirected graph (it equals the push-sum weight 1/(deg+1) on regular graphs).
 * A dropped link removes W_ij from the row and gives it back to W_ii (rows stay stochastic).
 * With H local steps the update is the sum of H momentum steps taken from x:
 *   u = 0; repeat H: g = grad F_i(x - u); m = momentum * m + g + weightDecay * (x - u); u += lr * m.
 * No push-sum weight: w_i stays 1, so the de-biased model is x_i.
 */
import { ConfigError } from '../errors.js';
import type { Algorithm, AlgorithmSetup, DeviceContext } from './types.js';
import { momentumStep } from './common.js';
import { lrAt } from './lr-schedule.js';

export function createDpsgd(): Algorithm {
  return {
    name: 'dpsgd',
    kind: 'decentralized',
    sendsWeight: false,
    scratchVectors: 2,
    needsUndirected: true,
    validate(setup: AlgorithmSetup): void {
      if (setup.topology.directed) {
        throw new ConfigError('topology', `dpsgd needs an undirected graph (symmetric mixing), got directed '${setup.topology.spec}'; use ring, torus, complete, random-regular:k or an undirected edge list`);
      }
    },
    deviceVectors: () => [{ name: 'update' }],
    serverVectors: () => [],
    compressorSpec: () => 'none',
    async local(dev: DeviceContext): Promise<void> {
      const { localSteps } = dev.config.algorithm;
      const lr = lrAt(dev.config, dev.round);
      const k = dev.kernels;
      const u = dev.vector('update');
      const zs = dev.scratch(0);
      const g = dev.scratch(1);
      k.fill(dev.d, 0, u.ptr);
      for (let h = 0; h < localSteps; h++) {
        // The first step is taken at x itself (no copy), later ones at x - u.
        const z = h === 0 ? dev.x : zs;
        if (h > 0) k.sub(dev.d, dev.x.ptr, u.ptr, zs.ptr);
        await dev.gradient(z, g);
        momentumStep(dev, z, g, lr, u);
      }
    },
    send(dev: DeviceContext): void {
      dev.post(dev.compressor.compressInto(dev.x.view, dev.outbox()));
    },
    mix(dev: DeviceContext): void {
      const k = dev.kernels;
      const degI = dev.outPeers.length;
      const inbox = dev.inbox();
      let offDiagonal = 0;
      for (const msg of inbox) offDiagonal += 1 / (1 + Math.max(degI, msg.outDegree));
      k.scale(dev.d, 1 - offDiagonal, dev.x.ptr);
      for (const msg of inbox) {
        dev.compressor.accumulate(msg.bytes, dev.d, 1 / (1 + Math.max(degI, msg.outDegree)), dev.x.view);
      }
      k.axpy(dev.d, -1, dev.vector('update').ptr, dev.x.ptr);
    },
  };
}
