// Test support for the server-algorithm tests: small synthetic datasets, configs and simulations
// on the real engine, and a hand-built device / server context over a private kernel memory for
// checking single hooks.
import { ScratchAllocator } from '../src/arena/arena.js';
import type {
  AlgorithmSetup, DeviceContext, InMessage, ServerContext, Vec,
} from '../src/algorithms/types.js';
import { createCompressorSync } from '../src/compress/registry.js';
import type { KernelCompressor } from '../src/compress/types.js';
import { resolveConfig } from '../src/config/index.js';
import type { RunConfig } from '../src/config/types.js';
import type { Dataset, Partition } from '../src/data/types.js';
import { Simulation } from '../src/engine/simulation.js';
import { createSharedMemory, loadKernels, type KernelExports } from '../src/kernels/index.js';
import { rngKey } from '../src/kernels/rng.js';
import { KernelMemory, TestRandom } from './support/kernel-memory.js';
import { serverStandIn } from '../src/engine/setup.js';

/** A labelled Gaussian-blob dataset: class c has mean c-dependent, features ~ N(mean, 1). */
export function blobs(count: number, features: number, classes: number, seed: number, name = 'blobs'): Dataset {
  const rnd = new TestRandom(seed);
  const x = new Float32Array(count * features);
  const y = new Uint8Array(count);
  for (let s = 0; s < count; s++) {
    const c = rnd.int(0, classes - 1);
    y[s] = c;
    for (let f = 0; f < features; f++) x[s * features + f] = rnd.normal() + ((f % classes) === c ? 1.5 : 0);
  }
  return { name, count, features, shape: [features], classes, x, y };
}

/** A RunConfig for the logistic model (the data comes from the test, not config.data). */
export function serverConfig(over: {
  name: string; devices: number; rounds: number; compressor: string; lr?: number; momentum?: number;
  batchSize?: number; localSteps?: number; participation?: number; seed?: number; weightDecay?: number;
}): RunConfig {
  return resolveConfig({
    seed: over.seed ?? 1,
    devices: over.devices,
    rounds: over.rounds,
    evalEvery: over.rounds,
    model: 'logistic',
    // Tests deal shards smaller than a batch on purpose (full-batch references, strong volume skew).
    data: { smallShards: 'wrap' },
    algorithm: {
      name: over.name, lr: over.lr ?? 0.1, momentum: over.momentum ?? 0, batchSize: over.batchSize ?? 8,
      localSteps: over.localSteps ?? 1, participation: over.participation ?? 1, weightDecay: over.weightDecay ?? 0,
    },
    compressor: over.compressor,
    clock: { flopsSpread: 0, bandwidthSpread: 0 },
  });
}

/** Runs `rounds` rounds; returns the server model, every device's x and per-device bits. */
export async function runServer(config: RunConfig, data: { train: Dataset; test: Dataset }, partition: Partition, workers: number | 'inline'): Promise<{
  server: Float32Array; x: Float32Array; bits: number[]; bitsDown: number; samples: number; sim: Simulation;
}> {
  const sim = await Simulation.create(config, workers === 'inline' ? { inline: true, data, partition } : { workers, data, partition });
  try {
    for (let t = 0; t < config.rounds; t++) await sim.step();
    const m = await sim.evaluate(0);
    return {
      server: sim.arena.f32('srv.x').slice(), x: sim.arena.f32('x').slice(), bits: sim.bitsPerDevice(),
      bitsDown: m.bitsDown, samples: m.epoch, sim,
    };
  } finally {
    await sim.close();
  }
}

/** Contiguous shards of the given sizes over rows 0..sum-1. */
export function contiguousShards(sizes: readonly number[]): Partition {
  let at = 0;
  return {
    shards: sizes.map((s) => {
      const rows = Uint32Array.from({ length: s }, (_, k) => at + k);
      at += s;
      return rows;
    }),
  };
}

export function setupOf(config: RunConfig, d: number, fractions: readonly number[]): AlgorithmSetup {
  const n = fractions.length;
  return {
    config, d, n, dataFractions: Float64Array.from(fractions),
    topology: serverStandIn(n),
  };
}

/** Data shares of a partition (what the engine passes as setup.dataFractions). */
export function sharesOf(p: Partition): number[] {
  const total = p.shards.reduce((s, r) => s + r.length, 0);
  return p.shards.map((r) => r.length / total);
}

