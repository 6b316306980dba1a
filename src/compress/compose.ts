/**
 * A compressor = a sparsifier + a value format + the wire codec, all on WASM kernels.
 * compressInto/accumulate are the engine's fast path (no Message objects, no copies for arrays on
 * the kernel memory); compress/encode/parse/decode are the same pipeline wrapped in Messages.
 */
import { InputError, WireError } from '../errors.js';
import type { KernelExports } from '../kernels/abi.js';
import {
  HEADER_BYTES, type Header, type HeaderExpectation, IndexFormat, MAX_D, planIndices, readHeader, readIndices, writeHeader, writeIndices,
} from './codec.js';
import { type KernelContext, overlaps } from './exec.js';
import { type Selection, type Sparsifier, SparsifierId, type ValueFormat, ValueFormatId } from './stages.js';
import type { CompressOptions, CompressorSpec, KernelCompressor, Message } from './types.js';

const ALIGN_SLACK = 64;

/** A validated, decoded message body in kernel memory. */
interface Body {
  readonly h: Header;
  /** Indices pointer, -1 for dense. */
  readonly idx: number;
  /** k decoded f32 values. */
  readonly vals: number;
}

export class ComposedCompressor implements KernelCompressor {
  readonly spec: string;
  readonly stochastic: boolean;
  /** Encoded bytes of every Message this compressor produced or parsed (encode returns them). */
  private readonly wire = new WeakMap<Message, Uint8Array>();
  /** Dense f32 (`none`): compressInto / accumulate take the kernel-only fast path when they can. */
  private readonly denseF32: boolean;
  /** The one valid header of a dense f32 message of dimension denseD (every field follows from d). */
  private denseHeader: Uint8Array | null = null;
  private denseD = 0;

  constructor(
    readonly parsed: CompressorSpec,
    private readonly sparsifier: Sparsifier,
    private readonly format: ValueFormat,
    private readonly ctx: KernelContext,
  ) {
    this.spec = parsed.spec;
    this.stochastic = sparsifier.stochastic || format.stochastic;
    this.denseF32 = sparsifier.id === SparsifierId.dense && format.id === ValueFormatId.f32;
  }

  /** The kernel instance this compressor runs on. */
  get kernels(): KernelExports { return this.ctx.kx; }

  // ---- sizes ----

  maxEncodedBytes(d: number): number {
    checkD(this.spec, d);
    const fixed = this.sparsifier.fixedK(d);
    if (fixed === undefined) return HEADER_BYTES + this.format.bytes(d) + Math.ceil(d / 8);
    return HEADER_BYTES + this.format.bytes(fixed) + (fixed === d ? 0 : Math.min(Math.ceil(d / 8), (d <= 65536 ? 2 : 4) * fixed));
  }

  /** Bytes of scratch any call with dimension d needs (size the engine's scratch region with it). */
  scratchBytes(d: number): number {
    const maxEnc = this.maxEncodedBytes(d);
    const kMax = this.sparsifier.maxK(d);
    const fmt = this.format.scratchBytes(kMax);
    const compress = 4 * d + maxEnc + this.sparsifier.scratchBytes(this.ctx.kx, d) + fmt + 4 * kMax /* compress(): decoded values */;
    const receive = maxEnc + 4 * d /* indices (bitmap room) */ + 8 * Math.ceil(d / 64) /* seeded: randk's bitmap */ + 4 * kMax + fmt + 4 * d /* target */;
    const decode = 4 * d + 8 * kMax;
    return Math.max(compress, receive, decode) + 16 * ALIGN_SLACK;
  }

  // ---- fast path ----

