/**
 * The kernel memory an unbound compressor owns: a growable shared WebAssembly.Memory whose blocks
 * are the compressor scratch region and the vectors `compressor.vector(d)` hands out.
 *
 * Vectors survive growth: a shared memory's old buffers are never detached and alias the same
 * bytes, so a view made before a grow stays valid. The buffer of every vector is recorded and
 * recognised as this memory, and so is whatever `memory.buffer` is now (V8 may hand out a new
 * SharedArrayBuffer object for the same memory once the old one is unreferenced, so identity
 * with one remembered object is not enough). A vector lives until `release(v)`: the kernels
 * work on its bytes in place, and nothing else is ever placed there.
 */
import { alignUp, KERNEL_RESERVED_BYTES, MAX_PAGES, PAGE_BYTES } from '../arena/arena.js';
import { InputError } from '../errors.js';
import { MAX_D } from './codec.js';

interface Block { start: number; end: number }

/** Which owned memory a buffer belongs to (every buffer of every owned memory of this thread). */
const ownerOfBuffer = new WeakMap<ArrayBufferLike, OwnedMemory>();

/** The owned memory `view` lies on, if any (to name another compressor's vector in errors). */
export function ownedMemoryOf(view: ArrayBufferView): OwnedMemory | undefined {
  return ownerOfBuffer.get(view.buffer);
}

export class OwnedMemory {
  /** Free blocks, ascending and coalesced, over [KERNEL_RESERVED_BYTES, end). */
  private readonly free: Block[] = [];
  /** Live vectors, ascending by start. */
  private readonly vectors: Block[] = [];
  private scratchBlock: Block | undefined;
  private end: number;

  constructor(readonly memory: WebAssembly.Memory, readonly label: string) {
    this.end = memory.buffer.byteLength;
    if (this.end > KERNEL_RESERVED_BYTES) this.free.push({ start: KERNEL_RESERVED_BYTES, end: this.end });
    ownerOfBuffer.set(memory.buffer, this);
  }

  /** True when `buffer` is this memory's buffer, now or before a grow. */
  owns(buffer: ArrayBufferLike): boolean {
    if (ownerOfBuffer.get(buffer) === this) return true;
    if (buffer !== this.memory.buffer) return false;
    ownerOfBuffer.set(buffer, this);
    return true;
  }

  /** Bytes of the live vectors. */
  get vectorBytes(): number {
    let total = 0;
    for (const v of this.vectors) total += v.end - v.start;
    return total;
  }

  /** A zeroed f32 vector of length d on this memory, 64-byte aligned. */
  vector(d: number): Float32Array {
    if (!Number.isInteger(d) || d < 1 || d > MAX_D) throw new InputError(`vector(d): d=${d} must be an integer in 1..${MAX_D}`);
    const start = this.allocate(alignUp(4 * d), `a vector of d=${d}`);
    insertSorted(this.vectors, { start, end: alignUp(start + 4 * d) });
    const buffer = this.memory.buffer;
    ownerOfBuffer.set(buffer, this);
    const v = new Float32Array(buffer, start, d);
    v.fill(0);
    return v;
  }

  /** Returns a vector's bytes to the memory; `v` must be exactly an array vector() returned. */
  release(v: Float32Array): void {
    const i = v instanceof Float32Array && this.owns(v.buffer) ? this.vectors.findIndex((b) => b.start === v.byteOffset) : -1;
    if (i < 0 || alignUp(v.byteOffset + v.byteLength) !== this.vectors[i]!.end) {
      throw new InputError(`release(v): not a live vector of this kernel memory (${this.label}); pass the array vector() returned, once`);
    }
    const [block] = this.vectors.splice(i, 1);
    this.freeBlock(block!);
  }

  /**
   * Checks that `view` (on this memory) lies inside one live vector, so the kernels may use it in
   * place; anything else on this memory is a released vector or a stray view and is refused.
   */
  checkInVector(view: ArrayBufferView): void {
    const a = view.byteOffset, b = a + view.byteLength;
    const list = this.vectors;
    let lo = 0, hi = list.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const blk = list[mid]!;
      if (blk.end <= a) lo = mid + 1;
      else if (blk.start > a) hi = mid - 1;
      else if (b <= blk.end) return;
      else break;
    }
    throw new InputError(`array at byte ${a} (+${view.byteLength}) of the kernel memory (${this.label}) is not inside a live vector (released, or not made by vector())`);
  }

  /** Base of a scratch block of at least `bytes` (moved to a bigger block when it is too small). */
  scratch(bytes: number): { base: number; bytes: number } {
    const have = this.scratchBlock;
    if (have && have.end - have.start >= bytes) return { base: have.start, bytes: have.end - have.start };
    if (have) {
      this.scratchBlock = undefined;
      this.freeBlock(have);
    }
    const size = alignUp(Math.max(bytes, 1 << 20), PAGE_BYTES);
    const start = this.allocate(size, 'the compressor scratch');
    this.scratchBlock = { start, end: start + size };
    return { base: start, bytes: size };
  }

  /** First free block that fits, else grows the memory (extending the free block at its top). */
  private allocate(bytes: number, what: string): number {
    for (let i = 0; i < this.free.length; i++) {
      const f = this.free[i]!;
      if (f.end - f.start >= bytes) {
        const start = f.start;
        f.start += bytes;
        if (f.start === f.end) this.free.splice(i, 1);
        return start;
      }
    }
    const top = this.free.length > 0 && this.free[this.free.length - 1]!.end === this.end ? this.free[this.free.length - 1]! : undefined;
    const need = bytes - (top ? top.end - top.start : 0);
    const pages = Math.ceil(need / PAGE_BYTES);
    const have = this.end / PAGE_BYTES;
    if (have + pages > MAX_PAGES) {
      throw new InputError(
        `kernel memory (${this.label}) cannot hold ${what} (${bytes} bytes): it would pass the 4 GiB wasm32 limit ` +
        `(${this.vectors.length} live vectors hold ${this.vectorBytes} bytes; release(v) the ones no longer used)`,
      );
    }
    this.memory.grow(pages);
    const oldEnd = this.end;
    this.end = this.memory.buffer.byteLength;
    if (top) top.end = this.end;
    else this.free.push({ start: oldEnd, end: this.end });
    return this.allocate(bytes, what);
  }

  private freeBlock(block: Block): void {
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i]!.start < block.start) i++;
    free.splice(i, 0, { start: block.start, end: block.end });
    // Coalesce with the neighbours.
    if (i + 1 < free.length && free[i]!.end === free[i + 1]!.start) {
      free[i]!.end = free[i + 1]!.end;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1]!.end === free[i]!.start) {
      free[i - 1]!.end = free[i]!.end;
      free.splice(i, 1);
    }
  }
}

function insertSorted(list: Block[], block: Block): void {
  let i = list.length;
  while (i > 0 && list[i - 1]!.start > block.start) i--;
  list.splice(i, 0, block);
}
