/**
 * The two stages every compressor is made of (compose.ts glues them to the wire codec):
 * a Sparsifier picks the coordinates, a ValueFormat quantizes the kept values into the wire.
 * Both work on kernel pointers inside a KernelContext.
 */
import { InputError } from '../errors.js';
import type { KernelExports } from '../kernels/abi.js';
import type { KernelContext } from './exec.js';

/** Sparsifier ids on the wire (header byte 2). */
export const SparsifierId = { dense: 0, topk: 1, randk: 2, threshold: 3 } as const;
/** Value-format ids on the wire (header byte 3). */
export const ValueFormatId = { f32: 0, int8: 1, int4: 2, qsgd: 3, sign: 4 } as const;

/** Quantizers draw their randomness from the same key as the sparsifier, at counters from 2^31 up. */
export const QUANTIZER_COUNTER0 = 0x80000000;

export interface Selection {
  /** Kept coordinates. */
  readonly k: number;
  /** Pointer to k ascending u32 indices, or -1 when all d coordinates are kept (k == d, in order). */
  readonly idx: number;
  /** Pointer to the k f32 values to quantize. */
  readonly vals: number;
  /** randk: the stream key the indices were drawn from; a receiver can redraw them from it. */
  readonly seed?: number;
}

export interface Sparsifier {
  readonly id: number;
  readonly stochastic: boolean;
  /** Header flags this sparsifier sets (bit 0: randk rescaled by d/k). */
  readonly flags: number;
  /**
   * True when select() keeps a NaN/Inf whenever x holds one (topk: they rank above every finite
   * magnitude), so checking the k kept values replaces a finiteness pass over x.
   */
  readonly keepsNonfinite: boolean;
  /** k for dimension d when it does not depend on the data (topk, randk, dense); undefined for threshold. */
  fixedK(d: number): number | undefined;
  /** Largest k for dimension d. */
  maxK(d: number): number;
  /**
   * Selects from the d finite f32 at x; allocates the index buffer from ctx, and the value buffer
   * too unless `valuesAt` is given: then the values go there (room for maxK(d) f32; the caller's
   * raw-f32 value section, which then needs no copy). Selection.vals says where they are.
   */
  select(ctx: KernelContext, x: number, d: number, key: number, valuesAt?: number): Selection;
  /** Scratch select() allocates for dimension d (including its outputs). */
  scratchBytes(kx: KernelExports, d: number): number;
  /**
   * Optional, for an x not on the kernel memory and only with keepsNonfinite: copies x into scratch
   * (4d bytes, besides what scratchBytes counts) and selects exactly as select() would there, the
   * copy and the selection sharing one pass where they can. Returns the copy's pointer too.
   */
  selectCopying?(ctx: KernelContext, x: Float32Array, key: number, valuesAt?: number): { xp: number; sel: Selection };
}

export interface ValueFormat {
  readonly id: number;
  readonly stochastic: boolean;
  /** Header byte 6 (qsgd levels s; 0 otherwise). */
  readonly levels: number;
  /** Header bucket field (0 when the format has no buckets). */
  readonly bucket: number;
  /** Name for error messages. */
  readonly label: string;
  /** Exact byte length of the value section for n values. */
  bytes(n: number): number;
  /** Quantizes the n f32 at vals into the value section at out (bytes(n) bytes). */
  encode(ctx: KernelContext, vals: number, n: number, out: number, key: number): void;
  /**
   * Validates the value section at ptr (bytes(n) bytes, already in kernel memory), then writes the
   * n decoded f32 at vals. Throws WireError naming what is wrong before any kernel reads it.
   * `trusted`: the section is this format's own encode() output, so the checks are skipped.
   */
  decode(ctx: KernelContext, ptr: number, n: number, vals: number, trusted?: boolean): void;
  /** Scratch encode/decode allocate for n values. */
  scratchBytes(n: number): number;
}

/**
 * After quantizing: every bucket's largest decodable magnitude (scale · maxLevel, rounded to f32)
 * must be finite, else a receiver would decode Inf. Only inputs within ~2^-24 of the f32 maximum
 * (int8/int4) or buckets whose L2 norm exceeds it (qsgd) fail; they are refused, not clamped.
 */
export function checkEncodable(ctx: KernelContext, ptr: number, n: number, maxLevel: number, label: string): void {
  const dv = ctx.view(ptr, 4 * n);
  for (let b = 0; b < n; b++) {
    const s = dv.getFloat32(4 * b, true);
    if (!Number.isFinite(Math.fround(s * maxLevel))) {
      throw new InputError(`${label}: bucket ${b} is too large to quantize (its ${label === 'sign' ? 'scale' : 'scale/norm'} ${s} overflows f32)`);
    }
  }
}

/** Reads n little-endian f32 (scales / norms) at ptr and checks each is finite and >= 0. */
export function checkScales(ctx: KernelContext, ptr: number, n: number, what: string, label: string, fail: (msg: string) => never): void {
  const dv = ctx.view(ptr, 4 * n);
  for (let b = 0; b < n; b++) {
    const s = dv.getFloat32(4 * b, true);
    if (!(s >= 0 && s <= 3.4028234663852886e38)) fail(`${label} ${what} ${b} is ${s} (must be finite and >= 0)`);
  }
}