  compressInto(x: Float32Array, out: Uint8Array, opts: CompressOptions = {}): number {
    if (this.denseF32) {
      const length = this.denseCompressInto(x, out, opts);
      if (length > 0) return length;
    }
    if (!(x instanceof Float32Array)) throw new InputError(`${this.spec}: compress needs a Float32Array`);
    const d = x.length;
    checkD(this.spec, d);
    const room = this.maxEncodedBytes(d);
    if (!(out instanceof Uint8Array) || out.length < room) {
      throw new InputError(`${this.spec}: output buffer has ${out?.length} bytes, needs maxEncodedBytes(${d}) = ${room}`);
    }
    const key = this.resolveKey(opts);
    const ctx = this.ctx;
    ctx.begin(this.scratchBytes(d));
    const xHeld = ctx.holds(x);
    const op = ctx.placeOut(out);
    if (xHeld && ctx.holds(out) && overlaps(x.byteOffset, 4 * d, op, room)) {
      throw new InputError(`${this.spec}: input and output buffers overlap`);
    }
    const length = this.encodeAt(x, op, key).length;
    if (!ctx.holds(out)) out.set(ctx.u8(op, length));
    return length;
  }

  /**
   * Checks x's values and selects (raw f32 values into valuesAt when given): in place when x is on
   * the kernel memory, else on a copy, which the sparsifier makes while it selects when it can.
   */
  private selectFrom(x: Float32Array, key: number, valuesAt: number | undefined): Selection {
    const ctx = this.ctx;
    const sparsifier = this.sparsifier;
    const d = x.length;
    let xp: number;
    let sel: Selection;
    if (sparsifier.keepsNonfinite && sparsifier.selectCopying && !ctx.holds(x)) {
      ({ xp, sel } = sparsifier.selectCopying(ctx, x, key, valuesAt));
    } else {
      xp = ctx.place(x);
      if (!sparsifier.keepsNonfinite) this.checkFinite(xp, d, x);
      sel = sparsifier.select(ctx, xp, d, key, valuesAt);
    }
    if (sparsifier.keepsNonfinite && ctx.kx.count_nonfinite(sel.k, sel.vals) !== 0) this.checkFinite(xp, d, x);
    return sel;
  }

  /** Checks x's values, selects, quantizes and writes the whole message at op. */
  private encodeAt(x: Float32Array, op: number, key: number): { sel: Selection; length: number } {
    const ctx = this.ctx;
    const d = x.length;
    // Raw f32 values go straight to the message's value section.
    const sel = this.selectFrom(x, key, this.format.id === ValueFormatId.f32 ? op + HEADER_BYTES : undefined);
    const vbytes = this.format.bytes(sel.k);
    this.format.encode(ctx, sel.vals, sel.k, op + HEADER_BYTES, key);
    const [indexFormat, ibytes] = writeIndices(ctx, sel, d, op + HEADER_BYTES + vbytes);
    const length = HEADER_BYTES + vbytes + ibytes;
    writeHeader(ctx.u8(op, HEADER_BYTES), {
      sparsifier: this.sparsifier.id, format: this.format.id, indexFormat, flags: this.sparsifier.flags,
      levels: this.format.levels, d, k: sel.k, bucket: this.format.bucket, length,
    });
    return { sel, length };
  }

  accumulate(bytes: Uint8Array, d: number, alpha: number, target: Float32Array, beta = 1): number {
    if (this.denseF32) {
      const nonfinite = this.denseAccumulate(bytes, d, alpha, target, beta);
      if (nonfinite >= 0) return nonfinite;
    }
    if (!Number.isFinite(alpha)) throw new InputError(`${this.spec}: accumulate alpha ${alpha} is not finite`);
    if (!Number.isFinite(beta)) throw new InputError(`${this.spec}: accumulate beta ${beta} is not finite`);
    const { h, bp } = this.placeMessage(bytes, d, target, 'accumulate target');
    const ctx = this.ctx;
    const tp = ctx.place(target);
    const body = this.body(bp, h);
    // beta * target + alpha * v in one pass when dense (fl(a v) + fl(b t) = fl(b t) + fl(a v): same bits as scaling first).
    if (body.idx < 0 && h.k > 0) {
      if (beta === 1) ctx.kx.axpy(d, alpha, body.vals, tp);
      else ctx.kx.axpby(d, alpha, body.vals, beta, tp);
    } else {
      if (beta !== 1) ctx.kx.scale(d, beta, tp);
      if (h.k > 0) ctx.kx.scatter_add(body.idx, body.vals, h.k, alpha, tp);
    }
    ctx.copyOut(tp, target);
    return -1;
  }

