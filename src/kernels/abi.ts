/**
 * The raw ABI of build/kernels.wasm and build/kernels.simd.wasm (same exports, same results).
 *
 * Conventions: every pointer is a byte offset into the one shared memory; n, k, bucket are element
 * counts; f32 arrays are 4-byte aligned (kernels are fastest at 16-byte alignment, which the arena
 * gives). Kernels never allocate and never touch memory outside [ptr, ptr + size) of their
 * arguments; any scratch they need is passed in and sized by the matching *_scratch_bytes export.
 * Kernels trust their arguments: callers (src/compress, src/engine) validate untrusted input first.
 *
 * Implemented in assembly/*.ts; plain-TypeScript oracles with identical semantics live in
 * src/kernels/reference/*.ts (they take typed arrays instead of pointers).
 */
export interface KernelExports {
  readonly memory: WebAssembly.Memory;

  // select.ts: selection by magnitude; indices always come out ascending.
  /** Bytes of scratch topk_abs needs for length n. */
  topk_scratch_bytes(n: number): number;
  /** Exact top-k by |x| (ties: lower index wins; -0 == +0). Writes k u32 indices ascending; returns k. Requires 1 <= k <= n. */
  topk_abs(x: number, n: number, k: number, outIdx: number, scratch: number): number;
  /** Indices of |x[i]| >= lambda, ascending, written to outIdx (room for n); returns the count. */
  threshold_abs(x: number, n: number, lambda: number, outIdx: number): number;
  /** Count of |x[i]| >= lambda. */
  threshold_count(x: number, n: number, lambda: number): number;
  /** Bytes of scratch randk needs. */
  randk_scratch_bytes(n: number, k: number): number;
  /** k distinct indices uniform over [0, n), ascending, from the RNG stream `key`; returns k. */
  randk(n: number, k: number, key: number, outIdx: number, scratch: number): number;

  // random.ts: counter-based RNG; identical to src/kernels/rng.ts.
  rng_key(seed: number, device: number, round: number, purpose: number): number;
  rng_u32(key: number, counter: number): number;
  /** out[i] = uniform f32 in [0, 1) from counters counter0 + i. */
  rng_fill_uniform(key: number, counter0: number, out: number, n: number): void;

  // quantize.ts: per-bucket linear quantizers and stochastic quantizers.
  /** int8: per bucket scale = absmax/127 (f32); q = nearest-even(x / scale) (0 when scale = 0). */
  quant_int8(x: number, n: number, bucket: number, outQ: number, outScales: number): void;
  dequant_int8(q: number, scales: number, n: number, bucket: number, out: number): void;
  /** int4: scale = absmax/7; q in [-7, 7] packed two per byte, low nibble first (two's complement nibble). */
  quant_int4(x: number, n: number, bucket: number, outQ: number, outScales: number): void;
  dequant_int4(q: number, scales: number, n: number, bucket: number, out: number): void;
  /** QSGD s levels per bucket: norm = ||bucket||_2; level = floor(|x|/norm*s + u) with u from (key, counter0 + i); signed i8 level. */
  qsgd_quant(x: number, n: number, s: number, bucket: number, key: number, counter0: number, outLevels: number, outNorms: number): void;
  qsgd_dequant(levels: number, norms: number, n: number, s: number, bucket: number, out: number): void;
  /** sign: bit i set when x[i] < 0 (LSB first); returns the L1 scale sum|x|/n as f32. */
  sign_pack(x: number, n: number, outBits: number): number;
  sign_unpack(bits: number, n: number, scale: number, out: number): void;

  // sparse.ts: gather / scatter and index packing.
  gather(x: number, idx: number, k: number, out: number): void;
  scatter(idx: number, vals: number, k: number, out: number): void;
  /** out[idx[j]] += alpha * vals[j] */
  scatter_add(idx: number, vals: number, k: number, alpha: number, out: number): void;
  /** LEB128 varints of idx[0], idx[1]-idx[0]-1, ... (ascending, distinct); returns bytes written (room: 5k). */
  varint_encode_deltas(idx: number, k: number, out: number): number;
  /** Decodes k indices from at most inLen bytes; returns bytes consumed, or a negative code:
   *  -1 truncated, -2 varint longer than 5 bytes / overflow, -3 index >= n. */
  varint_decode_deltas(inp: number, inLen: number, k: number, n: number, outIdx: number): number;
  /** Bitmap of n bits (LSB first) from ascending indices; returns bytes written = ceil(n/8). */
  bitmap_encode(idx: number, k: number, n: number, out: number): number;
  /** Indices of set bits among the first n; returns the count (bits past n must be zero, else -1). */
  bitmap_decode(inp: number, n: number, outIdx: number): number;

  // vector.ts: dense vector ops (f64 accumulation for reductions).
  axpy(n: number, a: number, x: number, y: number): void;        // y += a x
  axpby(n: number, a: number, x: number, b: number, y: number): void; // y = a x + b y
  scale(n: number, a: number, x: number): void;                   // x *= a
  copy(n: number, src: number, dst: number): void;
  fill(n: number, v: number, x: number): void;
  sub(n: number, x: number, y: number, out: number): void;        // out = x - y
  dot(n: number, x: number, y: number): number;
  norm2sq(n: number, x: number): number;
  absmax(n: number, x: number): number;
  sum(n: number, x: number): number;
  /** Count of NaN/Inf entries. */
  count_nonfinite(n: number, x: number): number;
}
