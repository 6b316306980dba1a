/**
 * Typed errors. Every error names what is wrong and where (config key path, file and line, device, round).
 * `code` is stable for programs; `message` is for people.
 */
export class SparsepushError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad config value or spec string. `key` is the config path, e.g. `algorithm.gamma` or `compressor`. */
export class ConfigError extends SparsepushError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('E_CONFIG', `${key}: ${message}`);
    this.key = key;
  }
}

/** An unknown or malformed spec string (`topk:0.01`, `exponential:1`, `dirichlet:0.5`, ...). */
export class SpecError extends SparsepushError {
  readonly spec: string;
  constructor(spec: string, message: string) {
    super('E_SPEC', `bad spec '${spec}': ${message}`);
    this.spec = spec;
  }
}

/** A vector or argument a kernel or compressor refuses (NaN/Inf, wrong length, ratio out of range). */
export class InputError extends SparsepushError {
  constructor(message: string) { super('E_INPUT', message); }
}

/** Untrusted wire bytes that do not parse (truncated, corrupt, indices out of range or unordered, wrong d). */
export class WireError extends SparsepushError {
  constructor(message: string) { super('E_WIRE', message); }
}

/** A dataset file or source that cannot be used; names the file and, where known, the line or row. */
export class DataError extends SparsepushError {
  readonly file?: string;
  constructor(message: string, file?: string) {
    super('E_DATA', file ? `${file}: ${message}` : message);
    this.file = file;
  }
}

/** A graph that cannot be used (not strongly connected over its period, wrong node count, bad edge file). */
export class GraphError extends SparsepushError {
  constructor(message: string) { super('E_GRAPH', message); }
}

/**
 * A message bus or peer problem in a multi-host run: the server unreachable, a refused token, a
 * host that died, went silent or sent what the protocol does not allow; names the server, host,
 * device range and round.
 */
export class TransportError extends SparsepushError {
  constructor(message: string) { super('E_TRANSPORT', message); }
}

/** A run that had to stop (NaN/Inf in a device's parameters, a worker crash); names device and round. */
export class RunError extends SparsepushError {
  constructor(message: string) { super('E_RUN', message); }
}

/**
 * A file this program could not write (disk full, file-size limit, permissions, a lock held by
 * another run); names the file and, for writes, the bytes it needed.
 */
export class OutputError extends SparsepushError {
  readonly file: string;
  /** The file-system error code behind it (ENOSPC, EFBIG, EACCES, ...), when there is one. */
  readonly reason?: string;
  constructor(file: string, message: string, reason?: string) {
    super('E_OUTPUT', `${file}: ${message}`);
    this.file = file;
    if (reason !== undefined) this.reason = reason;
  }
}

/** A checkpoint that cannot be resumed from (missing, damaged, or not this run's); names the file. */
export class CheckpointError extends SparsepushError {
  readonly file: string;
  constructor(file: string, message: string) {
    super('E_CHECKPOINT', `checkpoint ${file}: ${message}`);
    this.file = file;
  }
}
