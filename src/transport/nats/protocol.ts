/**
 * The control messages of a multi-host run (JSON bodies of envelope.ts messages), each checked
 * against its schema on receipt: a peer's message that does not fit is a TransportError naming
 * the sender, never a half-read command. Counts and indices inside are checked again where they
 * are used (device ranges against n, parts against the sizes they must have).
 *
 * Coordinator -> host (PREFIX.run.ID.cmd.TOKEN), each answered by a `reply` with the same id:
 *   setup        index, every host's range, the resolved config -> the host plans its arena
 *   handshake    say hello to every other host until all of them were heard (subscriptions spread
 *                through a cluster asynchronously, so round 0 waits for proof that every path works)
 *   rounds       run rounds [round, round + count) (one pool task; cross-host barrier per round)
 *   evalDevices  z_i, accuracy and mass of the held devices (before the reduction chain)
 *   reduce       add the held devices to the running sum of z (acc, partial block): the chain
 *   evalGlobal   zavg given: consensus terms and test-chunk sums -> stats and weight rows back
 *   saveRegion / loadRegion   one persistent region's rows of the held devices (checkpoints)
 *   resumeAt     round and virtual time after a checkpoint was loaded
 *   abort        stop the running task now (another host failed)
 *   close        the run is over (the host goes back to the lobby, or exits with --once)
 * Host -> every host and the coordinator (PREFIX.run.ID.done): `done` at the end of each round.
 */
import { z } from 'zod';
import { TransportError } from '../../errors.js';

const count = z.number().int().nonnegative();
const range = z.object({ from: count, to: count }).refine((r) => r.from <= r.to, { error: 'from > to' });

export const JoinRequest = z.object({
  op: z.literal('join'), token: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), name: z.string().max(200), workers: count, version: z.string().max(50),
});
export type JoinRequest = z.infer<typeof JoinRequest>;

export const JoinReply = z.union([
  z.object({ ok: z.literal(true), runId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), index: count }),
  z.object({ ok: z.literal(false), reason: z.string().max(500) }),
]);
export type JoinReply = z.infer<typeof JoinReply>;

export const Command = z.discriminatedUnion('op', [
  z.object({ op: z.literal('setup'), id: count, index: count, hosts: z.array(range).min(1).max(4096), config: z.record(z.string(), z.unknown()), silenceMs: count }),
  z.object({ op: z.literal('handshake'), id: count }),
  z.object({ op: z.literal('rounds'), id: count, round: count, count: z.number().int().min(1).max(1024) }),
  z.object({ op: z.literal('evalDevices'), id: count, round: count }),
  z.object({ op: z.literal('reduce'), id: count, partialBlock: z.number().int().min(-1) }),
  z.object({ op: z.literal('evalGlobal'), id: count, chunkFrom: count, chunkTo: count }),
  z.object({ op: z.literal('saveRegion'), id: count, region: z.string().max(100) }),
  z.object({ op: z.literal('loadRegion'), id: count, region: z.string().max(100) }),
  z.object({ op: z.literal('resumeAt'), id: count, round: count, simTimeS: z.number().nonnegative() }),
  z.object({ op: z.literal('abort'), id: count, reason: z.string().max(2000) }),
  z.object({ op: z.literal('close'), id: count, ok: z.boolean() }),
]);
export type Command = z.infer<typeof Command>;

const serializedError = z.object({
  name: z.string().max(200), code: z.string().max(50), message: z.string().max(10000),
  key: z.string().max(200).optional(), file: z.string().max(2000).optional(), spec: z.string().max(500).optional(), stack: z.string().max(20000).optional(),
});

export const Reply = z.object({
  op: z.literal('reply'), id: count, from: count,
  error: serializedError.optional(),
  /** rounds: the device error met first on this host (stage, device), and each completed round's slowest device time. */
  errorDevice: count.optional(), errorStage: count.optional(),
  slowest: z.array(z.number().nonnegative()).max(1024).optional(),
  /** rounds: the task stopped because of an abort (the reason). */
  aborted: z.string().max(2000).optional(),
  /** setup: facts every host must agree on with the coordinator. */
  facts: z.object({
    n: count, d: count, simd: z.boolean(), backend: z.string().max(100), workers: count, dataHash: z.string().max(128),
    arenaBytes: count, outboxPayload: count,
  }).optional(),
  partialBlock: z.number().int().min(-1).optional(),
  /** handshake: hosts heard from. */
  heard: z.array(count).max(4096).optional(),
});
export type Reply = z.infer<typeof Reply>;

export const Done = z.object({
  op: z.literal('done'), from: count, round: count, failed: z.boolean(),
  /** Per receiving host: message entries and batch chunks sent to it this round. */
  sent: z.array(z.object({ entries: count, chunks: count })).max(4096),
});
export type Done = z.infer<typeof Done>;

/** A lobby message (a plain JSON request or reply, outside envelopes) as bytes, and back. */
export const encodeJson = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
export const decodeJson = (b: Uint8Array): unknown => JSON.parse(new TextDecoder().decode(b));

/** Parses a message body against its schema; a mismatch is a TransportError naming the sender. */
export function parseMessage<T>(schema: z.ZodType<T>, json: unknown, from: string): T {
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new TransportError(`${from} sent a malformed message: ${issue ? `${issue.path.join('.') || '(body)'}: ${issue.message}` : 'does not match the protocol'}`);
  }
  return r.data;
}
