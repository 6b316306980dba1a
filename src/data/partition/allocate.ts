/**
 * Class x device count matrices with given margins: how many samples of class k device i gets,
 * when the device sizes are fixed (volume imbalance) and the label mix comes from weights.
 *
 * 1. Iterative proportional fitting (Sinkhorn) scales the weight matrix to the row (class) and
 *    column (device) totals, keeping its odds ratios (the label skew) and its zeros.
 * 2. Integer rounding: floors, then +1 by largest fractional part where both margins still lack.
 * 3. Exact repair by augmenting paths (max-flow on the bipartite class/device graph, only on
 *    cells with positive weight), which reaches the margins whenever any integer matrix with that
 *    support does. Otherwise returns the unfilled device.
 */

export interface Allocation {
  /** counts[k * cols + i]: samples of class k for device i. */
  readonly counts: Int32Array;
}

export interface AllocationFailure {
  /** A column (device) that could not be filled, and by how much it falls short. */
  readonly column: number;
  readonly missing: number;
}

export function allocate(
  rowTotals: readonly number[],
  colTotals: readonly number[],
  weights: Float64Array,
  maxIterations = 2000,
): Allocation | AllocationFailure {
  const R = rowTotals.length;
  const C = colTotals.length;
  const total = rowTotals.reduce((a, b) => a + b, 0);
  if (colTotals.reduce((a, b) => a + b, 0) !== total) throw new RangeError('allocate: margins differ');
  const m = Float64Array.from(weights);
  for (let k = 0; k < R; k++) if (rowTotals[k] === 0) m.fill(0, k * C, k * C + C);
  for (let i = 0; i < C; i++) if (colTotals[i] === 0) for (let k = 0; k < R; k++) m[k * C + i] = 0;

  // 1. Sinkhorn; ends on a row step so row sums are exact.
  const colSum = new Float64Array(C);
  for (let it = 0; it < maxIterations; it++) {
    colSum.fill(0);
    for (let k = 0; k < R; k++) for (let i = 0; i < C; i++) colSum[i] = colSum[i]! + m[k * C + i]!;
    for (let k = 0; k < R; k++) {
      for (let i = 0; i < C; i++) if (colSum[i]! > 0) m[k * C + i] = (m[k * C + i]! * colTotals[i]!) / colSum[i]!;
    }
    let worst = 0;
    for (let k = 0; k < R; k++) {
      let s = 0;
      for (let i = 0; i < C; i++) s += m[k * C + i]!;
      if (s > 0) {
        const f = rowTotals[k]! / s;
        for (let i = 0; i < C; i++) m[k * C + i] = m[k * C + i]! * f;
        worst = Math.max(worst, Math.abs(s - rowTotals[k]!));
      }
    }
    if (worst < 1e-6) break;
  }

  // 2. Floors, trimmed to the margins, then largest fractional parts.
  const counts = new Int32Array(R * C);
  const rowNeed = Int32Array.from(rowTotals);
  const colNeed = Int32Array.from(colTotals);
  for (let j = 0; j < R * C; j++) {
    const v = Math.floor(m[j]!);
    counts[j] = v;
  }
  for (let i = 0; i < C; i++) {
    for (let k = 0; k < R; k++) colNeed[i] = colNeed[i]! - counts[k * C + i]!;
    // Column over its total (possible before Sinkhorn converged): give back the largest cells' extra.
    for (let k = 0; k < R && colNeed[i]! < 0; k++) {
      const back = Math.min(counts[k * C + i]!, -colNeed[i]!);
      counts[k * C + i] = counts[k * C + i]! - back;
      colNeed[i] = colNeed[i]! + back;
    }
  }
  for (let k = 0; k < R; k++) for (let i = 0; i < C; i++) rowNeed[k] = rowNeed[k]! - counts[k * C + i]!;
  const cells: number[] = [];
  for (let j = 0; j < R * C; j++) if (m[j]! - counts[j]! > 1e-12 && weights[j]! > 0) cells.push(j);
  cells.sort((a, b) => m[b]! - counts[b]! - (m[a]! - counts[a]!) || a - b);
  for (const j of cells) {
    const k = Math.floor(j / C);
    const i = j - k * C;
    if (rowNeed[k]! > 0 && colNeed[i]! > 0) {
      counts[j] = counts[j]! + 1;
      rowNeed[k] = rowNeed[k]! - 1;
      colNeed[i] = colNeed[i]! - 1;
    }
  }

  // 3. Augmenting paths: row k (lacking) -> col i (weight > 0) -> row k' (counts[k'][i] > 0) -> ... -> col lacking.
  const allowed = (k: number, i: number) => weights[k * C + i]! > 0;
  const prevRowOfCol = new Int32Array(C);
  const prevColOfRow = new Int32Array(R);
  const queue = new Int32Array(R);
  for (;;) {
    let lacking = -1;
    for (let i = 0; i < C; i++) if (colNeed[i]! > 0) { lacking = i; break; }
    if (lacking < 0) break;
    prevRowOfCol.fill(-1);
    prevColOfRow.fill(-2);
    let head = 0;
    let tail = 0;
    for (let k = 0; k < R; k++) if (rowNeed[k]! > 0) { queue[tail++] = k; prevColOfRow[k] = -1; }
    let found = -1;
    while (head < tail && found < 0) {
      const k = queue[head++]!;
      for (let i = 0; i < C; i++) {
        if (prevRowOfCol[i] !== -1 || !allowed(k, i)) continue;
        prevRowOfCol[i] = k;
        if (colNeed[i]! > 0) { found = i; break; }
        for (let k2 = 0; k2 < R; k2++) {
          if (prevColOfRow[k2] === -2 && counts[k2 * C + i]! > 0) {
            prevColOfRow[k2] = i;
            queue[tail++] = k2;
          }
        }
      }
    }
    if (found < 0) return { column: lacking, missing: colNeed[lacking]! };
    // Bottleneck along the path.
    let amount = colNeed[found]!;
    for (let i = found; ;) {
      const k = prevRowOfCol[i]!;
      const back = prevColOfRow[k]!;
      if (back === -1) { amount = Math.min(amount, rowNeed[k]!); break; }
      amount = Math.min(amount, counts[k * C + back]!);
      i = back;
    }
    for (let i = found; ;) {
      const k = prevRowOfCol[i]!;
      counts[k * C + i] = counts[k * C + i]! + amount;
      const back = prevColOfRow[k]!;
      if (back === -1) { rowNeed[k] = rowNeed[k]! - amount; break; }
      counts[k * C + back] = counts[k * C + back]! - amount;
      i = back;
    }
    colNeed[found] = colNeed[found]! - amount;
  }
  return { counts };
}

export function isFailure(a: Allocation | AllocationFailure): a is AllocationFailure {
  return (a as AllocationFailure).column !== undefined;
}
