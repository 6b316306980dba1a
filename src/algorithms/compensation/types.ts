/**
 * A skew compensation of sc-sparse-push (config algorithm.compensation): what it adds to
 * Sparse-Push's compressed push-sum gossip (compressed-gossip.ts) to correct the drift of devices
 * whose data are label-skewed. One file per compensation; sc-sparse-push.ts picks one by name.
 */
import type { AlgorithmSetup, DeviceContext, StateVector } from '../types.js';

export interface Compensation {
  /** Config value of algorithm.compensation. */
  readonly name: string;
  /** Checks beyond Sparse-Push's own (validateCompressedPush); `algorithm` names the algorithm in messages. */
  validate(setup: AlgorithmSetup, algorithm: string): void;
  /** Per-device vectors besides Sparse-Push's. */
  deviceVectors(setup: AlgorithmSetup, algorithm: string): readonly StateVector[];
  /** The payload's wire messages (Algorithm.streamSpecs); undefined: Sparse-Push's one message. */
  streamSpecs?(setup: AlgorithmSetup, device: number): readonly string[];
  local(dev: DeviceContext): Promise<void>;
  send(dev: DeviceContext): void;
  mix(dev: DeviceContext): void;
}
