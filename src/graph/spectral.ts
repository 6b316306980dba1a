/**
 * Spectral gap 1 - |lambda_2| of the period-averaged mixing matrix W (|lambda_2| = the second
 * largest eigenvalue modulus; W is column-stochastic, so the largest is 1).
 *
 * - Circulant schedules (ring, directed-ring, complete, exponential: every node's out-peers are
 *   node 0's shifted) use the closed form lambda_k = sum_o c_o e^{2 pi i o k / n}: O(n * nnz),
 *   no dense matrix, any n.
 * - Everything else: the dense averaged matrix is balanced, reduced to Hessenberg form and all
 *   eigenvalues found with Francis double-shift QR (EISPACK hqr). About 15 n^3 flops and 8 n^2
 *   bytes, so a few seconds at n = 512 grow cubically beyond: above DENSE_GAP_MAX_N (512) it runs
 *   only on request ({ allowLarge: true }).
 */
import { GraphError } from '../errors.js';
import type { Topology } from './types.js';
import { representativeRounds } from './build.js';
import { periodAverageMatrix } from './mixing.js';

export const DENSE_GAP_MAX_N = 512;

export interface SpectralOptions {
  /** Run the O(n^3) dense solver even when n > DENSE_GAP_MAX_N. */
  readonly allowLarge?: boolean;
}

export interface SpectrumReport {
  readonly gap: number;
  /** |lambda_2|. */
  readonly secondModulus: number;
  readonly method: 'circulant' | 'dense-qr';
  /** Rounds averaged: the period, or RESAMPLED_WINDOW for schedules resampled every round. */
  readonly roundsAveraged: number;
}

/**
 * Column 0 of the averaged matrix as offsets -> weight (c_o = weight node j gives node j+o), or
 * undefined when some round is not invariant under the shift j -> j+1.
 */
export function circulantOffsets(topo: Topology): Map<number, number> | undefined {
  const n = topo.n;
  const rounds = representativeRounds(topo);
  const column = new Map<number, number>();
  for (let t = 0; t < rounds; t++) {
    const g = topo.round(t);
    const base = g.outPeers[0]!;
    const a = g.selfWeight[0]!;
    for (let j = 1; j < n; j++) {
      const peers = g.outPeers[j]!;
      if (peers.length !== base.length) return undefined;
      const shifted = base.map((o) => (o + j) % n).sort((x, y) => x - y);
      for (let k = 0; k < peers.length; k++) if (peers[k] !== shifted[k]) return undefined;
    }
    column.set(0, (column.get(0) ?? 0) + a / rounds);
    for (const o of base) column.set(o, (column.get(o) ?? 0) + a / rounds);
  }
  return column;
}

/** Eigenvalue moduli of the circulant with column c, descending. */
function circulantModuli(n: number, column: Map<number, number>): Float64Array {
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let m = 0; m < n; m++) { cos[m] = Math.cos((2 * Math.PI * m) / n); sin[m] = Math.sin((2 * Math.PI * m) / n); }
  const entries = [...column];
  const moduli = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let re = 0;
    let im = 0;
    for (const [o, c] of entries) {
      const m = (o * k) % n;
      re += c * cos[m]!;
      im += c * sin[m]!;
    }
    moduli[k] = Math.hypot(re, im);
  }
  return moduli.sort().reverse();
}

/** Balances a (1-based, stride n+1) by powers of 2 so row and column norms match (a similarity). */
function balance(a: Float64Array, n: number): void {
  const s = n + 1;
  const RADIX = 2;
  let done = false;
  while (!done) {
    done = true;
    for (let i = 1; i <= n; i++) {
      let r = 0;
      let c = 0;
      for (let j = 1; j <= n; j++) {
        if (j !== i) { c += Math.abs(a[j * s + i]!); r += Math.abs(a[i * s + j]!); }
      }
      if (c !== 0 && r !== 0) {
        let g = r / RADIX;
        let f = 1;
        const total = c + r;
        while (c < g) { f *= RADIX; c *= RADIX * RADIX; }
        g = r * RADIX;
        while (c > g) { f /= RADIX; c /= RADIX * RADIX; }
        if ((c + r) / f < 0.95 * total) {
          done = false;
          g = 1 / f;
          for (let j = 1; j <= n; j++) a[i * s + j]! *= g;
          for (let j = 1; j <= n; j++) a[j * s + i]! *= f;
        }
      }
    }
  }
}

