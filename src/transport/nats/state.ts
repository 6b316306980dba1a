/**
 * A host's share of a run's persistent state, region by region: the rows of its held devices.
 * Ranges are contiguous and ascending, so the hosts' shares of a region, concatenated in host
 * order, are the region as one process holds it (for shardIdx too: device i's shard list is
 * shardIdx[shardOff[i], shardOff[i + 1])). The coordinator writes and reads checkpoints in the
 * single-process format from these shares: any range can go to any host on resume, and a run
 * can move between one process and several.
 */
import { createHash } from 'node:crypto';
import type { Arena, ArenaLayout } from '../../arena/arena.js';
import { TransportError } from '../../errors.js';
import { isHeldRegion, persistentRegions } from '../../engine/layout.js';
import type { DeviceRange, EngineMeta } from '../../engine/protocol.js';

/** Byte range of the held devices' rows of persistent region `name` in this arena. */
export function heldSlice(arena: Arena, meta: EngineMeta, name: string): { offset: number; bytes: number } {
  if (!persistentRegions(arena.layout).includes(name) || name.startsWith('srv.')) {
    throw new TransportError(`no persistent per-device region '${name}' in this run`);
  }
  const region = arena.region(name);
  if (isHeldRegion(name)) return { offset: region.offset, bytes: region.bytes };
  const { from, to } = meta.owned;
  if (name === 'shardIdx') {
    const off = arena.u32('shardOff');
    return { offset: region.offset + 4 * off[from]!, bytes: 4 * (off[to]! - off[from]!) };
  }
  const row = region.bytes / meta.n;
  return { offset: region.offset + from * row, bytes: (to - from) * row };
}

/** Bytes of the held share of every host, per persistent region, for a run planned with `layout` (all n devices). */
export function shareBytes(layout: ArenaLayout, n: number, shardOff: Uint32Array, name: string, range: DeviceRange): number {
  const region = layout.regions[name];
  if (!region) throw new TransportError(`no region '${name}' in the run's layout`);
  if (name === 'shardIdx') return 4 * (shardOff[range.to]! - shardOff[range.from]!);
  return (region.bytes / n) * (range.to - range.from);
}

/** The regions every host fills from its own copy of the data: equal hashes mean the same data and partition. */
export const DATA_REGIONS = ['trainX', 'trainY', 'testX', 'testY', 'shardOff'];

/** sha256 hex over the bytes of `names` in order. */
export function hashRegions(arena: Arena, names: readonly string[]): string {
  const hash = createHash('sha256');
  for (const name of names) {
    const r = arena.region(name);
    hash.update(new Uint8Array(arena.buffer, r.offset, r.bytes));
  }
  return hash.digest('hex');
}
