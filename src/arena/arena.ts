/**
 * The arena: one shared WebAssembly.Memory holding all simulation state. The main thread plans the
 * layout once (named, 64-byte aligned regions), creates the memory, and hands workers the layout;
 * every worker instantiates the kernel module over the same memory and works in place.
 */
import { InputError } from '../errors.js';

/** Bytes at the bottom of the memory left to the kernel module (its globals/data, never arena). */
export const KERNEL_RESERVED_BYTES = 65536;
export const PAGE_BYTES = 65536;
/** wasm32 limit and the maximum the kernel module declares (asconfig maximumMemory). */
export const MAX_PAGES = 65536;
export const ALIGN = 64;

export type ElementType = 'f32' | 'f64' | 'u32' | 'i32' | 'u8' | 'i8';
const ELEMENT_BYTES: Record<ElementType, number> = { f32: 4, f64: 8, u32: 4, i32: 4, u8: 1, i8: 1 };

export interface Region {
  readonly name: string;
  readonly offset: number;
  readonly bytes: number;
  readonly type: ElementType;
  /** Element count. */
  readonly length: number;
}

/** Serializable layout: postMessage it to workers, store it in checkpoints. */
export interface ArenaLayout {
  readonly totalBytes: number;
  readonly regions: Record<string, Region>;
}

export function alignUp(value: number, align = ALIGN): number {
  return Math.ceil(value / align) * align;
}

/** Plans regions before any memory exists, so the memory is created once at its final size. */
export class ArenaPlanner {
  private cursor = KERNEL_RESERVED_BYTES;
  private readonly regions: Record<string, Region> = {};

  add(name: string, type: ElementType, length: number): Region {
    if (this.regions[name]) throw new InputError(`arena region '${name}' planned twice`);
    if (!Number.isInteger(length) || length < 0) throw new InputError(`arena region '${name}': bad length ${length}`);
    const bytes = length * ELEMENT_BYTES[type];
    const offset = alignUp(this.cursor);
    const region: Region = { name, offset, bytes, type, length };
    this.regions[name] = region;
    this.cursor = offset + bytes;
    return region;
  }

  get plannedBytes(): number { return alignUp(this.cursor); }

  layout(): ArenaLayout {
    return { totalBytes: alignUp(this.cursor, PAGE_BYTES), regions: { ...this.regions } };
  }
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly layout: ArenaLayout;

  private constructor(memory: WebAssembly.Memory, layout: ArenaLayout) {
    this.memory = memory;
    this.layout = layout;
  }

  /** Creates the shared memory for a planned layout. */
  static create(layout: ArenaLayout): Arena {
    const pages = Math.max(1, layout.totalBytes / PAGE_BYTES);
    if (pages > MAX_PAGES) {
      throw new InputError(`arena needs ${(layout.totalBytes / 2 ** 30).toFixed(2)} GiB, above the 4 GiB wasm32 limit: use fewer devices per host or a smaller model`);
    }
    const memory = new WebAssembly.Memory({ initial: pages, maximum: MAX_PAGES, shared: true });
    return new Arena(memory, layout);
  }

  /** A worker's view of an arena created elsewhere. */
  static attach(memory: WebAssembly.Memory, layout: ArenaLayout): Arena {
    if (memory.buffer.byteLength < layout.totalBytes) throw new InputError('arena memory is smaller than its layout');
    return new Arena(memory, layout);
  }

  region(name: string): Region {
    const r = this.layout.regions[name];
    if (!r) throw new InputError(`no arena region '${name}'`);
    return r;
  }

  has(name: string): boolean { return name in this.layout.regions; }

  get buffer(): SharedArrayBuffer { return this.memory.buffer as unknown as SharedArrayBuffer; }

  f32(name: string, start = 0, length?: number): Float32Array { return this.view(name, 'f32', start, length) as Float32Array; }
  f64(name: string, start = 0, length?: number): Float64Array { return this.view(name, 'f64', start, length) as Float64Array; }
  u32(name: string, start = 0, length?: number): Uint32Array { return this.view(name, 'u32', start, length) as Uint32Array; }
  i32(name: string, start = 0, length?: number): Int32Array { return this.view(name, 'i32', start, length) as Int32Array; }
  u8(name: string, start = 0, length?: number): Uint8Array { return this.view(name, 'u8', start, length) as Uint8Array; }

  /** Byte offset (kernel pointer) of element `index` of a region. */
  ptr(name: string, index = 0): number {
    const r = this.region(name);
    if (index < 0 || index > r.length) throw new InputError(`arena region '${name}': index ${index} out of [0, ${r.length}]`);
    return r.offset + index * ELEMENT_BYTES[r.type];
  }

  private view(name: string, type: ElementType, start: number, length?: number): ArrayBufferView {
    const r = this.region(name);
    if (r.type !== type) throw new InputError(`arena region '${name}' holds ${r.type}, not ${type}`);
    const len = length ?? r.length - start;
    if (start < 0 || len < 0 || start + len > r.length) {
      throw new InputError(`arena region '${name}': view [${start}, ${start + len}) out of [0, ${r.length})`);
    }
    const byteOffset = r.offset + start * ELEMENT_BYTES[type];
    const buf = this.memory.buffer;
    switch (type) {
      case 'f32': return new Float32Array(buf, byteOffset, len);
      case 'f64': return new Float64Array(buf, byteOffset, len);
      case 'u32': return new Uint32Array(buf, byteOffset, len);
      case 'i32': return new Int32Array(buf, byteOffset, len);
      case 'u8': return new Uint8Array(buf, byteOffset, len);
      case 'i8': return new Int8Array(buf, byteOffset, len);
    }
  }
}

/**
 * Bump allocator over a scratch region (per worker): kernels get their temporary buffers here.
 * `reset()` between uses; nothing is freed individually.
 */
export class ScratchAllocator {
  private cursor: number;
  constructor(readonly base: number, readonly bytes: number) { this.cursor = base; }
  alloc(bytes: number, align = ALIGN): number {
    const at = alignUp(this.cursor, align);
    if (at + bytes > this.base + this.bytes) {
      throw new InputError(`scratch exhausted: need ${bytes} bytes, ${this.base + this.bytes - at} left of ${this.bytes}`);
    }
    this.cursor = at + bytes;
    return at;
  }
  reset(): void { this.cursor = this.base; }
  get used(): number { return this.cursor - this.base; }
}