/** Reduces a (1-based) to upper Hessenberg form by stabilized elementary similarities. */
function toHessenberg(a: Float64Array, n: number): void {
  const s = n + 1;
  for (let m = 2; m < n; m++) {
    let x = 0;
    let i = m;
    for (let j = m; j <= n; j++) {
      if (Math.abs(a[j * s + m - 1]!) > Math.abs(x)) { x = a[j * s + m - 1]!; i = j; }
    }
    if (i !== m) {
      for (let j = m - 1; j <= n; j++) { const t = a[i * s + j]!; a[i * s + j] = a[m * s + j]!; a[m * s + j] = t; }
      for (let j = 1; j <= n; j++) { const t = a[j * s + i]!; a[j * s + i] = a[j * s + m]!; a[j * s + m] = t; }
    }
    if (x !== 0) {
      for (i = m + 1; i <= n; i++) {
        let y = a[i * s + m - 1]!;
        if (y !== 0) {
          y /= x;
          a[i * s + m - 1] = y;
          for (let j = m; j <= n; j++) a[i * s + j]! -= y * a[m * s + j]!;
          for (let j = 1; j <= n; j++) a[j * s + m]! += y * a[j * s + i]!;
        }
      }
    }
  }
  for (let i = 3; i <= n; i++) for (let j = 1; j < i - 1; j++) a[i * s + j] = 0;
}

function withSign(a: number, b: number): number { return b >= 0 ? Math.abs(a) : -Math.abs(a); }

/** All eigenvalues of an upper Hessenberg a (1-based, destroyed) by Francis double-shift QR. */
function hessenbergEigenvalues(a: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  const s = n + 1;
  const wr = new Float64Array(n + 1);
  const wi = new Float64Array(n + 1);
  const EPS = Number.EPSILON;
  let anorm = 0;
  for (let i = 1; i <= n; i++) for (let j = Math.max(i - 1, 1); j <= n; j++) anorm += Math.abs(a[i * s + j]!);
  let nn = n;
  let t = 0;
  let p = 0, q = 0, r = 0, x = 0, y = 0, z = 0, w = 0;
  while (nn >= 1) {
    let its = 0;
    let l: number;
    do {
      for (l = nn; l >= 2; l--) {
        let sc = Math.abs(a[(l - 1) * s + l - 1]!) + Math.abs(a[l * s + l]!);
        if (sc === 0) sc = anorm;
        if (Math.abs(a[l * s + l - 1]!) <= EPS * sc) { a[l * s + l - 1] = 0; break; }
      }
      x = a[nn * s + nn]!;
      if (l === nn) {
        wr[nn] = x + t; wi[nn] = 0; nn--;
      } else {
        y = a[(nn - 1) * s + nn - 1]!;
        w = a[nn * s + nn - 1]! * a[(nn - 1) * s + nn]!;
        if (l === nn - 1) {
          p = 0.5 * (y - x);
          q = p * p + w;
          z = Math.sqrt(Math.abs(q));
          x += t;
          if (q >= 0) {
            z = p + withSign(z, p);
            wr[nn - 1] = wr[nn] = x + z;
            if (z !== 0) wr[nn] = x - w / z;
            wi[nn - 1] = wi[nn] = 0;
          } else {
            wr[nn - 1] = wr[nn] = x + p;
            wi[nn - 1] = -z;
            wi[nn] = z;
          }
          nn -= 2;
        } else {
          if (its === 60) throw new GraphError(`eigenvalue solver did not converge (n = ${n})`);
          if (its > 0 && its % 10 === 0) {
            // Exceptional shift to break cycles.
            t += x;
            for (let i = 1; i <= nn; i++) a[i * s + i]! -= x;
            const sh = Math.abs(a[nn * s + nn - 1]!) + Math.abs(a[(nn - 1) * s + nn - 2]!);
            y = x = 0.75 * sh;
            w = -0.4375 * sh * sh;
          }
          ++its;
          let m: number;
          for (m = nn - 2; m >= l; m--) {
            z = a[m * s + m]!;
            r = x - z;
            const sm = y - z;
            p = (r * sm - w) / a[(m + 1) * s + m]! + a[m * s + m + 1]!;
            q = a[(m + 1) * s + m + 1]! - z - r - sm;
            r = a[(m + 2) * s + m + 1]!;
            const sc = Math.abs(p) + Math.abs(q) + Math.abs(r);
            p /= sc; q /= sc; r /= sc;
            if (m === l) break;
            const u = Math.abs(a[m * s + m - 1]!) * (Math.abs(q) + Math.abs(r));
            const v = Math.abs(p) * (Math.abs(a[(m - 1) * s + m - 1]!) + Math.abs(z) + Math.abs(a[(m + 1) * s + m + 1]!));
            if (u <= EPS * v) break;
          }
          for (let i = m + 2; i <= nn; i++) {
            a[i * s + i - 2] = 0;
            if (i !== m + 2) a[i * s + i - 3] = 0;
          }
          for (let k = m; k <= nn - 1; k++) {
            if (k !== m) {
              p = a[k * s + k - 1]!;
              q = a[(k + 1) * s + k - 1]!;
              r = 0;
              if (k !== nn - 1) r = a[(k + 2) * s + k - 1]!;
              x = Math.abs(p) + Math.abs(q) + Math.abs(r);
              if (x !== 0) { p /= x; q /= x; r /= x; }
            }
            const sg = withSign(Math.sqrt(p * p + q * q + r * r), p);
            if (sg !== 0) {
              if (k === m) {
                if (l !== m) a[k * s + k - 1] = -a[k * s + k - 1]!;
              } else {
                a[k * s + k - 1] = -sg * x;
              }
              p += sg;
              x = p / sg;
              y = q / sg;
              z = r / sg;
              q /= p;
              r /= p;
              for (let j = k; j <= nn; j++) {
                p = a[k * s + j]! + q * a[(k + 1) * s + j]!;
                if (k !== nn - 1) {
                  p += r * a[(k + 2) * s + j]!;
                  a[(k + 2) * s + j]! -= p * z;
                }
                a[(k + 1) * s + j]! -= p * y;
                a[k * s + j]! -= p * x;
              }
              const mmin = nn < k + 3 ? nn : k + 3;
              for (let i = l; i <= mmin; i++) {
                p = x * a[i * s + k]! + y * a[i * s + k + 1]!;
                if (k !== nn - 1) {
                  p += z * a[i * s + k + 2]!;
                  a[i * s + k + 2]! -= p * r;
                }
                a[i * s + k + 1]! -= p * q;
                a[i * s + k]! -= p;
              }
            }
          }
        }
      }
    } while (l < nn - 1);
  }
  return { re: wr.subarray(1), im: wi.subarray(1) };
}

