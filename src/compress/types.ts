/** The compressor contract (GRACE-style: Compressor here, Memory in error-feedback.ts, Communicator in the engine). */

/** What travels: a sparse (or dense: indices = 0..d-1) vector whose values are exactly what a receiver decodes. */
export interface Message {
  /** Vector dimension. */
  readonly d: number;
  /** Kept coordinates, strictly ascending, each < d. */
  readonly indices: Uint32Array;
  /** Values at those coordinates after quantization (what `decode` writes). */
  readonly values: Float32Array;
  /** 8 x byte length of the wire encoding of this message. */
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
  compress(x: Float32Array, opts?: CompressOptions): Message;
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
  /** Validate bytes as parse() does, then target[i] += alpha * value_i for every carried coordinate. */
  accumulate(bytes: Uint8Array, d: number, alpha: number, target: Float32Array): void;
}