  decodeInto(bytes: Uint8Array, d: number, out: Float32Array): void {
    if (this.denseF32) {
      const vp = this.densePayload(bytes, d, out);
      if (vp >= 0) {
        this.ctx.kx.copy(d, vp, out.byteOffset);
        return;
      }
    }
    const { h, bp } = this.placeMessage(bytes, d, out, 'decodeInto output');
    const ctx = this.ctx;
    const body = this.body(bp, h);
    const op = ctx.placeOut(out);
    if (body.idx < 0) {
      if (h.k > 0) ctx.kx.copy(d, body.vals, op);
    } else {
      ctx.kx.fill(d, 0, op);
      if (h.k > 0) ctx.kx.scatter(body.idx, body.vals, h.k, op);
    }
    ctx.copyOut(op, out);
  }

  /**
   * The receive paths' common start: d and the target (`what`, for errors) checked, the header
   * validated, the scratch begun and the bytes placed on the kernel memory, apart from the target.
   */
  private placeMessage(bytes: Uint8Array, d: number, target: Float32Array, what: string): { h: Header; bp: number } {
    checkD(this.spec, d);
    if (!(target instanceof Float32Array) || target.length !== d) {
      throw new InputError(`${this.spec}: ${what} has length ${target?.length}, expected d=${d}`);
    }
    const h = this.header(bytes, d);
    const ctx = this.ctx;
    ctx.begin(this.scratchBytes(d));
    const bp = ctx.place(bytes);
    if (ctx.holds(bytes) && ctx.holds(target) && overlaps(bp, bytes.length, target.byteOffset, 4 * d)) {
      throw new InputError(`${this.spec}: message bytes and ${what} overlap`);
    }
    return { h, bp };
  }

  // ---- dense f32 fast path (`none`: what SGP / D-PSGD send every round) ----

  /**
   * x and out both on the kernel memory, apart and clear of the scratch: one finiteness pass, one
   * kernel copy and the header, no scratch and no JS views. Returns 0 when it does not apply (the
   * general path then runs, and also reports any argument error).
   */
  private denseCompressInto(x: Float32Array, out: Uint8Array, opts: CompressOptions): number {
    const ctx = this.ctx;
    const mem = ctx.fixedBytes;
    if (!(x instanceof Float32Array) || !(out instanceof Uint8Array) || x.buffer !== mem.buffer || out.buffer !== mem.buffer) return 0;
    const d = x.length;
    const length = HEADER_BYTES + 4 * d;
    const xp = x.byteOffset;
    const op = out.byteOffset;
    if (d < 1 || out.length < length || overlaps(xp, 4 * d, op, length) || ctx.touchesScratch(xp, 4 * d) || ctx.touchesScratch(op, out.length)) return 0;
    if (opts.rngKey !== undefined) this.resolveKey(opts);
    const kx = ctx.kx;
    if (kx.count_nonfinite(d, xp) !== 0) this.checkFinite(xp, d, x);
    kx.copy(d, xp, op + HEADER_BYTES);
    mem.set(this.denseHeaderFor(d), op);
    return length;
  }

  /** The dense fast path: the count of NaN/Inf entries of target afterwards, or -1 when not taken. */
  private denseAccumulate(bytes: Uint8Array, d: number, alpha: number, target: Float32Array, beta: number): number {
    if (!Number.isFinite(alpha) || !Number.isFinite(beta)) return -1;
    const vp = this.densePayload(bytes, d, target);
    if (vp < 0) return -1;
    // axpby with beta 1 has the bits of axpy (fl(a v) + t = t + fl(a v)); counting rides along.
    return this.ctx.kx.axpby_nonfinite(d, alpha, vp, beta, target.byteOffset) >>> 0;
  }