/** All eigenvalues of a general real n x n matrix (row-major, not modified). */
export function eigenvalues(matrix: Float64Array, n: number): { re: Float64Array; im: Float64Array } {
  if (matrix.length !== n * n) throw new GraphError(`eigenvalues: expected ${n * n} entries, got ${matrix.length}`);
  const s = n + 1;
  const a = new Float64Array(s * s);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[(i + 1) * s + j + 1] = matrix[i * n + j]!;
  balance(a, n);
  toHessenberg(a, n);
  return hessenbergEigenvalues(a, n);
}

/** Eigenvalue moduli of the period-averaged mixing matrix, descending, and how they were found. */
export function analyzeSpectrum(topo: Topology, opts: SpectralOptions = {}): SpectrumReport {
  const roundsAveraged = representativeRounds(topo);
  const column = circulantOffsets(topo);
  let moduli: Float64Array;
  let method: SpectrumReport['method'];
  if (column) {
    moduli = circulantModuli(topo.n, column);
    method = 'circulant';
  } else {
    if (topo.n > DENSE_GAP_MAX_N && !opts.allowLarge) {
      throw new GraphError(`spectral gap of topology '${topo.spec}' with devices = ${topo.n} needs a dense O(n^3) eigenvalue solve (~4 s at n = 1024, growing as n^3); pass { allowLarge: true } (CLI: --gap) to run it anyway`);
    }
    const { re, im } = eigenvalues(periodAverageMatrix(topo), topo.n);
    moduli = new Float64Array(topo.n);
    for (let k = 0; k < topo.n; k++) moduli[k] = Math.hypot(re[k]!, im[k]!);
    moduli.sort().reverse();
    method = 'dense-qr';
  }
  const secondModulus = Math.min(1, moduli[1]!);
  return { gap: Math.max(0, 1 - secondModulus), secondModulus, method, roundsAveraged };
}

/** 1 - |lambda_2| of the period-averaged mixing matrix (see analyzeSpectrum for cost). */
export function spectralGap(topo: Topology, opts: SpectralOptions = {}): number {
  return analyzeSpectrum(topo, opts).gap;
}
