/**
 * Where compressor kernels run: a kernel instance, the memory it works on, and a scratch region.
 *
 * Bound (engine): the caller hands a per-worker kernel instance over the arena plus a scratch
 * region dedicated to this compressor. Arrays that are views on that memory are used in place;
 * anything else is copied into the scratch (which `scratchBytes(d)` sizes for that too).
 * Private (default): the compressor owns a shared memory, grown on demand (memory.ts): vectors
 * from `vector(d)` live on it and are used in place; other arrays are copied in and results out.
 */
import { ScratchAllocator } from '../arena/arena.js';
import { InputError } from '../errors.js';
import type { KernelExports } from '../kernels/abi.js';
import { OwnedMemory, ownedMemoryOf } from './memory.js';

/** A kernel instance plus a scratch region on the same memory (e.g. the worker's region of the arena). */
export interface KernelBinding {
  readonly exports: KernelExports;
  /**
   * Scratch on the kernel memory, used only by this compressor: it is reset at the start of every
   * call (compress, compressInto, parse, accumulate, decode). Size it with `scratchBytes(d)`.
   */
  readonly scratch: ScratchAllocator;
  /** The memory the kernels run on; defaults to `exports.memory`. */
  readonly memory?: WebAssembly.Memory;
}

export class KernelContext {
  private scratch: ScratchAllocator;
  private bytesView: Uint8Array | undefined;
  /**
   * Bytes of the memory's buffer as it was when this context was made (a bound context's memory
   * does not grow under it): the fast paths compare arrays' buffers with it instead of reading
   * `memory.buffer`, which is not free on a growable shared memory. An array on a newer buffer
   * simply misses the fast path.
   */
  readonly fixedBytes: Uint8Array;

  private constructor(
    readonly kx: KernelExports,
    readonly memory: WebAssembly.Memory,
    scratch: ScratchAllocator,
    /** The compressor's own memory (grows as needed, hands out vectors); undefined when bound. */
    readonly own: OwnedMemory | undefined,
  ) {
    this.scratch = scratch;
    this.fixedBytes = new Uint8Array(memory.buffer);
  }

  static bound(binding: KernelBinding): KernelContext {
    const memory = binding.memory ?? binding.exports.memory;
    if (!(memory instanceof WebAssembly.Memory)) throw new InputError('kernel binding has no memory (pass binding.memory)');
    const end = binding.scratch.base + binding.scratch.bytes;
    if (binding.scratch.base < 0 || end > memory.buffer.byteLength) {
      throw new InputError(`scratch region [${binding.scratch.base}, ${end}) is outside the kernel memory (${memory.buffer.byteLength} bytes)`);
    }
    return new KernelContext(binding.exports, memory, binding.scratch, undefined);
  }

  static owned(exports: KernelExports, memory: WebAssembly.Memory, label: string): KernelContext {
    const own = new OwnedMemory(memory, label);
    const { base, bytes } = own.scratch(0);
    return new KernelContext(exports, memory, new ScratchAllocator(base, bytes), own);
  }

  /** Starts a call that needs at most `bytes` of scratch: moves an owned scratch to a bigger block, checks a bound one. */
  begin(bytes: number): void {
    if (this.own) {
      if (bytes > this.scratch.bytes) {
        const { base, bytes: size } = this.own.scratch(bytes);
        this.scratch = new ScratchAllocator(base, size);
      }
    } else if (bytes > this.scratch.bytes) {
      throw new InputError(`compressor scratch region too small: needs ${bytes} bytes, has ${this.scratch.bytes} (size it with scratchBytes(d))`);
    }
    this.scratch.reset();
    this.bytesView = undefined;
  }

  /** True when [ptr, ptr+len) shares a byte with the scratch region. */
  touchesScratch(ptr: number, len: number): boolean {
    return overlaps(ptr, len, this.scratch.base, this.scratch.bytes);
  }

  alloc(bytes: number): number {
    return this.scratch.alloc(Math.max(bytes, 0));
  }

  /**
   * True when `view` lies on the kernel memory (then its byteOffset is a kernel pointer). On an
   * owned memory it must lie inside a live vector; a vector of another owned memory is refused
   * (it would be copied silently, losing the point of vector()).
   */
  holds(view: ArrayBufferView): boolean {
    const own = this.own;
    if (own ? !own.owns(view.buffer) : view.buffer !== this.memory.buffer) {
      const other = ownedMemoryOf(view);
      if (other) {
        throw new InputError(`array is a vector of another kernel memory (${other.label}), not this compressor's (${own ? own.label : 'a caller binding'}): make it with this compressor's vector(d)`);
      }
      return false;
    }
    if (own) own.checkInVector(view);
    if (overlaps(view.byteOffset, view.byteLength, this.scratch.base, this.scratch.bytes)) {
      throw new InputError(`array at byte ${view.byteOffset} (+${view.byteLength}) overlaps the compressor's scratch region [${this.scratch.base}, ${this.scratch.base + this.scratch.bytes})`);
    }
    return true;
  }

  /** Kernel pointer of `view`'s bytes: in place when it is on the memory, else a scratch copy. */
  place(view: ArrayBufferView): number {
    if (this.holds(view)) return view.byteOffset;
    const ptr = this.alloc(view.byteLength);
    this.u8(ptr, view.byteLength).set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    return ptr;
  }

  /** Kernel pointer for an output array: in place when on the memory, else uninitialized scratch (copy back with `copyOut`). */
  placeOut(view: ArrayBufferView): number {
    return this.holds(view) ? view.byteOffset : this.alloc(view.byteLength);
  }

  copyOut(ptr: number, view: ArrayBufferView): void {
    if (this.holds(view) && view.byteOffset === ptr) return;
    new Uint8Array(view.buffer, view.byteOffset, view.byteLength).set(this.u8(ptr, view.byteLength));
  }

  /** All of the memory as bytes (re-created after growth). */
  get bytes(): Uint8Array {
    const buf = this.memory.buffer;
    if (!this.bytesView || this.bytesView.buffer !== buf) this.bytesView = new Uint8Array(buf);
    return this.bytesView;
  }

  u8(ptr: number, n: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, n); }
  i8(ptr: number, n: number): Int8Array { return new Int8Array(this.memory.buffer, ptr, n); }
  f32(ptr: number, n: number): Float32Array { return new Float32Array(this.memory.buffer, ptr, n); }
  u32(ptr: number, n: number): Uint32Array { return new Uint32Array(this.memory.buffer, ptr, n); }
  view(ptr: number, n: number): DataView { return new DataView(this.memory.buffer, ptr, n); }
}

/** True when [a, a+la) and [b, b+lb) share a byte. */
export function overlaps(a: number, la: number, b: number, lb: number): boolean {
  return la > 0 && lb > 0 && a < b + lb && b < a + la;
}
