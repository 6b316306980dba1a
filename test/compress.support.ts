// Test support for the compressor tests: a plain reference pipeline built only from the reference
// kernels (src/kernels/reference) and an independent transcription of the wire format (codec.ts
// header comment), so the WASM compressors are checked against code that shares nothing with them.
import * as ref from '../src/kernels/reference/index.js';
import type { CompressorSpec } from '../src/compress/index.js';

export const HEADER = 24;
export const QUANT_COUNTER0 = 0x80000000;

export interface RefMessage {
  indices: Uint32Array;
  /** Values after quantization (what a receiver decodes). */
  values: Float32Array;
  /** The exact wire bytes. */
  bytes: Uint8Array;
  /** Chosen index format id. */
  indexFormat: number;
}

export function keptCount(ratio: number, d: number): number {
  return Math.min(d, Math.max(1, Math.round(ratio * d)));
}

const SPARSIFIER_ID = { dense: 0, topk: 1, randk: 2, threshold: 3 } as const;
const FORMAT_ID = { f32: 0, int8: 1, int4: 2, qsgd: 3, sign: 4 } as const;

function crc8(h: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < HEADER; i++) {
    if (i === 7) continue;
    c ^= h[i]!;
    for (let b = 0; b < 8; b++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
  }
  return c;
}

function qsgdBits(s: number): number {
  let b = 0;
  while ((1 << b) < 2 * s + 1) b++;
  return b;
}

