/** EXPERIMENT: integral action on the gossip correction (PI control of the consensus error). */
import { compressedPushMix, compressedPushSend, accName, phaseOf } from '../compressed-gossip.js';
import { localStepsOnX } from '../common.js';
import type { AlgorithmSetup, DeviceContext, StateVector } from '../types.js';
import type { Compensation } from './types.js';
import { quasiGlobalMomentum } from './qgm.js';

const INTEGRAL = 'integral';
const KAPPA = Number(process.env['SP_PI_KAPPA'] ?? 0.01);
const BASE = process.env['SP_PI_BASE'] ?? 'qgm';

export const integralCorrection: Compensation = {
  name: 'integral',
  validate: (setup: AlgorithmSetup, name: string) => { if (BASE === 'qgm') quasiGlobalMomentum.validate(setup, name); },
  deviceVectors: (setup: AlgorithmSetup, name: string): StateVector[] => [...(BASE === 'qgm' ? quasiGlobalMomentum.deviceVectors(setup, name) : []), { name: INTEGRAL }],
  local: (dev: DeviceContext) => (BASE === 'qgm' ? quasiGlobalMomentum.local(dev) : localStepsOnX(dev)),
  send: (dev: DeviceContext) => (BASE === 'qgm' ? quasiGlobalMomentum.send(dev) : compressedPushSend(dev)),
  mix: (dev: DeviceContext) => {
    if (BASE === 'qgm') quasiGlobalMomentum.mix(dev); else compressedPushMix(dev);
    const k = dev.kernels;
    const I = dev.vector(INTEGRAL);
    // I += gamma g^k (this round's gossip correction); x += kappa I.
    k.axpy(dev.d, dev.config.algorithm.gamma, dev.vector(accName(phaseOf(dev))).ptr, I.ptr);
    k.axpy(dev.d, KAPPA, I.ptr, dev.x.ptr);
  },
};
