/**
 * Checkpoints: the persistent arena regions (models, weights, momentum, algorithm vectors, learner
 * state, counters, shard cursors and shuffled shard lists) plus a little run state. Random streams
 * are keyed by (seed, device, round, purpose), so nothing about the RNG needs saving.
 *
 * A checkpoint is a directory `ckpt-<round>` holding arena.bin (the regions back to back),
 * state.json (round, clocks, the region list, a fingerprint of the config) and SHA256SUMS (the
 * sha256 of both, in `sha256sum -c` form). Nothing in it is trusted on resume: the checksums, the
 * region list against this run's layout, the round against the config and the run bookkeeping are
 * all checked, and any mismatch refuses the resume naming the file.
 *
 * Atomic on disk: a checkpoint is written into a temporary directory and renamed to `ckpt-<round>`;
 * then the `LATEST` pointer file is replaced by rename. A process killed at any moment leaves the
 * previous complete checkpoint in place; a failed write removes its temporary directory.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { RunConfig } from '../config/types.js';
import { CheckpointError, ConfigError, OutputError } from '../errors.js';
import { freeBytes, makeDirectory, processAlive, reasonOf, tempOwner, writeChunksAtomic, writeFileAtomic } from '../output/atomic-write.js';
import { formatBytes } from '../output/format.js';
import { LOCK_FILE } from '../output/run-lock.js';
import { persistentRegions } from './layout.js';
import type { ArenaLayout } from '../arena/arena.js';

/**
 * What a checkpoint is written from and restored into: a Simulation, or the coordinator's image of
 * a multi-host run (the persistent regions gathered from the hosts, src/transport/nats/distributed.ts).
 */
export interface CheckpointSubject {
  readonly config: RunConfig;
  readonly layout: ArenaLayout;
  readonly arena: { readonly buffer: ArrayBufferLike };
  round: number;
  simTimeS: number;
}

export const CHECKPOINT_VERSION = 2;
export const LATEST_FILE = 'LATEST';
const ARENA_FILE = 'arena.bin';
const STATE_FILE = 'state.json';
const SUMS_FILE = 'SHA256SUMS';
const NAME_RE = /^ckpt-(\d{8,})$/;
const TEMP_RE = /^\.tmp-ckpt-\d{8,}-(\d+)$/;

export interface CheckpointState {
  readonly version: number;
  /** Rounds completed when it was written. */
  readonly round: number;
  readonly simTimeS: number;
  /** Wall seconds spent before the checkpoint (so wallTimeS keeps counting across resumes). */
  readonly wallTimeS: number;
  readonly fingerprint: string;
  readonly regions: readonly { readonly name: string; readonly bytes: number }[];
  /** Run bookkeeping the caller wants back (e.g. the time-to-target record). */
  readonly extra: Record<string, unknown>;
}

/** Config keys that may change across a resume (they do not affect the trajectory). */
export const KEYS_FREE_ON_RESUME: readonly string[] = ['name', 'workers', 'checkpoint', 'rounds', 'evalEvery', 'targetAccuracy'];

/** Where a run's checkpoints go: config.checkpoint.dir (relative to the working directory) or outDir/checkpoints. */
export function checkpointDirectory(config: RunConfig, outDir: string): string {
  return config.checkpoint.dir === null ? join(resolve(outDir), 'checkpoints') : resolve(config.checkpoint.dir);
}

/** Identifies what a checkpoint can be resumed into: the trajectory-relevant config and the region sizes. */
export function fingerprint(config: RunConfig, sim: CheckpointSubject): string {
  const relevant = Object.fromEntries(Object.entries(config).filter(([k]) => !KEYS_FREE_ON_RESUME.includes(k)));
  const regions = persistentRegions(sim.layout).map((name) => [name, sim.layout.regions[name]!.bytes]);
  return createHash('sha256').update(JSON.stringify({ relevant, regions })).digest('hex');
}

