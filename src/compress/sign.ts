/**
 * `sign`: one bit per value (set when negative) and one f32 scale = mean |x| (EF-signSGD):
 * decoded values are ±scale. Wire: f32 scale, then ceil(n/8) bytes of bits, LSB first.
 * An empty selection has an empty value section (no scale).
 */
import { WireError } from '../errors.js';
import { checkScales, type ValueFormat, ValueFormatId } from './stages.js';

function fail(msg: string): never {
  throw new WireError(msg);
}

export const signFormat: ValueFormat = {
  id: ValueFormatId.sign,
  stochastic: false,
  levels: 0,
  bucket: 0,
  label: 'sign',
  bytes: (n) => (n === 0 ? 0 : 4 + Math.ceil(n / 8)),
  encode(ctx, vals, n, out) {
    if (n === 0) return;
    ctx.bytes[out + 4 + Math.ceil(n / 8) - 1] = 0; // pad bits stay 0
    const scale = ctx.kx.sign_pack(vals, n, out + 4);
    ctx.view(out, 4).setFloat32(0, scale, true);
  },
  decode(ctx, ptr, n, vals) {
    if (n === 0) return;
    checkScales(ctx, ptr, 1, 'scale', 'sign', fail);
    if (n & 7) {
      const last = ctx.bytes[ptr + 4 + (n >> 3)]!;
      if (last >>> (n & 7)) fail(`sign pad bits past value ${n - 1} are not 0`);
    }
    ctx.kx.sign_unpack(ptr + 4, n, ctx.view(ptr, 4).getFloat32(0, true), vals);
  },
  scratchBytes: () => 0,
};
