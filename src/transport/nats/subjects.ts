/**
 * The subjects of sparsepush's runs on a NATS server (PREFIX = `sparsepush`, or the
 * --subject-prefix given to host and run alike):
 *   PREFIX.lobby              idle hosts ask to join (the waiting coordinator answers; queue group)
 *   PREFIX.lobby.open         a coordinator that waits for hosts says so (idle hosts ask at once)
 *   PREFIX.run.ID.cmd.T       coordinator -> the host with join token T (setup, rounds, evaluation, ...)
 *   PREFIX.run.ID.coord       hosts -> coordinator (replies)
 *   PREFIX.run.ID.data.K      host -> host K: the round's message batches
 *   PREFIX.run.ID.done        every host's end of each round (the cross-host barrier)
 *   PREFIX.run.ID.ping.T      liveness requests to host T (its join token) and to the coordinator
 *                             (T = coord): a dead peer's subscription is gone, so the server answers
 *                             "no responders" at once; a hung one does not answer in time
 * Run ids are random, so two runs on one server never read each other's subjects.
 */
import { randomBytes } from 'node:crypto';
import { TransportError } from '../../errors.js';

export const DEFAULT_PREFIX = 'sparsepush';

/** A subject-safe token: letters, digits, `-` and `_`. */
export function checkSubjectToken(value: string, what: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new TransportError(`${what} '${value}' may only hold letters, digits, '-' and '_'`);
  return value;
}

export function newRunId(): string {
  return randomBytes(8).toString('hex');
}

export class Subjects {
  constructor(readonly prefix: string) { checkSubjectToken(prefix, 'subject prefix'); }
  get lobby(): string { return `${this.prefix}.lobby`; }
  get lobbyOpen(): string { return `${this.prefix}.lobby.open`; }
  run(id: string): RunSubjects { return new RunSubjects(`${this.prefix}.run.${checkSubjectToken(id, 'run id')}`); }
}

export class RunSubjects {
  constructor(readonly base: string) {}
  cmd(token: string): string { return `${this.base}.cmd.${token}`; }
  get coord(): string { return `${this.base}.coord`; }
  data(host: number): string { return `${this.base}.data.${host}`; }
  get done(): string { return `${this.base}.done`; }
  /** Liveness requests to a host (by its join token) and to the coordinator. */
  ping(token: string): string { return `${this.base}.ping.${token}`; }
  get pingCoordinator(): string { return `${this.base}.ping.coord`; }
}