/** The persistent regions' bytes in file order, hashed as they are handed out. */
function* hashedRegions(sim: CheckpointSubject, names: readonly string[], hash: Hash): Generator<Uint8Array> {
  for (const r of names) {
    const region = sim.layout.regions[r]!;
    const view = new Uint8Array(sim.arena.buffer, region.offset, region.bytes);
    hash.update(view);
    yield view;
  }
}

function checkpointName(round: number): string {
  return `ckpt-${String(round).padStart(8, '0')}`;
}

/** Writes a checkpoint of `sim` into `dir` (created if needed); returns the checkpoint's directory. Throws OutputError. */
export function writeCheckpoint(dir: string, sim: CheckpointSubject, wallTimeS: number, extra: Record<string, unknown> = {}): string {
  makeDirectory(dir);
  const layout = sim.layout;
  const names = persistentRegions(layout);
  const arenaBytes = names.reduce((s, r) => s + layout.regions[r]!.bytes, 0);
  // Refuse before writing when the file system cannot hold it (a margin for state.json and metadata).
  const needed = arenaBytes + 64 * 1024;
  const free = freeBytes(dir);
  if (free !== null && free < needed) {
    throw new OutputError(join(dir, checkpointName(sim.round)), `cannot write the checkpoint: it needs ${formatBytes(needed)}, ${formatBytes(free)} free`);
  }
  const name = checkpointName(sim.round);
  const tmp = join(dir, `.tmp-${name}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    try { mkdirSync(tmp); } catch (err) { throw new OutputError(tmp, `cannot create the directory: ${reasonOf(err)}`); }
    const arenaHash = createHash('sha256');
    writeChunksAtomic(join(tmp, ARENA_FILE), hashedRegions(sim, names, arenaHash), arenaBytes, { mkdir: false });
    const state: CheckpointState = {
      version: CHECKPOINT_VERSION, round: sim.round, simTimeS: sim.simTimeS, wallTimeS,
      fingerprint: fingerprint(sim.config, sim), regions: names.map((r) => ({ name: r, bytes: layout.regions[r]!.bytes })), extra,
    };
    const stateText = `${JSON.stringify(state, null, 2)}\n`;
    writeFileAtomic(join(tmp, STATE_FILE), stateText, { mkdir: false });
    const sums = `${arenaHash.digest('hex')}  ${ARENA_FILE}\n${sha256(Buffer.from(stateText, 'utf8'))}  ${STATE_FILE}\n`;
    writeFileAtomic(join(tmp, SUMS_FILE), sums, { mkdir: false });
    const final = join(dir, name);
    rmSync(final, { recursive: true, force: true });
    try { renameSync(tmp, final); } catch (err) { throw new OutputError(final, `cannot write the checkpoint: ${reasonOf(err)}`); }
    writeFileAtomic(join(dir, LATEST_FILE), `${name}\n`, { mkdir: false });
    // Older checkpoints, and temporaries of writers that were killed.
    for (const entry of readdirSync(dir)) {
      const temp = TEMP_RE.exec(entry);
      if ((NAME_RE.test(entry) && entry !== name) || (temp && !processAlive(Number(temp[1])))) rmSync(join(dir, entry), { recursive: true, force: true });
    }
    return final;
  } catch (err) {
    // Name the file as it would have been, not the temporary directory it was written in.
    if (err instanceof OutputError && err.file.startsWith(tmp)) {
      throw new OutputError(join(dir, name, err.file.slice(tmp.length + 1)), err.message.slice(err.file.length + 2), err.reason);
    }
    throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** True when `dir` holds a checkpoint pointer (complete or not: readCheckpoint says which). */
export function hasCheckpoint(dir: string): boolean {
  return existsSync(join(dir, LATEST_FILE));
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const isNonNegativeNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** What the LATEST checkpoint of `dir` claims, with state.json verified against its checksum and checked field by field. */
export interface InspectedCheckpoint {
  /** The checkpoint's directory. */
  readonly dir: string;
  readonly state: CheckpointState;
  /** sha256 hex arena.bin must have. */
  readonly arenaSha256: string;
}

/** Reads and checks the LATEST checkpoint's pointer, SHA256SUMS and state.json (not arena.bin). Throws CheckpointError. */
export function inspectCheckpoint(dir: string): InspectedCheckpoint {
  const latest = join(dir, LATEST_FILE);
  if (!existsSync(latest)) throw new CheckpointError(latest, 'missing: there is no checkpoint to resume from (was checkpoint.every 0?)');
  const name = readFileSync(latest, 'utf8').trim();
  const m = NAME_RE.exec(name);
  if (!m) throw new CheckpointError(latest, `names ${JSON.stringify(name.slice(0, 40))}, not a checkpoint directory (ckpt-<round>)`);
  const ck = join(dir, name);
  if (!existsSync(ck)) throw new CheckpointError(ck, `missing (${LATEST_FILE} points to it)`);
  const sumsFile = join(ck, SUMS_FILE);
  if (!existsSync(sumsFile)) throw new CheckpointError(sumsFile, 'missing: the checkpoint cannot be verified (written by an older version, or damaged)');
  const sums = new Map<string, string>();
  for (const line of readFileSync(sumsFile, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const s = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!s) throw new CheckpointError(sumsFile, `malformed line ${JSON.stringify(line.slice(0, 80))}`);
    sums.set(s[2]!, s[1]!);
  }
  for (const f of [ARENA_FILE, STATE_FILE]) if (!sums.has(f)) throw new CheckpointError(sumsFile, `lists no checksum for ${f}`);
  if (sums.size !== 2) throw new CheckpointError(sumsFile, `lists ${[...sums.keys()].filter((f) => f !== ARENA_FILE && f !== STATE_FILE).join(', ')}, not part of a checkpoint`);

  const stateFile = join(ck, STATE_FILE);
  if (!existsSync(stateFile)) throw new CheckpointError(stateFile, 'missing');
  const stateBytes = readFileSync(stateFile);
  if (sha256(stateBytes) !== sums.get(STATE_FILE)) throw new CheckpointError(stateFile, 'checksum mismatch: the file was modified or damaged after it was written');
  let raw: unknown;
  try {
    raw = JSON.parse(stateBytes.toString('utf8'));
  } catch (err) {
    throw new CheckpointError(stateFile, `not JSON (${(err as Error).message})`);
  }
  const bad = (what: string): never => { throw new CheckpointError(stateFile, what); };
  if (!isPlainObject(raw)) bad('expected a JSON object');
  const s = raw as Record<string, unknown>;
  if (s['version'] !== CHECKPOINT_VERSION) bad(`version ${JSON.stringify(s['version'])}; this version reads checkpoints of version ${CHECKPOINT_VERSION}`);
  const round = s['round'];
  if (!Number.isSafeInteger(round) || (round as number) < 0) bad(`round ${JSON.stringify(round)} is not a round count`);
  if (Number(m[1]) !== round) bad(`round ${String(round)} does not match the checkpoint's name ${name}`);
  if (!isNonNegativeNumber(s['simTimeS'])) bad(`simTimeS ${JSON.stringify(s['simTimeS'])} is not a number >= 0`);
  if (!isNonNegativeNumber(s['wallTimeS'])) bad(`wallTimeS ${JSON.stringify(s['wallTimeS'])} is not a number >= 0`);
  if (typeof s['fingerprint'] !== 'string') bad('fingerprint is missing');
  const regions = s['regions'];
  if (!Array.isArray(regions) || !regions.every((r) => isPlainObject(r) && typeof r['name'] === 'string' && Number.isSafeInteger(r['bytes']) && (r['bytes'] as number) >= 0)) {
    bad('regions is not a list of {name, bytes}');
  }
  const extra = s['extra'];
  if (!isPlainObject(extra)) bad(`extra ${JSON.stringify(extra)} is not an object`);
  const toTarget = (extra as Record<string, unknown>)['toTarget'];
  if (toTarget !== undefined && toTarget !== null) {
    const t = toTarget as Record<string, unknown>;
    if (!isPlainObject(toTarget) || !Number.isSafeInteger(t['round']) || (t['round'] as number) > (round as number)
      || !['bitsSent', 'simTimeS', 'energyJ'].every((k) => isNonNegativeNumber(t[k]))) {
      bad(`extra.toTarget ${JSON.stringify(toTarget).slice(0, 80)} is not a time-to-target record up to round ${String(round)}`);
    }
  }
  return { dir: ck, state: raw as unknown as CheckpointState, arenaSha256: sums.get(ARENA_FILE)! };
}

/**
 * Restores the latest checkpoint of `dir` into `sim` (same config); returns its state. Throws
 * CheckpointError when any file is missing, damaged or not this run's, ConfigError when
 * config.rounds ends before the checkpoint.
 */
export function readCheckpoint(dir: string, sim: CheckpointSubject): CheckpointState {
  const { dir: ck, state, arenaSha256 } = inspectCheckpoint(dir);
  const stateFile = join(ck, STATE_FILE);
  if (state.fingerprint !== fingerprint(sim.config, sim)) {
    throw new CheckpointError(stateFile, `written by a run with a different config or layout (only ${KEYS_FREE_ON_RESUME.join(', ')} may change on resume)`);
  }
  const expected = persistentRegions(sim.layout);
  const listed = state.regions.map((r) => r.name);
  if (listed.join(',') !== expected.join(',')) {
    throw new CheckpointError(stateFile, `lists regions ${listed.join(', ') || '(none)'}; this run's layout has ${expected.join(', ')}`);
  }
  for (const { name, bytes } of state.regions) {
    if (sim.layout.regions[name]!.bytes !== bytes) throw new CheckpointError(stateFile, `region ${name} has ${bytes} bytes; this run's layout has ${sim.layout.regions[name]!.bytes}`);
  }
  if (state.round > sim.config.rounds) {
    throw new ConfigError('rounds', `the checkpoint in ${dir} is at round ${state.round}, after rounds = ${sim.config.rounds}; a resumed run can only go on (set rounds >= ${state.round})`);
  }
  const arenaFile = join(ck, ARENA_FILE);
  let fd: number;
  try {
    fd = openSync(arenaFile, 'r');
  } catch (err) {
    throw new CheckpointError(arenaFile, (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot read: ${reasonOf(err)}`);
  }
  const total = state.regions.reduce((s, r) => s + r.bytes, 0);
  const hash = createHash('sha256');
  try {
    const size = fstatSync(fd).size;
    if (size !== total) throw new CheckpointError(arenaFile, `${size} bytes; the regions in ${STATE_FILE} need ${total}`);
    for (const { name: r, bytes } of state.regions) {
      const region = sim.layout.regions[r]!;
      const view = new Uint8Array(sim.arena.buffer, region.offset, region.bytes);
      let done = 0;
      while (done < bytes) {
        const got = readSync(fd, view, done, Math.min(bytes - done, 1 << 30), null);
        if (got <= 0) throw new CheckpointError(arenaFile, `truncated in region ${r}`);
        done += got;
      }
      hash.update(view);
    }
  } finally {
    closeSync(fd);
  }
  // The arena now holds the file's bytes; a mismatch stops the run before any round uses them.
  if (hash.digest('hex') !== arenaSha256) throw new CheckpointError(arenaFile, 'checksum mismatch: the file was modified or damaged after it was written');
  sim.round = state.round;
  sim.simTimeS = state.simTimeS;
  return state;
}

/**
 * Entries of `dir` that a checkpoint directory does not hold (anything but LATEST, ckpt-<round>,
 * temporaries and the lock), so a configured checkpoint.dir full of someone's files is refused
 * rather than written into and cleaned. Empty when `dir` does not exist.
 */
export function foreignCheckpointEntries(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((e) => e !== LATEST_FILE && !NAME_RE.test(e) && !TEMP_RE.test(e) && e !== LOCK_FILE && tempOwner(e) === null).sort();
}

/** Removes the LATEST pointer of `dir`, so a fresh run there cannot be resumed from an older run's checkpoint. */
export function forgetCheckpoints(dir: string): void {
  rmSync(join(dir, LATEST_FILE), { force: true });
}
