/**
 * Flat parameter layouts and deterministic initialisation.
 *
 * A model lists its tensors in a fixed order; each occupies a contiguous row-major range of the flat
 * vector, back to back, starting at 0 (no padding). Initialisation draws from the counter-based RNG
 * stream rngKey(seed, 0, 0, Purpose.init): parameter element j uses counters 2j and 2j+1, so every
 * element is a pure function of (seed, j) and the same on every device, worker and host.
 */
import { InputError } from '../errors.js';
import { Purpose, rngKey, rngUniform } from '../kernels/rng.js';
import type { ParamLayout, TensorSlot } from './types.js';

/**
 * How a tensor starts: `he` normal N(0, 2/fanIn) (weights followed by ReLU), `glorot` uniform
 * U(-a, a) with a = sqrt(6/(fanIn+fanOut)) (the classifier), constants `zeros` / `ones`.
 */
export type InitKind = 'he' | 'glorot' | 'zeros' | 'ones';

export interface TensorDef {
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: InitKind;
  /** Inputs feeding one output unit (conv: KH*KW*Cin; dense: in). Required for he/glorot. */
  readonly fanIn?: number;
  /** Outputs fed by one input unit (conv: KH*KW*Cout; dense: out). Required for glorot. */
  readonly fanOut?: number;
}

export interface InitSlot extends TensorSlot {
  readonly init: InitKind;
  readonly fanIn: number;
  readonly fanOut: number;
}

export function product(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Assign offsets to tensors in order. */
export function buildSlots(defs: readonly TensorDef[]): InitSlot[] {
  const slots: InitSlot[] = [];
  const names = new Set<string>();
  let offset = 0;
  for (const d of defs) {
    if (names.has(d.name)) throw new Error(`duplicate tensor name ${d.name}`);
    names.add(d.name);
    const size = product(d.shape);
    slots.push({ name: d.name, shape: [...d.shape], offset, size, init: d.init, fanIn: d.fanIn ?? 0, fanOut: d.fanOut ?? 0 });
    offset += size;
  }
  return slots;
}

export function totalSize(slots: readonly TensorSlot[]): number {
  return slots.reduce((s, t) => s + t.size, 0);
}

/** Public view (name, shape, offset, size) of a layout. */
export function publicLayout(params: readonly TensorSlot[], state: readonly TensorSlot[]): ParamLayout {
  const strip = (t: TensorSlot): TensorSlot => ({ name: t.name, shape: [...t.shape], offset: t.offset, size: t.size });
  return { params: params.map(strip), state: state.map(strip) };
}

/** Fill `out` per the slots' init kinds from `seed` (an integer in [0, 2^32)). */
export function initFlat(out: Float32Array, slots: readonly InitSlot[], seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 4294967296) {
    throw new InputError(`init seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const key = rngKey(seed, 0, 0, Purpose.init);
  for (const s of slots) {
    const end = s.offset + s.size;
    switch (s.init) {
      case 'zeros': out.fill(0, s.offset, end); break;
      case 'ones': out.fill(1, s.offset, end); break;
      case 'he': {
        const std = Math.sqrt(2 / s.fanIn);
        for (let j = s.offset; j < end; j++) {
          // Box-Muller; 1 - u is in (0, 1] so the log is finite.
          const u1 = 1 - rngUniform(key, 2 * j);
          const u2 = rngUniform(key, 2 * j + 1);
          out[j] = std * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
        }
        break;
      }
      case 'glorot': {
        const limit = Math.sqrt(6 / (s.fanIn + s.fanOut));
        for (let j = s.offset; j < end; j++) out[j] = limit * (2 * rngUniform(key, 2 * j) - 1);
        break;
      }
    }
  }
}