/** Sparsify + quantize + encode with the reference kernels; null when the values cannot be encoded (overflow). */
export function refCompress(spec: CompressorSpec, x: Float32Array, key: number): RefMessage | null {
  const d = x.length;
  const s = spec.sparsifier;
  let idx: Uint32Array;
  switch (s.kind) {
    case 'dense': idx = Uint32Array.from({ length: d }, (_, i) => i); break;
    case 'topk': idx = ref.topkAbs(x, keptCount(s.ratio, d)); break;
    case 'randk': idx = ref.randk(d, keptCount(s.ratio, d), key); break;
    case 'threshold': idx = ref.thresholdAbs(x, s.lambda); break;
  }
  const k = idx.length;
  const vals = new Float32Array(k);
  ref.gather(x, idx, vals);
  if (s.kind === 'randk' && s.scaled && k < d) {
    ref.scale(d / k, vals);
    if (ref.countNonfinite(vals) > 0) return null;
  }

  const q = spec.quantizer;
  const values = new Float32Array(k);
  let section: Uint8Array;
  let levelsByte = 0;
  let bucket = 0;
  switch (q.kind) {
    case 'f32':
      values.set(vals);
      section = new Uint8Array(vals.slice().buffer);
      break;
    case 'int8':
    case 'int4': {
      bucket = q.bucket;
      const nb = Math.ceil(k / bucket);
      const scales = new Float32Array(nb);
      const L = q.kind === 'int8' ? 127 : 7;
      let packed: Uint8Array;
      if (q.kind === 'int8') {
        const qq = new Int8Array(k);
        ref.quantInt8(vals, bucket, qq, scales);
        ref.dequantInt8(qq, scales, bucket, values);
        packed = new Uint8Array(qq.buffer);
      } else {
        packed = new Uint8Array(Math.ceil(k / 2));
        ref.quantInt4(vals, bucket, packed, scales);
        ref.dequantInt4(packed, scales, bucket, values);
      }
      for (const sc of scales) if (!Number.isFinite(Math.fround(sc * L))) return null;
      section = concat(new Uint8Array(scales.buffer), packed);
      break;
    }
    case 'qsgd': {
      bucket = q.bucket;
      levelsByte = q.levels;
      const nb = Math.ceil(k / bucket);
      const norms = new Float32Array(nb);
      const lv = new Int8Array(k);
      ref.qsgdQuant(vals, q.levels, bucket, key, QUANT_COUNTER0, lv, norms);
      for (const nm of norms) if (!Number.isFinite(nm) || !Number.isFinite(Math.fround(q.levels * Math.fround(nm / q.levels)))) return null;
      ref.qsgdDequant(lv, norms, q.levels, bucket, values);
      const b = qsgdBits(q.levels);
      const packed = new Uint8Array(Math.ceil((k * b) / 8));
      for (let i = 0; i < k; i++) {
        const code = lv[i]! + q.levels;
        for (let t = 0; t < b; t++) if ((code >> t) & 1) packed[(i * b + t) >> 3]! |= 1 << ((i * b + t) & 7);
      }
      section = concat(new Uint8Array(norms.buffer), packed);
      break;
    }
    case 'sign': {
      if (k === 0) { section = new Uint8Array(0); break; }
      const bits = new Uint8Array(Math.ceil(k / 8));
      const scale = ref.signPack(vals, bits);
      ref.signUnpack(bits, scale, values);
      section = concat(new Uint8Array(new Float32Array([scale]).buffer), bits);
      break;
    }
  }

  // Cheapest index section, ties to the lower format id.
  const options: [number, Uint8Array][] = [];
  if (k === d) options.push([0, new Uint8Array(0)]);
  else {
    const bm = new Uint8Array(Math.ceil(d / 8));
    ref.bitmapEncode(idx, d, bm);
    options.push([1, bm]);
    if (d <= 65536) options.push([2, new Uint8Array(new Uint16Array(idx).buffer)]);
    else options.push([3, new Uint8Array(idx.slice().buffer)]);
    const vb = new Uint8Array(5 * k + 1);
    const vlen = ref.varintEncodeDeltas(idx, vb);
    options.push([4, vb.slice(0, vlen)]);
    if (k > 0) {
      const rb = new Uint8Array(ref.riceEncodedBytes(idx));
      ref.riceEncodeDeltas(idx, rb);
      options.push([5, rb]);
    }
    if (k > 0 && s.kind === 'randk') options.push([6, new Uint8Array(Uint32Array.of(key >>> 0).buffer)]);
  }
  let [indexFormat, indexBytes] = options[0]!;
  for (const [f, b] of options) if (b.length < indexBytes.length) [indexFormat, indexBytes] = [f, b];

  const length = HEADER + section.length + indexBytes.length;
  const bytes = new Uint8Array(length);
  const dv = new DataView(bytes.buffer);
  bytes[0] = 0x53;
  bytes[1] = 2;
  bytes[2] = SPARSIFIER_ID[s.kind];
  bytes[3] = FORMAT_ID[q.kind];
  bytes[4] = indexFormat;
  bytes[5] = s.kind === 'randk' && s.scaled ? 1 : 0;
  bytes[6] = levelsByte;
  dv.setUint32(8, d, true);
  dv.setUint32(12, k, true);
  dv.setUint32(16, bucket, true);
  dv.setUint32(20, length, true);
  bytes[7] = crc8(bytes);
  bytes.set(section, HEADER);
  bytes.set(indexBytes, HEADER + section.length);
  return { indices: idx, values, bytes, indexFormat };
}

/** Rewrites header field(s) of a message and fixes its CRC (for targeted corruption tests). */
export function patchHeader(bytes: Uint8Array, patch: (dv: DataView, b: Uint8Array) => void): Uint8Array {
  const out = bytes.slice();
  patch(new DataView(out.buffer), out);
  out[7] = crc8(out);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

/** Dense reference decode (zeros elsewhere). */
export function refDense(d: number, indices: Uint32Array, values: Float32Array): Float32Array {
  const out = new Float32Array(d);
  ref.scatter(indices, values, out);
  return out;
}

/** Every compressor family and composition the tests cover. */
export const SPECS: readonly string[] = [
  'none', 'topk:0.01', 'topk:0.3', 'topk:1', 'randk:0.1', 'randk:0.05:scaled', 'threshold:0.5', 'threshold:0',
  'int8', 'int8:7', 'int4', 'int4:33', 'qsgd:1', 'qsgd:8', 'qsgd:127:100', 'sign',
  'topk:0.01+int8', 'topk:0.2+int4:5', 'topk:0.01+int4', 'randk:0.1+qsgd:8', 'randk:0.3:scaled+int8',
  'threshold:1e-3+sign', 'threshold:0.8+qsgd:3:16', 'topk:0.05+sign', 'topk:0.1+qsgd:2',
];