/**
 * Hand-built contexts over a private kernel memory: the hooks run exactly as in the engine, with
 * gradients supplied by the test.
 */
export class HookBench {
  readonly mem: KernelMemory;
  private readonly compressors = new Map<string, KernelCompressor>();
  private readonly regions = new Map<string, Vec>();

  private constructor(readonly k: KernelExports, readonly memory: WebAssembly.Memory, readonly d: number) {
    this.mem = new KernelMemory(k, memory, true);
  }

  static async create(d: number): Promise<HookBench> {
    const memory = createSharedMemory(32 << 20);
    const { exports } = await loadKernels({ memory });
    return new HookBench(exports, memory, d);
  }

  vec(name: string, length = this.d): Vec {
    let v = this.regions.get(name);
    if (!v) {
      const ptr = this.mem.alloc(4 * length);
      v = { ptr, view: this.mem.f32(ptr, length) };
      v.view.fill(0);
      this.regions.set(name, v);
    }
    return v;
  }

  bytes(name: string, length: number): Uint8Array {
    const key = `bytes:${name}`;
    let v = this.regions.get(key);
    if (!v) {
      const ptr = this.mem.alloc(length);
      v = { ptr, view: this.mem.f32(ptr, 0) };
      this.regions.set(key, v);
    }
    return this.mem.u8(v.ptr, length);
  }

  compressor(spec: string): KernelCompressor {
    let c = this.compressors.get(spec);
    if (!c) {
      const bytes = 1 << 20;
      c = createCompressorSync(spec, { kernels: { exports: this.k, memory: this.memory, scratch: new ScratchAllocator(this.mem.alloc(bytes), bytes) } });
      this.compressors.set(spec, c);
    }
    return c;
  }

  /**
   * A device context for device `device`, round `round`; `grad(params, h)` supplies the gradient of
   * local step h. Posted byte counts are appended to `posted`.
   */
  device(setup: AlgorithmSetup, spec: string, device: number, round: number, grad: (params: Float32Array, h: number) => Float32Array, posted: number[]): DeviceContext {
    const d = this.d;
    const outbox = this.bytes(`outbox${device}`, this.compressor(spec).maxEncodedBytes(d));
    let h = 0;
    const ctx = {
      device, round, d, n: setup.n, config: setup.config, setup, kernels: this.k,
      compressor: this.compressor(spec), x: this.vec(`x${device}`), w: new Float64Array([1]), momentum: this.vec(`m${device}`),
      selfWeight: 1, outPeers: [] as number[],
      vector: (name: string) => this.vec(`dev.${name}${device}`),
      scratch: (slot: number) => this.vec(`scratch${slot}`),
      rngKey: (purpose: number) => rngKey(setup.config.seed, device, round, purpose),
      outbox: () => outbox,
      post: (bytes: number) => { posted.push(bytes); },
      gradient: async (params: Vec, g: Vec) => { g.view.set(grad(params.view.slice(), h++)); return 0; },
      inbox: () => [] as InMessage[],
      receiveBroadcast: () => false,
      xCheckedFinite: () => {},
    };
    return ctx as unknown as DeviceContext;
  }

  /** A server context whose inbox holds `messages` (ascending senders). */
  server(setup: AlgorithmSetup, round: number, messages: InMessage[], specOf: (device: number) => string, posted: number[]): ServerContext {
    const d = this.d;
    const none = this.compressor('none');
    const outbox = this.bytes('srv.outbox', none.maxEncodedBytes(d));
    const ctx = {
      round, d, n: setup.n, config: setup.config, setup, kernels: this.k, x: this.vec('srv.x'), compressor: none,
      vector: (name: string) => this.vec(`srv.${name}`),
      scratch: (slot: number) => this.vec(`scratch${slot}`),
      rngKey: (purpose: number) => rngKey(setup.config.seed, setup.n, round, purpose),
      outbox: () => outbox,
      post: (bytes: number) => { posted.push(bytes); },
      inbox: () => messages,
      compressorOf: (device: number) => this.compressor(specOf(device)),
    };
    return ctx as unknown as ServerContext;
  }
}

/** An InMessage carrying `bytes` from `from` (server inbox). */
export function inMessage(from: number, bytes: Uint8Array): InMessage {
  return { from, bytes, selfWeight: 1, weight: Number.NaN, outDegree: 1 };
}
