/**
 * Error feedback (GRACE "Memory"): the part of a vector a compressor did not send is kept in e and
 * added to the next vector. apply: v = x + e; update: e = v - decoded(message). All arithmetic is
 * f32 (one rounding per add/subtract), so for top-k x + e_before == decoded + e_after exactly.
 *
 * Over the arena: pass `kernels` and arena views (e, x, v); the kernels then work in place.
 * Plain arrays use the equivalent JS loops (Float32Array stores round exactly like f32 kernels).
 */
import { InputError } from '../errors.js';
import { type KernelBinding, KernelContext } from './exec.js';
import type { Message, WireCompressor } from './types.js';

export interface ErrorFeedbackOptions {
  /** Kernel instance + scratch on the memory the vectors live on (scratch is reset per call). */
  readonly kernels?: KernelBinding;
}

export class ErrorFeedback {
  /** The residual memory (an arena view when the engine owns it). */
  readonly e: Float32Array;
  private readonly ctx: KernelContext | undefined;

  /** `e`: the memory to use (e.g. an arena view, left as is), or d for a fresh zero vector. */
  constructor(e: Float32Array | number, opts: ErrorFeedbackOptions = {}) {
    if (typeof e === 'number') {
      if (!Number.isInteger(e) || e < 1) throw new InputError(`error feedback: dimension ${e} must be a positive integer`);
      this.e = new Float32Array(e);
    } else {
      this.e = e;
    }
    this.ctx = opts.kernels ? KernelContext.bound(opts.kernels) : undefined;
  }

  get d(): number { return this.e.length; }

  /** v = x + e into `out` (default: a new array; `out` may be e or x itself). */
  apply(x: Float32Array, out?: Float32Array): Float32Array {
    const d = this.d;
    this.checkLength('x', x);
    const v = out ?? new Float32Array(d);
    this.checkLength('out', v);
    const ctx = this.ctx;
    if (ctx && ctx.holds(x) && ctx.holds(v) && ctx.holds(this.e)) {
      const kx = ctx.kx;
      if (v === this.e || sameView(v, this.e)) kx.axpy(d, 1, x.byteOffset, v.byteOffset);
      else {
        if (!sameView(v, x)) kx.copy(d, x.byteOffset, v.byteOffset);
        kx.axpy(d, 1, this.e.byteOffset, v.byteOffset);
      }
      return v;
    }
    const e = this.e;
    for (let i = 0; i < d; i++) v[i] = x[i]! + e[i]!;
    return v;
  }

  /** e = v - decoded(msg); v may be e itself (after apply(x, e)). */
  update(v: Float32Array, msg: Message): void {
    this.checkLength('v', v);
    if (msg.d !== this.d) throw new InputError(`error feedback: message has d=${msg.d}, memory has d=${this.d}`);
    const { indices, values } = msg;
    const k = indices.length;
    if (values.length !== k) throw new InputError('error feedback: message indices and values differ in length');
    for (let j = 0; j < k; j++) {
      if (indices[j]! >= this.d || (j > 0 && indices[j]! <= indices[j - 1]!)) {
        throw new InputError(`error feedback: message index ${j} is ${indices[j]} (must ascend strictly and be < d=${this.d})`);
      }
    }
    this.copyIn(v);
    const ctx = this.ctx;
    if (ctx && ctx.holds(this.e) && k > 0) {
      ctx.begin(8 * k + 128);
      const idx = ctx.place(indices);
      const vals = ctx.place(values);
      ctx.kx.scatter_add(idx, vals, k, -1, this.e.byteOffset);
      return;
    }
    const e = this.e;
    for (let j = 0; j < k; j++) e[indices[j]!] = e[indices[j]!]! - values[j]!;
  }

  /** e = v - decoded(bytes), for bytes from `compressor.compressInto(v, ...)`: the engine's path. */
  updateFromWire(v: Float32Array, bytes: Uint8Array, compressor: WireCompressor): void {
    this.checkLength('v', v);
    this.copyIn(v);
    compressor.accumulate(bytes, this.d, -1, this.e);
  }

  /** e = 0. */
  reset(): void {
    this.e.fill(0);
  }

  private copyIn(v: Float32Array): void {
    if (v === this.e || sameView(v, this.e)) return;
    const ctx = this.ctx;
    if (ctx && ctx.holds(v) && ctx.holds(this.e)) ctx.kx.copy(this.d, v.byteOffset, this.e.byteOffset);
    else this.e.set(v);
  }

  private checkLength(name: string, a: Float32Array): void {
    if (!(a instanceof Float32Array) || a.length !== this.d) {
      throw new InputError(`error feedback: ${name} has length ${a?.length}, memory has d=${this.d}`);
    }
  }
}

function sameView(a: Float32Array, b: Float32Array): boolean {
  return a.buffer === b.buffer && a.byteOffset === b.byteOffset && a.length === b.length;
}
