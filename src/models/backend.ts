/**
 * TensorFlow.js backend selection.
 *
 * `auto` prefers @tensorflow/tfjs-node (optional dependency, native TensorFlow), then the wasm backend
 * (XNNPACK, SIMD, single-threaded in Node), then the pure-JS cpu backend. tfjs has one global engine,
 * so a process runs one backend at a time; learners call `useBackend` before each computation so
 * learners on different backends can coexist (tests compare wasm against cpu).
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient functions (the union package @tensorflow/tfjs does,
// from ESM sources Node cannot load directly); the tfjs-layers Node bundle registers them all.
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ConfigError } from '../errors.js';
import { nodeBuiltin } from '../node-builtin.js';
import { registerWasmGradKernels } from './tfjs/wasm-grads.js';

export type BackendChoice = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: readonly BackendChoice[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Name of the tfjs-node package; computed at run time so TypeScript and tsx do not resolve it. */
const TFJS_NODE = ['@tensorflow', 'tfjs-node'].join('/');

const loaded = new Map<string, Promise<boolean>>();
let wasmPathsSet = false;
/** Why each backend failed to load, for error messages. */
const loadErrors = new Map<string, string>();

function describe(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? String(err);
  if (typeof err === 'object' && err !== null && 'message' in err) return String((err as { message: unknown }).message);
  return String(err);
}

let wasmPrefix: string | undefined;

/**
 * Where the wasm backend fetches its .wasm binaries from, a URL prefix ending in '/' (browsers:
 * the page copies them next to itself). Node finds them in the installed package by itself.
 */
export function setWasmBinaryPrefix(prefix: string): void {
  wasmPrefix = prefix;
}

/** Directory of the wasm backend's .wasm binaries (node_modules/@tensorflow/tfjs-backend-wasm/dist/). */
export function wasmBinaryDir(): string {
  if (wasmPrefix !== undefined) return wasmPrefix;
  const module = nodeBuiltin<{ createRequire(from: string): NodeJS.Require }>('node:module');
  if (!module) throw new ConfigError('backend', 'the tfjs wasm backend needs setWasmBinaryPrefix(url) outside Node');
  // The package's main file lives in dist/, next to the .wasm binaries.
  const main = module.createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm');
  return main.slice(0, Math.max(main.lastIndexOf('/'), main.lastIndexOf('\\')) + 1);
}

type Listener = (...args: unknown[]) => void;
interface ProcessListeners { uncaught: Set<Listener>; rejection: Set<Listener> }
const nodeProcess = (globalThis as { process?: NodeJS.Process }).process;
function processListeners(): ProcessListeners {
  if (!nodeProcess?.listeners) return { uncaught: new Set(), rejection: new Set() };
  return {
    uncaught: new Set(nodeProcess.listeners('uncaughtException') as Listener[]),
    rejection: new Set(nodeProcess.listeners('unhandledRejection') as Listener[]),
  };
}
function removeNewListeners(before: ProcessListeners): void {
  const process = nodeProcess;
  if (!process?.listeners) return;
  for (const l of process.listeners('uncaughtException')) {
    if (!before.uncaught.has(l as Listener)) process.removeListener('uncaughtException', l);
  }
  for (const l of process.listeners('unhandledRejection')) {
    if (!before.rejection.has(l as Listener)) process.removeListener('unhandledRejection', l);
  }
}

async function tryLoad(name: 'tensorflow' | 'wasm' | 'cpu'): Promise<boolean> {
  let p = loaded.get(name);
  if (p) return p;
  p = (async () => {
    try {
      if (name === 'tensorflow') {
        await import(TFJS_NODE);
        if (tf.findBackendFactory('tensorflow') == null) throw new Error('tfjs-node loaded but registered no `tensorflow` backend');
      } else if (name === 'wasm') {
        if (!wasmPathsSet) {
          // Threaded wasm needs Web Workers; in Node use the single-threaded SIMD binary.
          tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
          setWasmPaths(wasmBinaryDir());
          wasmPathsSet = true;
        }
      }
      // setBackend initialises the backend (once) and makes it current.
      const previous = tf.getBackend();
      const before = processListeners();
      const ok = await tf.setBackend(name);
      // The wasm backend's Emscripten glue installs process handlers that rethrow every uncaught
      // error from inside its minified source (burying the real stack trace); drop them.
      removeNewListeners(before);
      if (!ok) throw new Error(`tf.setBackend('${name}') failed`);
      if (name === 'wasm') registerWasmGradKernels();
      // The cpu backend prints a "use tfjs-node" banner on first use; the choice is recorded instead.
      if (name === 'cpu') (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
      if (previous && previous !== name && tf.engine().registry[previous] != null) await tf.setBackend(previous);
      return true;
    } catch (err) {
      loadErrors.set(name, describe(err));
      return false;
    }
  })();
  loaded.set(name, p);
  return p;
}

/**
 * Resolve a backend choice to the backend that will run (`tensorflow`, `wasm` or `cpu`), loading it.
 * Explicit choices that cannot load raise a ConfigError on key `backend`.
 */
export async function selectBackend(choice: BackendChoice): Promise<string> {
  if (!BACKEND_CHOICES.includes(choice)) {
    throw new ConfigError('backend', `unknown backend '${String(choice)}' (expected one of ${BACKEND_CHOICES.join(', ')})`);
  }
  if (choice === 'auto') {
    for (const name of ['tensorflow', 'wasm', 'cpu'] as const) {
      if (await tryLoad(name)) return name;
    }
    throw new ConfigError('backend', `no TensorFlow.js backend loads: ${[...loadErrors].map(([k, v]) => `${k}: ${v}`).join('; ')}`);
  }
  if (await tryLoad(choice)) return choice;
  const hint = choice === 'tensorflow' ? ' (install the optional dependency @tensorflow/tfjs-node, or use backend auto/wasm/cpu)' : '';
  throw new ConfigError('backend', `backend '${choice}' cannot be loaded: ${loadErrors.get(choice) ?? 'unknown error'}${hint}`);
}

/** Make `name` (already selected) the current tfjs backend. */
export async function useBackend(name: string): Promise<void> {
  if (tf.getBackend() !== name) {
    const ok = await tf.setBackend(name);
    if (!ok) throw new ConfigError('backend', `cannot switch to backend '${name}'`);
  }
}

/**
 * Make `name` (already loaded by selectBackend) the current backend, synchronously: callers switch
 * right before computing, with no await in between, so concurrent async callers on different
 * backends cannot switch the engine under each other.
 */
export function activateBackend(name: string): void {
  if (tf.getBackend() === name) return;
  if (tf.engine().registry[name] == null) throw new ConfigError('backend', `backend '${name}' is not loaded (call selectBackend first)`);
  // For an initialised backend, setBackend switches before its first await.
  void tf.setBackend(name);
  if (tf.getBackend() !== name) throw new ConfigError('backend', `cannot switch to backend '${name}'`);
}

/** Backends that loaded so far in this process, in load order. */
export function loadedBackends(): string[] {
  return Object.keys(tf.engine().registry);
}

export { tf };