  /**
   * Pointer to the d values of a dense f32 message when bytes and target are on the kernel memory,
   * apart and clear of the scratch, and the header is byte for byte the one valid dense f32 header
   * for d: the payload is then well-formed, so one finiteness pass over it (non-finite values are a
   * WireError) and the caller reads straight from it. -1 when this does not apply (the general path
   * then validates, decodes and reports whatever is wrong).
   */
  private densePayload(bytes: Uint8Array, d: number, target: Float32Array): number {
    const ctx = this.ctx;
    const mem = ctx.fixedBytes;
    if (!(bytes instanceof Uint8Array) || !(target instanceof Float32Array) || bytes.buffer !== mem.buffer || target.buffer !== mem.buffer) return -1;
    if (!Number.isInteger(d) || d < 1 || d > MAX_D || target.length !== d) return -1;
    const length = HEADER_BYTES + 4 * d;
    const bp = bytes.byteOffset;
    const tp = target.byteOffset;
    if (bytes.length !== length || overlaps(bp, length, tp, 4 * d) || ctx.touchesScratch(bp, length) || ctx.touchesScratch(tp, 4 * d)) return -1;
    const header = this.denseHeaderFor(d);
    for (let i = 0; i < HEADER_BYTES; i++) if (mem[bp + i] !== header[i]) return -1;
    const vp = bp + HEADER_BYTES;
    const kx = ctx.kx;
    if (kx.count_nonfinite(d, vp) !== 0) {
      const dv = new DataView(mem.buffer, vp, 4 * d);
      let i = 0;
      while (Number.isFinite(dv.getFloat32(4 * i, true))) i++;
      throw new WireError(`${this.spec}: value ${i} decodes to ${dv.getFloat32(4 * i, true)} (scale or value out of range)`);
    }
    return vp;
  }

  private denseHeaderFor(d: number): Uint8Array {
    if (this.denseHeader === null || this.denseD !== d) {
      const h = new Uint8Array(HEADER_BYTES);
      writeHeader(h, {
        sparsifier: this.sparsifier.id, format: this.format.id, indexFormat: IndexFormat.dense, flags: this.sparsifier.flags,
        levels: this.format.levels, d, k: d, bucket: this.format.bucket, length: HEADER_BYTES + 4 * d,
      });
      this.denseHeader = h;
      this.denseD = d;
    }
    return this.denseHeader;
  }

  // ---- Message API ----

  /**
   * compressInto's pipeline wrapped in a Message: x is copied in once unless it is a vector of this
   * memory (topk: range by range, each range filtered while in cache), and the only allocations are
   * the returned Message's arrays (and its wire bytes when they are made here). Its values are
   * what parse() decodes from its bytes (a receiver sees exactly them).
   * Sparse raw-f32 messages (topk, threshold) get only their length here: encode() writes their
   * bytes from the indices and values, which determine them.
   */
  compress(x: Float32Array, opts: CompressOptions = {}): Message {
    if (!(x instanceof Float32Array)) throw new InputError(`${this.spec}: compress needs a Float32Array`);
    const d = x.length;
    checkD(this.spec, d);
    const key = this.resolveKey(opts);
    const ctx = this.ctx;
    ctx.begin(this.scratchBytes(d));
    if (this.format.id === ValueFormatId.f32 && this.sparsifier.id !== SparsifierId.dense && this.sparsifier.id !== SparsifierId.randk) {
      const sel = this.selectFrom(x, key, undefined);
      const k = sel.k;
      const bits = 8 * (HEADER_BYTES + this.format.bytes(k) + planIndices(ctx, sel, d)[1]);
      return { d, indices: this.indicesOf(sel), values: ctx.f32(sel.vals, k).slice(), bits };
    }
    const op = ctx.alloc(this.maxEncodedBytes(d));
    const { sel, length } = this.encodeAt(x, op, key);
    const k = sel.k;
    const indices = this.indicesOf(sel);
    let vals = sel.vals;
    if (this.format.id !== ValueFormatId.f32) {
      vals = ctx.alloc(4 * k);
      this.format.decode(ctx, op + HEADER_BYTES, k, vals, true);
    }
    const msg: Message = { d, indices, values: ctx.f32(vals, k).slice(), bits: 8 * length };
    this.wire.set(msg, ctx.u8(op, length).slice());
    return msg;
  }

