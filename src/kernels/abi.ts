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

  // select/ (topk.ts, threshold.ts, randk.ts): selection by magnitude; indices always come out ascending.
  /** Bytes of scratch topk_abs needs for length n. */
  topk_scratch_bytes(n: number): number;
  /** Exact top-k by |x| (ties: lower index wins; -0 == +0). Writes k u32 indices ascending; returns k. Requires 1 <= k <= n.
   *  NaN ranks above +Inf (the order of the sign-cleared bits), so x holds a NaN or Inf exactly when
   *  one of the k selected values is one. */
  topk_abs(x: number, n: number, k: number, outIdx: number, scratch: number): number;
  /** topk_abs, also writing the k selected values (x[idx[j]], bit for bit) to outVals; same scratch. */
  topk_abs_values(x: number, n: number, k: number, outIdx: number, outVals: number, scratch: number): number;
  // topk-stream.ts: topk_abs_values on an x copied into kernel memory piece by piece (reference:
  // topkSampleChunks, and topkAbs for the answer). One stream at a time per instance; the same
  // x, n, k and scratch (topk_scratch_bytes(n)) throughout.
  /** Starts a stream: writes the m chunk numbers c, ascending, whose floats x[32c, 32c + 32) the sample
   *  reads, as u32 at the start of scratch (m <= 2048); returns m (0: no sample). */
  topk_stream_plan(n: number, k: number, scratch: number): number;
  /** Samples the planned chunks (only they need to be in place at x); returns 1 when the candidate
   *  filter runs (then pass x to topk_stream_filter range by range), else 0. */
  topk_stream_begin(x: number, n: number, k: number, scratch: number): number;
  /** Filters x[start, end), just copied in; ranges must follow each other from 0 (else the stream
   *  falls back to the full select at finish, with the same answer). A no-op when the filter does not run. */
  topk_stream_filter(x: number, n: number, start: number, end: number, scratch: number): void;
  /** All of x in place: writes exactly what topk_abs_values writes (k indices ascending, their values); returns k
   *  (0 when k is outside [1, n]). */
  topk_stream_finish(x: number, n: number, k: number, outIdx: number, outVals: number, scratch: number): number;
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

  // quantize.ts: per-bucket linear quantizers and stochastic quantizers (reference: src/kernels/reference/quantize.ts).
  // Buckets are runs of `bucket` >= 1 consecutive elements (the last may be shorter); one f32 scale /
  // norm per bucket, ceil(n/bucket) in all. All arithmetic is f32 with the rounding shown (bit-identical
  // in both builds and the reference). Non-finite x: unspecified output (check count_nonfinite first).
  /** int8: a = max|x| over the bucket; a < 2^-120 (zero bucket): scale = 0, q = 0; else scale = a/127,
   *  inv = 127/a and q = nearest-even(x * inv), always in [-127, 127]. Writes n i8 and the scales. */
  quant_int8(x: number, n: number, bucket: number, outQ: number, outScales: number): void;
  /** out[i] = q[i] * scale[bucket of i]. */
  dequant_int8(q: number, scales: number, n: number, bucket: number, out: number): void;
  /** int4: as int8 with 7 for 127 (scale = a/7, inv = 7/a, q in [-7, 7]); ceil(n/2) bytes, element i in
   *  the low nibble of byte i>>1 when i is even, else the high nibble (two's complement nibbles; the pad
   *  nibble of an odd n is 0). Packing is global, so a byte may straddle two buckets. */
  quant_int4(x: number, n: number, bucket: number, outQ: number, outScales: number): void;
  dequant_int4(q: number, scales: number, n: number, bucket: number, out: number): void;
  /** QSGD, 1 <= s <= 127: norm = f32(sqrt(sum x^2)) with the sum in f64, lane-ordered like norm2sq over
   *  the bucket; norm < 2^-120: stored as 0, levels 0. Else mult = s/norm, u_i = (rng_u32(key, counter0 + i)
   *  >>> 8) * 2^-24 with i the global index (mod 2^32), level = min(s, floor(|x| * mult + u_i)), negated
   *  when x < 0; one signed i8 level per element. Unbiased: E[level] * norm/s = x (up to the clamp). */
  qsgd_quant(x: number, n: number, s: number, bucket: number, key: number, counter0: number, outLevels: number, outNorms: number): void;
  /** out[i] = level[i] * (norm[bucket of i] / s). */
  qsgd_dequant(levels: number, norms: number, n: number, s: number, bucket: number, out: number): void;
  /** sign: ceil(n/8) bytes, bit i set when x[i] < 0 (LSB first; -0 and pad bits are 0); returns the L1
   *  scale f32(sum|x| / n) with the sum in f64, lane-ordered like sum (0 when n = 0). */
  sign_pack(x: number, n: number, outBits: number): number;
  /** out[i] = bit i ? -scale : scale. */
  sign_unpack(bits: number, n: number, scale: number, out: number): void;

  // sparse.ts: gather / scatter and index packing (reference: src/kernels/reference/sparse.ts).
  // Decoders treat their input as untrusted: they read at most inLen (or ceil(n/8)) bytes and write
  // at most k (or n) indices, whatever the bytes say.
  /** out[j] = x[idx[j]] (bit copies). */
  gather(x: number, idx: number, k: number, out: number): void;
  /** out[idx[j]] = vals[j] in order j = 0..k-1 (bit copies; a repeated index keeps the last). */
  scatter(idx: number, vals: number, k: number, out: number): void;
  /** out[idx[j]] += alpha * vals[j] (f32: product rounded, then sum), in order j = 0..k-1. */
  scatter_add(idx: number, vals: number, k: number, alpha: number, out: number): void;
  /** LEB128 varints of idx[0], idx[1]-idx[0]-1, ... (ascending, distinct); returns bytes written (room: 5k). */
  varint_encode_deltas(idx: number, k: number, out: number): number;
  /** The bytes varint_encode_deltas would write for these indices; writes nothing. */
  varint_bytes_deltas(idx: number, k: number): number;
  /** Decodes k indices from at most inLen bytes; returns bytes consumed (trailing bytes are left for the
   *  caller to reject), or the first error met left to right: -1 truncated (input ends inside or before a
   *  varint), -2 varint longer than 5 bytes or above 2^32 - 1 (non-minimal encodings of at most 5 bytes
   *  are accepted), -3 index >= n. Decoded indices are strictly ascending. On error outIdx holds partial output. */
  varint_decode_deltas(inp: number, inLen: number, k: number, n: number, outIdx: number): number;
  /** The Rice parameter b (0..31) that codes idx's deltas in the fewest bits (ties: smaller b). k >= 1. */
  rice_parameter(idx: number, k: number): number;
  /** Both delta codings' costs from one pass over idx (ascending, distinct, k >= 1): writes 3 u32 at out,
   *  varint_bytes_deltas, rice_parameter and the bytes rice_encode_deltas would write. */
  delta_costs(idx: number, k: number, out: number): void;
  /** One byte b, then Rice codes (unary quotient v >> b, then b low bits; LSB first, pad bits 0) of the
   *  deltas idx[0], idx[1]-idx[0]-1, ... (ascending, distinct, k >= 1); returns bytes written, or -1 and
   *  nothing written when that would be limit bytes or more (so room for limit - 1 bytes is enough). */
  rice_encode_deltas(idx: number, k: number, limit: number, out: number): number;
  /** Decodes k indices from at most inLen bytes; returns bytes consumed (trailing bytes are left for the
   *  caller to reject), or the first error met left to right: -1 truncated, -2 parameter byte above 31,
   *  -3 index >= n (as soon as a quotient alone reaches n), -4 pad bits not 0. On error outIdx holds
   *  partial output. */
  rice_decode_deltas(inp: number, inLen: number, k: number, n: number, outIdx: number): number;
  /** Bitmap of n bits (LSB first) from ascending indices; zeroes, then sets; returns bytes written = ceil(n/8). */
  bitmap_encode(idx: number, k: number, n: number, out: number): number;
  /** Indices of set bits among the first n, ascending (room for n); returns the count. Bits past n must be
   *  zero, else -1 and nothing is written. */
  bitmap_decode(inp: number, n: number, outIdx: number): number;

  // vector.ts: dense f32 vector ops (reference: src/kernels/reference/vector.ts). Scalars a, b, v, alpha
  // are f32; element-wise results are rounded to f32 at every step (axpy: y + (a*x); axpby: (a*x) + (b*y)).
  // Reductions accumulate in f64 over 16 lanes (lane = i % 16) combined in a fixed tree, so both builds
  // and the reference return bit-identical results.
  axpy(n: number, a: number, x: number, y: number): void;        // y += a x
  axpby(n: number, a: number, x: number, b: number, y: number): void; // y = a x + b y
  /** y = a x + b y (same bits as axpby); returns how many results are NaN or +-Inf. */
  axpby_nonfinite(n: number, a: number, x: number, b: number, y: number): number;
  scale(n: number, a: number, x: number): void;                   // x *= a
  /** memmove semantics: overlapping ranges are fine. */
  copy(n: number, src: number, dst: number): void;
  fill(n: number, v: number, x: number): void;
  sub(n: number, x: number, y: number, out: number): void;        // out = x - y
  dot(n: number, x: number, y: number): number;
  norm2sq(n: number, x: number): number;
  /** max |x[i]| as f32 (0 for n = 0; NaN if any x[i] is NaN). */
  absmax(n: number, x: number): number;
  sum(n: number, x: number): number;
  /** Count of NaN/Inf entries. */
  count_nonfinite(n: number, x: number): number;

  // logistic.ts: softmax regression with bias (the native `logistic` learner, src/models/logistic.ts).
  // Parameters: W [classes x dIn] row-major, then bias [classes]; labels must be < classes.
  /** Bytes of scratch the logistic kernels need for `classes` classes. */
  logistic_scratch_bytes(classes: number): number;
  /** Mean cross-entropy over x [count x dIn], y [count]; writes its gradient (W rows, then bias) to gradOut. */
  logistic_grad(params: number, dIn: number, classes: number, x: number, y: number, count: number, gradOut: number, scratch: number): number;
  /** logistic_grad over samples u32 rows[count] of a whole dataset (xAll, yAll): same bits as on the gathered batch. */
  logistic_grad_rows(params: number, dIn: number, classes: number, xAll: number, yAll: number, rows: number, count: number, gradOut: number, scratch: number): number;
  /** Summed cross-entropy (f64) over `count` samples; writes the count of correct predictions (argmax, lowest class on ties) as u32 at outCorrect. */
  logistic_eval(params: number, dIn: number, classes: number, x: number, y: number, count: number, scratch: number, outCorrect: number): number;

  // optim.ts: fused optimizer steps (elementwise, so both builds give identical bits).
  /**
   * u = g + wd*p (u = g when wd == 0); m = beta*m + u; t += a*m. p may alias t.
   * Returns the number of NaN/Inf entries written to t.
   */
  momentum_step(n: number, beta: number, wd: number, p: number, g: number, m: number, a: number, t: number): number;
  /** out = a * x. */
  scale_into(n: number, a: number, x: number, out: number): void;
}
