/** What the main thread and the phase workers exchange (all structured-cloneable). */
import type { ArenaLayout } from '../arena/arena.js';
import type { RunConfig } from '../config/types.js';
import { ConfigError, DataError, GraphError, InputError, RunError, SparsepushError, SpecError, TransportError, WireError } from '../errors.js';
import type { SlotLayout } from './layout.js';

/** A contiguous device range [from, to). */
export interface DeviceRange { readonly from: number; readonly to: number }

/** Facts about the run every worker needs (besides the config and the arena layout). */
export interface EngineMeta {
  readonly n: number;
  /**
   * The devices this arena holds models for and this process trains ([0, n) in a single-process
   * run; a host of a multi-host run holds its range only). The per-device d-vector regions (x, m,
   * dev.*, state) hold these devices; every other per-device region holds all n.
   */
  readonly owned: DeviceRange;
  readonly d: number;
  readonly stateCount: number;
  readonly features: number;
  readonly classes: number;
  readonly inputShape: readonly number[];
  readonly flopsPerSample: number;
  readonly trainCount: number;
  readonly testCount: number;
  /** Samples each device's model is evaluated on (evalX/evalY, or the test set when equal). */
  readonly evalCount: number;
  /** Training samples z_avg's training objective is taken over (objX/objY, or the training set when equal). */
  readonly objCount: number;
  readonly outboxStride: number;
  readonly outboxPayload: number;
  readonly slots: number;
  readonly slot: SlotLayout;
  /** Encoded bytes of one `none` message of dimension d (the dense reference). */
  readonly noneBytes: number;
  /** `native` for the logistic kernels, else the tfjs backend name. */
  readonly backend: string;
}

export interface WorkerInit {
  readonly memory: WebAssembly.Memory;
  readonly module: WebAssembly.Module;
  readonly layout: ArenaLayout;
  readonly config: RunConfig;
  readonly meta: EngineMeta;
  /** The worker-side exchange (src/transport registry name; absent: `local`). */
  readonly transport?: string;
}

/**
 * `round` runs train, (server,) mix of one round inside every pool worker, with device chunks
 * claimed dynamically and in-task barriers between the stages (one dispatch per round; a worker
 * that is descheduled does not hold the others up beyond its current chunk).
 */
export type Phase = 'train' | 'server' | 'mix' | 'evalDevices' | 'evalGlobal' | 'round';

export interface PhaseTask {
  readonly phase: Phase;
  readonly round: number;
  /** Device range [from, to). */
  readonly from: number;
  readonly to: number;
  /** Evaluation-chunk range (evalGlobal): test chunks, then the training objective's chunks. */
  readonly chunkFrom?: number;
  readonly chunkTo?: number;
  /** Devices per claimed chunk (`round`). */
  readonly chunk?: number;
  /** Rounds a `round` task runs, from `round` on (decentralized algorithms; 1 when absent). */
  readonly rounds?: number;
  /** Tasks of this dispatch (the parties of the between-rounds barrier). */
  readonly parties?: number;
}

export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly key?: string;
  readonly file?: string;
  readonly spec?: string;
  readonly stack?: string;
}

export interface PhaseResult {
  /** Milliseconds inside the learner's gradient calls. */
  readonly learnMs: number;
  /** Milliseconds inside the algorithms' local-step hooks (batch sampling, de-biasing, gradients, optimizer updates): the local learning. */
  readonly localMs: number;
  /** Milliseconds the task ran (from the worker's point of view), less its waits at in-task barriers. */
  readonly busyMs: number;
  readonly error?: SerializedError;
  /** Device whose hook failed (`round`: the engine reports the lowest, as a sequential run would). */
  readonly errorDevice?: number;
  /** Stage of that hook (`round`: 0 train, 1 server, 2 mix; an earlier stage's error comes first). */
  readonly errorStage?: number;
}

/** An error as plain data: its SparsepushError code (E_INTERNAL for anything else) and the key, file and spec it names. */
export function serializeError(err: unknown): SerializedError {
  const e = err instanceof Error ? err : new Error(String(err));
  const typed = e as Error & { key?: unknown; file?: unknown; spec?: unknown };
  return {
    name: e.name, code: err instanceof SparsepushError ? err.code : 'E_INTERNAL', message: e.message,
    ...(typeof typed.key === 'string' ? { key: typed.key } : {}), ...(typeof typed.file === 'string' ? { file: typed.file } : {}),
    ...(typeof typed.spec === 'string' ? { spec: typed.spec } : {}), ...(e.stack !== undefined ? { stack: e.stack } : {}),
  };
}

/** Rebuilds the typed error a worker reported (messages already carry key / device / round). */
export function reviveError(s: SerializedError): Error {
  const strip = (prefix: string): string => (s.message.startsWith(prefix) ? s.message.slice(prefix.length) : s.message);
  switch (s.code) {
    case 'E_CONFIG': return new ConfigError(s.key ?? 'config', strip(`${s.key}: `));
    case 'E_SPEC': return new SpecError(s.spec ?? '', strip(`bad spec '${s.spec}': `));
    case 'E_DATA': return new DataError(strip(`${s.file}: `), s.file);
    case 'E_GRAPH': return new GraphError(s.message);
    case 'E_WIRE': return new WireError(s.message);
    case 'E_INPUT': return new InputError(s.message);
    case 'E_RUN': return new RunError(s.message);
    case 'E_TRANSPORT': return new TransportError(s.message);
    default: {
      const e = new RunError(`worker failed: ${s.message}`);
      if (s.stack) e.stack = s.stack;
      return e;
    }
  }
}
