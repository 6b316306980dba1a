// Sparse kernels: gather / scatter and index packing (see src/kernels/abi.ts).
// Encoders trust their input (ascending, distinct, < n); decoders treat input as untrusted bytes:
// they never read past inp + inLen (or ceil(n/8) bytes), never write more than k (or n) indices,
// and report malformed input with a negative code.

/** out[j] = x[idx[j]] */
export function gather(x: usize, idx: usize, k: u32, out: usize): void {
  let j: u32 = 0;
  for (; j + 4 <= k; j += 4) {
    const pi = idx + (<usize>j << 2), po = out + (<usize>j << 2);
    const i0 = load<u32>(pi), i1 = load<u32>(pi, 4), i2 = load<u32>(pi, 8), i3 = load<u32>(pi, 12);
    store<f32>(po, load<f32>(x + (<usize>i0 << 2)));
    store<f32>(po, load<f32>(x + (<usize>i1 << 2)), 4);
    store<f32>(po, load<f32>(x + (<usize>i2 << 2)), 8);
    store<f32>(po, load<f32>(x + (<usize>i3 << 2)), 12);
  }
  for (; j < k; j++) {
    store<f32>(out + (<usize>j << 2), load<f32>(x + (<usize>load<u32>(idx + (<usize>j << 2)) << 2)));
  }
}

/** out[idx[j]] = vals[j], in order j = 0..k-1 (a repeated index keeps the last value). */
export function scatter(idx: usize, vals: usize, k: u32, out: usize): void {
  for (let j: u32 = 0; j < k; j++) {
    const o = <usize>j << 2;
    store<u32>(out + (<usize>load<u32>(idx + o) << 2), load<u32>(vals + o));
  }
}

/** out[idx[j]] = out[idx[j]] + alpha * vals[j] (f32 ops), in order j = 0..k-1. */
export function scatter_add(idx: usize, vals: usize, k: u32, alpha: f32, out: usize): void {
  for (let j: u32 = 0; j < k; j++) {
    const o = <usize>j << 2;
    const p = out + (<usize>load<u32>(idx + o) << 2);
    store<f32>(p, load<f32>(p) + alpha * load<f32>(vals + o));
  }
}

/** LEB128 varints of idx[0], idx[j] - idx[j-1] - 1; returns bytes written (at most 5k). */
export function varint_encode_deltas(idx: usize, k: u32, out: usize): u32 {
  let pos: usize = out;
  let prev: u32 = -1; // so the first delta is idx[0] - (-1) - 1 = idx[0]
  for (let j: u32 = 0; j < k; j++) {
    const cur = load<u32>(idx + (<usize>j << 2));
    let v = cur - prev - 1;
    prev = cur;
    while (v >= 0x80) {
      store<u8>(pos++, <u8>(v | 0x80));
      v >>>= 7;
    }
    store<u8>(pos++, <u8>v);
  }
  return <u32>(pos - out);
}

/**
 * Decodes k delta varints from at most inLen bytes into outIdx; returns bytes consumed, or the
 * first error met left to right: -1 input ends inside or before a varint, -2 a varint runs past 5
 * bytes or exceeds 2^32 - 1, -3 a decoded index is >= n. On error, outIdx holds partial output.
 */
export function varint_decode_deltas(inp: usize, inLen: u32, k: u32, n: u32, outIdx: usize): i32 {
  let pos: u32 = 0;
  let next: u64 = 0; // the smallest index the next delta may produce (prev + 1)
  for (let j: u32 = 0; j < k; j++) {
    if (pos >= inLen) return -1;
    let b = <u32>load<u8>(inp + pos++);
    let v = b & 0x7f;
    if (b & 0x80) {
      let shift: u32 = 7;
      while (true) {
        if (pos >= inLen) return -1;
        b = <u32>load<u8>(inp + pos++);
        if (shift == 28 && (b & 0xf0) != 0) return -2;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) break;
        shift += 7;
      }
    }
    const index = next + <u64>v;
    if (index >= <u64>n) return -3;
    store<u32>(outIdx + (<usize>j << 2), <u32>index);
    next = index + 1;
  }
  return <i32>pos;
}

/** Zeroes ceil(n/8) bytes, then sets bit idx[j] (LSB first); returns ceil(n/8). */
export function bitmap_encode(idx: usize, k: u32, n: u32, out: usize): u32 {
  const bytes = (n >>> 3) + u32((n & 7) != 0);
  memory.fill(out, 0, bytes);
  for (let j: u32 = 0; j < k; j++) {
    const i = load<u32>(idx + (<usize>j << 2));
    const p = out + (i >>> 3);
    store<u8>(p, <u32>load<u8>(p) | (1 << (i & 7)));
  }
  return bytes;
}

/** Ascending indices of set bits among the first n of ceil(n/8) bytes; -1 (nothing written) if a bit past n is set. */
export function bitmap_decode(inp: usize, n: u32, outIdx: usize): i32 {
  const full = n >>> 3;
  const rem = n & 7;
  if (rem != 0 && (<u32>load<u8>(inp + full) >>> rem) != 0) return -1;
  const bytes = full + u32(rem != 0);
  let count: u32 = 0;
  let byte: u32 = 0;
  for (; byte + 8 <= bytes; byte += 8) {
    let w = load<u64>(inp + byte);
    const base = byte << 3;
    while (w != 0) {
      store<u32>(outIdx + (<usize>count << 2), base + <u32>ctz(w));
      count++;
      w &= w - 1;
    }
  }
  for (; byte < bytes; byte++) {
    let w = <u32>load<u8>(inp + byte);
    const base = byte << 3;
    while (w != 0) {
      store<u32>(outIdx + (<usize>count << 2), base + ctz(w));
      count++;
      w &= w - 1;
    }
  }
  return <i32>count;
}
