/** The compressor contract (GRACE-style: Compressor here, Memory in error-feedback.ts, Communicator in the engine). */

/** What travels: a sparse (or dense: indices = 0..d-1) vector whose values are exactly what a receiver decodes. */
export interface Message {
  /** Vector dimension. */
  readonly d: number;
  /** Kept coordinates, strictly ascending, each < d. */
  readonly indices: Uint32Array;
  /** Values at those coordinates after quantization (what `decode` writes). */
  readonly values: Float32Array;
  /** 8 x byte length of the wire encoding of this message (encode(msg).length, computed when made). */
  readonly bits: number;
}

export interface CompressOptions {
  /** RNG stream key for stochastic compressors (randk, qsgd): rng_key(seed, device, round, purpose). */
  readonly rngKey?: number;
}

export interface Compressor {
  /** The canonical spec string (e.g. `topk:0.01+int8`). */
  readonly spec: string;
  /** True when compress() depends on rngKey. */
  readonly stochastic: boolean;
  /**
   * The message of x. Its arrays are fresh copies the caller owns. Sparse raw-f32 compressors
   * (topk:f, threshold:λ) only count the wire bytes here (bits): encode() writes them from the
   * message's indices and values, so edit those and encode() writes the edited message (after the
   * checks it applies to any message); the others keep the bytes made here.
   */
  compress(x: Float32Array, opts?: CompressOptions): Message;
  /** The wire bytes of a message (a fresh array); for an unedited compress(x) or parse(bytes), 8 * length === msg.bits. */
  encode(msg: Message): Uint8Array;
  /** Validates untrusted bytes fully before any kernel touches memory; throws WireError. */
  parse(bytes: Uint8Array, d: number): Message;
  /** Writes the dense vector (zeros off the kept coordinates). */
  decode(msg: Message, out: Float32Array): void;
  /** Upper bound of encode()'s byte length for dimension d (mailbox sizing). */
  maxEncodedBytes(d: number): number;
}

/**
 * Engine fast path, same semantics as compress+encode and parse+decode without intermediate
 * Messages. When x / out / target are views on the kernel memory (the arena) no bytes are copied.
 */
export interface WireCompressor extends Compressor {
  /** compress(x) then encode into out (room: maxEncodedBytes(d)); returns the byte length. */
  compressInto(x: Float32Array, out: Uint8Array, opts?: CompressOptions): number;
  /**
   * Validate bytes as parse() does, then target[i] += alpha * value_i for every carried coordinate.
   * With `beta` (default 1; an addition for fused mixing): target = beta * target first, over all d
   * coordinates, in the same call and only once the bytes passed validation; the result is bit-equal
   * to scaling target by beta and then accumulating.
   * Returns the number of NaN/Inf entries of target afterwards when the pass that wrote target
   * could count them at no extra cost (dense messages into arena memory), else -1 (not counted).
   */
  accumulate(bytes: Uint8Array, d: number, alpha: number, target: Float32Array, beta?: number): number;
  /**
   * Validate bytes as parse() does, then out = the message's vector (0 off the carried
   * coordinates), bit for bit; out is written only once the bytes passed validation.
   */
  decodeInto(bytes: Uint8Array, d: number, out: Float32Array): void;
}

// ---- Added by the compressors part (additive): the validated structured form of a spec string. ----

/** Which coordinates travel. `dense` keeps all d (the quantizer-only specs and `none`). */
export type SparsifierSpec =
  | { readonly kind: 'dense' }
  | { readonly kind: 'topk'; readonly ratio: number }
  | { readonly kind: 'randk'; readonly ratio: number; readonly scaled: boolean }
  | { readonly kind: 'threshold'; readonly lambda: number };

/** How the kept values travel. `f32` is raw. */
export type QuantizerSpec =
  | { readonly kind: 'f32' }
  | { readonly kind: 'int8'; readonly bucket: number }
  | { readonly kind: 'int4'; readonly bucket: number }
  | { readonly kind: 'qsgd'; readonly levels: number; readonly bucket: number }
  | { readonly kind: 'sign' };

/** parseCompressorSpec's result: `spec` is the canonical string (parse(spec).spec round-trips). */
export interface CompressorSpec {
  readonly spec: string;
  readonly sparsifier: SparsifierSpec;
  readonly quantizer: QuantizerSpec;
}

/** What createCompressor returns: a WireCompressor that also tells the engine how to size its scratch. */
export interface KernelCompressor extends WireCompressor {
  /** The validated structured spec. */
  readonly parsed: CompressorSpec;
  /** Bytes of kernel scratch any call with dimension d needs (size the per-worker scratch region with it). */
  scratchBytes(d: number): number;
  /**
   * A zeroed Float32Array of length d on this compressor's own kernel memory: compress,
   * compressInto, decode and accumulate then work on it in place (no copy in or out). It stays
   * valid when the memory grows, and lives until release(v). Unbound compressors of one kernel
   * build share one memory per thread, so their vectors are interchangeable; a vector of another
   * memory is refused (InputError). Not available on a compressor bound to a caller's kernels.
   */
  vector(d: number): Float32Array;
  /** Returns the memory of a vector from vector() (the array must not be used afterwards). */
  release(v: Float32Array): void;
}
