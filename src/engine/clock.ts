/**
 * Virtual clock and energy model (reference: docs/algorithms.md#time-and-energy).
 *
 * Device i computes at rate_i = clock.flops * exp(clock.flopsSpread * N_i) FLOP/s and the link
 * i -> j carries bandwidth_ij = clock.bandwidth * exp(clock.bandwidthSpread * N_ij) bit/s, with
 * N ~ N(0, 1) drawn by Box-Muller from the counter-based stream (seed, i, 0, clock): counters 0, 1
 * for the device, 2 + 2j and 3 + 2j for its link to j (j = n is the server). Rates are fixed for the
 * run (heterogeneous hardware, not noise). A round's virtual time is the slowest device's compute
 * time plus its slowest outgoing transfer (bits / bandwidth + latency); for server algorithms each
 * device's time also includes receiving the server's broadcast (server -> device link; the server's
 * own aggregation time is not modelled). Energy per device is
 * bits sent * txPerBit + bits received (incl. broadcasts) * rxPerBit + FLOPs * perFlop.
 */
import type { ClockConfig, EnergyConfig } from '../config/types.js';
import { Purpose, rngKey, rngUniform } from '../kernels/rng.js';

function standardNormal(key: number, counter: number): number {
  const u1 = rngUniform(key, counter);
  const u2 = rngUniform(key, counter + 1);
  return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
}

export class VirtualClock {
  private readonly rates: Float64Array;
  private readonly keys: Uint32Array;
  private readonly haveKey: Uint8Array;

  constructor(private readonly clock: ClockConfig, private readonly seed: number, n: number) {
    this.rates = new Float64Array(n + 1).fill(Number.NaN);
    this.keys = new Uint32Array(n + 1);
    this.haveKey = new Uint8Array(n + 1);
  }

  private key(i: number): number {
    if (!this.haveKey[i]) {
      this.keys[i] = rngKey(this.seed, i, 0, Purpose.clock);
      this.haveKey[i] = 1;
    }
    return this.keys[i]!;
  }

  /** FLOP/s of device i (i = n: the server). */
  deviceRate(i: number): number {
    let r = this.rates[i]!;
    if (Number.isNaN(r)) {
      r = this.clock.flopsSpread === 0 ? this.clock.flops : this.clock.flops * Math.exp(this.clock.flopsSpread * standardNormal(this.key(i), 0));
      this.rates[i] = r;
    }
    return r;
  }

  /** bit/s of the link from -> to. */
  bandwidth(from: number, to: number): number {
    if (this.clock.bandwidthSpread === 0) return this.clock.bandwidth;
    return this.clock.bandwidth * Math.exp(this.clock.bandwidthSpread * standardNormal(this.key(from), 2 + 2 * to));
  }

  /** Seconds to move `bits` from -> to. */
  transferTime(from: number, to: number, bits: number): number {
    return bits / this.bandwidth(from, to) + this.clock.latency;
  }

  computeTime(device: number, flops: number): number {
    return flops / this.deviceRate(device);
  }
}

/** Joules of one device from its cumulative counters. */
export function deviceEnergy(e: EnergyConfig, bitsSent: number, bitsReceived: number, flops: number): number {
  return bitsSent * e.txPerBit + bitsReceived * e.rxPerBit + flops * e.perFlop;
}