  /** A copy of the k indices at sel.idx (0..k-1 when idx is -1: all kept). */
  private indicesOf(sel: Pick<Selection, 'k' | 'idx'>): Uint32Array {
    if (sel.idx >= 0) return this.ctx.u32(sel.idx, sel.k).slice();
    const indices = new Uint32Array(sel.k);
    for (let i = 0; i < sel.k; i++) indices[i] = i;
    return indices;
  }

  /** A zeroed vector of length d on this compressor's kernel memory: compress, decode and accumulate use it in place. */
  vector(d: number): Float32Array {
    if (!this.ctx.own) throw new InputError(`${this.spec}: vector(d): this compressor runs on a caller's kernel binding; its in-place arrays are views on that memory (e.g. the arena)`);
    return this.ctx.own.vector(d);
  }

  /** Gives a vector's memory back (for reuse by later vectors and scratch). */
  release(v: Float32Array): void {
    if (!this.ctx.own) throw new InputError(`${this.spec}: release(v): this compressor runs on a caller's kernel binding and hands out no vectors`);
    this.ctx.own.release(v);
  }

  encode(msg: Message): Uint8Array {
    const cached = this.wire.get(msg);
    if (cached) return cached.slice();
    this.checkMessage(msg);
    if (this.format.id !== ValueFormatId.f32) {
      throw new InputError(`${this.spec}: can only encode Messages this compressor produced (compress/parse): quantized values do not determine their scales`);
    }
    const d = msg.d;
    const k = msg.indices.length;
    const fixed = this.sparsifier.fixedK(d);
    if (fixed !== undefined && k !== fixed) throw new InputError(`${this.spec}: message has k=${k}, this compressor sends k=${fixed} for d=${d}`);
    const ctx = this.ctx;
    ctx.begin(this.scratchBytes(d));
    const room = this.maxEncodedBytes(d);
    const op = ctx.alloc(room);
    const idx = ctx.alloc(4 * k);
    ctx.u32(idx, k).set(msg.indices);
    ctx.f32(op + HEADER_BYTES, k).set(msg.values);
    if (k > 0 && ctx.kx.count_nonfinite(k, op + HEADER_BYTES) !== 0) {
      const j = msg.values.findIndex((v) => !Number.isFinite(v));
      throw new InputError(`${this.spec}: message value ${j} is ${msg.values[j]}`);
    }
    const [indexFormat, ibytes] = writeIndices(ctx, { k, idx: k === d ? -1 : idx, vals: -1 }, d, op + HEADER_BYTES + 4 * k);
    const length = HEADER_BYTES + 4 * k + ibytes;
    writeHeader(ctx.u8(op, HEADER_BYTES), {
      sparsifier: this.sparsifier.id, format: this.format.id, indexFormat, flags: this.sparsifier.flags,
      levels: 0, d, k, bucket: 0, length,
    });
    return ctx.u8(op, length).slice();
  }

  parse(bytes: Uint8Array, d: number): Message {
    checkD(this.spec, d);
    const h = this.header(bytes, d);
    const ctx = this.ctx;
    ctx.begin(this.scratchBytes(d));
    const body = this.body(ctx.place(bytes), h);
    const indices = this.indicesOf({ k: h.k, idx: body.idx });
    const values = ctx.f32(body.vals, h.k).slice();
    const msg: Message = { d, indices, values, bits: 8 * bytes.length };
    this.wire.set(msg, bytes.slice());
    return msg;
  }

  decode(msg: Message, out: Float32Array): void {
    this.checkMessage(msg);
    if (!(out instanceof Float32Array) || out.length !== msg.d) {
      throw new InputError(`${this.spec}: decode output has length ${out?.length}, message has d=${msg.d}`);
    }
    const ctx = this.ctx;
    const k = msg.indices.length;
    ctx.begin(this.scratchBytes(msg.d));
    const op = ctx.placeOut(out);
    ctx.kx.fill(msg.d, 0, op);
    if (k > 0) {
      const idx = ctx.place(msg.indices);
      const vals = ctx.place(msg.values);
      ctx.kx.scatter(idx, vals, k, op);
    }
    ctx.copyOut(op, out);
  }

