/**
 * `int8[:bucket]` and `int4[:bucket]`: linear quantization with one f32 scale per bucket of
 * consecutive values (scale = absmax/127 or absmax/7; q = nearest-even(x/scale)).
 * Wire: ceil(n/bucket) f32 scales, then n i8 (int8) or ceil(n/2) bytes of nibbles (int4).
 */
import { WireError } from '../errors.js';
import { checkEncodable, checkScales, type ValueFormat, ValueFormatId } from './stages.js';

function fail(msg: string): never {
  throw new WireError(msg);
}

export function int8Format(bucket: number): ValueFormat {
  const scales = (n: number): number => Math.ceil(n / bucket);
  return {
    id: ValueFormatId.int8,
    stochastic: false,
    levels: 0,
    bucket,
    label: 'int8',
    bytes: (n) => 4 * scales(n) + n,
    encode(ctx, vals, n, out) {
      if (n === 0) return;
      ctx.kx.quant_int8(vals, n, bucket, out + 4 * scales(n), out);
      checkEncodable(ctx, out, scales(n), 127, 'int8');
    },
    decode(ctx, ptr, n, vals, trusted) {
      if (n === 0) return;
      const nb = scales(n);
      const q = ptr + 4 * nb;
      if (!trusted) {
        checkScales(ctx, ptr, nb, 'scale', 'int8', fail);
        const b = ctx.bytes;
        for (let i = 0; i < n; i++) if (b[q + i] === 0x80) fail(`int8 value ${i} is -128 (range is -127..127)`);
      }
      ctx.kx.dequant_int8(q, ptr, n, bucket, vals);
    },
    scratchBytes: () => 0,
  };
}

export function int4Format(bucket: number): ValueFormat {
  const scales = (n: number): number => Math.ceil(n / bucket);
  return {
    id: ValueFormatId.int4,
    stochastic: false,
    levels: 0,
    bucket,
    label: 'int4',
    bytes: (n) => 4 * scales(n) + Math.ceil(n / 2),
    encode(ctx, vals, n, out) {
      if (n === 0) return;
      const q = out + 4 * scales(n);
      ctx.bytes[q + Math.ceil(n / 2) - 1] = 0; // the pad nibble of an odd n stays 0
      ctx.kx.quant_int4(vals, n, bucket, q, out);
      checkEncodable(ctx, out, scales(n), 7, 'int4');
    },
    decode(ctx, ptr, n, vals, trusted) {
      if (n === 0) return;
      const nb = scales(n);
      const q = ptr + 4 * nb;
      if (!trusted) {
        checkScales(ctx, ptr, nb, 'scale', 'int4', fail);
        const b = ctx.bytes;
        const full = n >> 1;
        for (let j = 0; j < full; j++) {
          const v = b[q + j]!;
          if ((v & 0x0f) === 8 || (v & 0xf0) === 0x80) fail(`int4 value ${(v & 0x0f) === 8 ? 2 * j : 2 * j + 1} is -8 (range is -7..7)`);
        }
        if (n & 1) {
          const v = b[q + full]!;
          if ((v & 0x0f) === 8) fail(`int4 value ${n - 1} is -8 (range is -7..7)`);
          if (v & 0xf0) fail('int4 pad nibble is not 0');
        }
      }
      ctx.kx.dequant_int4(q, ptr, n, bucket, vals);
    },
    scratchBytes: () => 0,
  };
}
