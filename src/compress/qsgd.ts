/**
 * `qsgd:s[:bucket]`: stochastic s-level quantization per bucket (unbiased): norm = ||bucket||_2,
 * level = floor(|x|/norm·s + u) with u uniform from the stream rngKey at counters 2^31 + i,
 * decoded value = sign · norm · level / s.
 * Wire: ceil(n/bucket) f32 norms, then (level + s) for every value in b = ceil(log2(2s+1)) bits,
 * packed LSB first with zero pad bits (s = 8: 5 bits a value instead of an i8's 8).
 */
import { InputError, WireError } from '../errors.js';
import type { KernelContext } from './exec.js';
import { checkScales, QUANTIZER_COUNTER0, type ValueFormat, ValueFormatId } from './stages.js';

function fail(msg: string): never {
  throw new WireError(msg);
}

/** Bits per packed level for s levels. */
export function qsgdBits(s: number): number {
  return Math.ceil(Math.log2(2 * s + 1));
}

/** A bucket norm must be finite and norm/s·s must not overflow (the reference decodes norm·level/s). */
function checkNormsFor(s: number) {
  return (ctx: KernelContext, ptr: number, n: number): void => {
    const dv = ctx.view(ptr, 4 * n);
    for (let b = 0; b < n; b++) {
      const norm = dv.getFloat32(4 * b, true);
      if (!Number.isFinite(norm) || !Number.isFinite(Math.fround(s * Math.fround(norm / s)))) {
        throw new InputError(`qsgd:${s}: bucket ${b} is too large to quantize (its L2 norm overflows f32)`);
      }
    }
  };
}

export function qsgdFormat(s: number, bucket: number): ValueFormat {
  const bits = qsgdBits(s);
  const mask = (1 << bits) - 1;
  const norms = (n: number): number => Math.ceil(n / bucket);
  const packed = (n: number): number => Math.ceil((n * bits) / 8);
  const checkNorms = checkNormsFor(s);
  return {
    id: ValueFormatId.qsgd,
    stochastic: true,
    levels: s,
    bucket,
    label: `qsgd:${s}`,
    bytes: (n) => 4 * norms(n) + packed(n),
    encode(ctx, vals, n, out, key) {
      if (n === 0) return;
      const levels = ctx.alloc(n);
      ctx.kx.qsgd_quant(vals, n, s, bucket, key, QUANTIZER_COUNTER0, levels, out);
      checkNorms(ctx, out, norms(n));
      const lv = ctx.i8(levels, n);
      const b = ctx.bytes;
      let p = out + 4 * norms(n);
      let acc = 0;
      let have = 0;
      for (let i = 0; i < n; i++) {
        acc |= (lv[i]! + s) << have;
        have += bits;
        if (have >= 8) {
          b[p++] = acc & 0xff;
          acc >>>= 8;
          have -= 8;
        }
      }
      if (have > 0) b[p] = acc & 0xff;
    },
    decode(ctx, ptr, n, vals) {
      if (n === 0) return;
      const nb = norms(n);
      checkScales(ctx, ptr, nb, 'norm', `qsgd:${s}`, fail);
      const levels = ctx.alloc(n);
      const lv = ctx.i8(levels, n);
      const b = ctx.bytes;
      let p = ptr + 4 * nb;
      let acc = 0;
      let have = 0;
      const top = 2 * s;
      for (let i = 0; i < n; i++) {
        if (have < bits) {
          acc |= b[p++]! << have;
          have += 8;
        }
        const code = acc & mask;
        if (code > top) fail(`qsgd level ${i} is ${code - s}, outside -${s}..${s}`);
        lv[i] = code - s;
        acc >>>= bits;
        have -= bits;
      }
      if (acc !== 0) fail('qsgd pad bits are not 0');
      ctx.kx.qsgd_dequant(levels, ptr, n, s, bucket, vals);
    },
    scratchBytes: (n) => n + 64,
  };
}