  // ---- internals ----

  private expectation(d: number): HeaderExpectation {
    return {
      label: this.spec, d, sparsifier: this.sparsifier.id, format: this.format.id, flags: this.sparsifier.flags,
      levels: this.format.levels, bucket: this.format.bucket, fixedK: this.sparsifier.fixedK(d),
      valueBytes: (k) => this.format.bytes(k), maxLength: this.maxEncodedBytes(d),
    };
  }

  private header(bytes: Uint8Array, d: number): Header {
    if (!(bytes instanceof Uint8Array)) throw new WireError(`${this.spec}: a message must be a Uint8Array`);
    return readHeader(bytes, this.expectation(d));
  }

  /** Validates and decodes the sections of a message whose header passed, at bp in kernel memory. */
  private body(bp: number, h: Header): Body {
    const ctx = this.ctx;
    const fail = (msg: string): never => { throw new WireError(`${this.spec}: ${msg}`); };
    const vbytes = this.format.bytes(h.k);
    const vals = ctx.alloc(4 * h.k);
    try {
      this.format.decode(ctx, bp + HEADER_BYTES, h.k, vals);
    } catch (err) {
      if (err instanceof WireError) fail(err.message);
      throw err;
    }
    const bad = h.k > 0 ? ctx.kx.count_nonfinite(h.k, vals) : 0;
    if (bad > 0) {
      const v = ctx.f32(vals, h.k);
      let i = 0;
      while (Number.isFinite(v[i]!)) i++;
      fail(`value ${i} decodes to ${v[i]} (scale or value out of range)`);
    }
    const ip = bp + HEADER_BYTES + vbytes;
    const idx = readIndices(ctx, ip, h.length - HEADER_BYTES - vbytes, h, fail);
    return { h, idx, vals };
  }

  private checkFinite(xp: number, d: number, x: Float32Array): void {
    if (this.ctx.kx.count_nonfinite(d, xp) === 0) return;
    for (let i = 0; i < d; i++) {
      if (!Number.isFinite(x[i]!)) throw new InputError(`${this.spec}: input has ${x[i]} at index ${i} (d=${d}); NaN/Inf cannot be compressed`);
    }
  }

  private resolveKey(opts: CompressOptions): number {
    const key = opts.rngKey;
    if (key === undefined) {
      if (this.stochastic) throw new InputError(`${this.spec} is stochastic: pass opts.rngKey (rngKey(seed, device, round, purpose))`);
      return 0;
    }
    if (!Number.isInteger(key) || key < -0x80000000 || key > 0xffffffff) {
      throw new InputError(`${this.spec}: rngKey ${key} is not a 32-bit integer`);
    }
    return key >>> 0;
  }

  /** Structural checks on a caller-supplied Message before kernels see its indices. */
  private checkMessage(msg: Message): void {
    const d = msg?.d;
    checkD(this.spec, d);
    const { indices, values } = msg;
    if (!(indices instanceof Uint32Array) || !(values instanceof Float32Array) || indices.length !== values.length) {
      throw new InputError(`${this.spec}: a Message needs Uint32Array indices and Float32Array values of equal length`);
    }
    if (indices.length > d) throw new InputError(`${this.spec}: message has ${indices.length} indices for d=${d}`);
    let prev = -1;
    for (let j = 0; j < indices.length; j++) {
      const v = indices[j]!;
      if (v >= d || v <= prev) throw new InputError(`${this.spec}: message index ${j} is ${v} (must ascend strictly and be < d=${d})`);
      prev = v;
    }
  }
}

function checkD(spec: string, d: number): void {
  if (!Number.isInteger(d) || d < 1 || d > MAX_D) throw new InputError(`${spec}: dimension d=${d} must be an integer in 1..${MAX_D}`);
}
