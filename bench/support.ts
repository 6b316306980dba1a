/** Shared pieces of the benchmarks: deterministic input vectors, machine description, medians, a process's memory. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { Purpose, rngKey, rngUniform } from '../src/kernels/rng.js';

/** Standard normal f32 values from the project RNG (Box-Muller), deterministic. */
export function fillNormal(x: Float32Array, seed: number): void {
  const key = rngKey(seed, 0, 0, Purpose.data);
  for (let i = 0; i < x.length; i++) {
    const u = 1 - rngUniform(key, 2 * i), v = rngUniform(key, 2 * i + 1);
    x[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

export interface Machine { cpu: string; cores: number; node: string; loadAverage: number[] }

export function machine(): Machine {
  return { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.availableParallelism(), node: process.version, loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A live process's peak (VmHWM) or current (VmRSS) resident set in MiB, from /proc; NaN when absent. */
export function residentMiB(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const m = new RegExp(`${key}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/**
 * This script again in a fresh process with `args` (one measurement point, so points do not share a
 * heap or warm caches); returns its last stdout line parsed as JSON. `what` names the point in errors.
 */
export function pointInChild<T>(args: readonly string[], what: string): T {
  const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`${what} failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as T;
}
