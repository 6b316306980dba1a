/**
 * Plain-TypeScript softmax regression (the oracle for assembly/logistic.ts). Straightforward f64
 * arithmetic, no lanes: results agree with the kernels to float tolerance, not bit for bit.
 * Parameters: W [classes x dIn] row-major, then bias [classes].
 */

export interface LogisticShape { readonly dIn: number; readonly classes: number }

function logits(params: Float32Array, shape: LogisticShape, x: Float32Array, row: number, out: Float64Array): void {
  const { dIn, classes } = shape;
  const base = row * dIn;
  for (let c = 0; c < classes; c++) {
    let s = 0;
    const w = c * dIn;
    for (let i = 0; i < dIn; i++) s += params[w + i]! * x[base + i]!;
    out[c] = s + params[classes * dIn + c]!;
  }
}

/** Softmax probabilities in place; returns -log p[label]. */
function softmaxLoss(l: Float64Array, label: number): number {
  let m = -Infinity;
  for (const v of l) m = Math.max(m, v);
  const ly = l[label]! - m;
  let z = 0;
  for (let c = 0; c < l.length; c++) { l[c] = Math.exp(l[c]! - m); z += l[c]!; }
  for (let c = 0; c < l.length; c++) l[c] = l[c]! / z;
  return Math.log(z) - ly;
}

/** Mean cross-entropy of `count` samples and its gradient (written to grad, length classes*(dIn+1)). */
export function logisticGradRef(params: Float32Array, shape: LogisticShape, x: Float32Array, y: Uint8Array, count: number, grad: Float32Array): number {
  const { dIn, classes } = shape;
  const g = new Float64Array(classes * (dIn + 1));
  const l = new Float64Array(classes);
  let loss = 0;
  for (let s = 0; s < count; s++) {
    logits(params, shape, x, s, l);
    const label = y[s]!;
    loss += softmaxLoss(l, label);
    for (let c = 0; c < classes; c++) {
      const delta = (l[c]! - (c === label ? 1 : 0)) / count;
      for (let i = 0; i < dIn; i++) g[c * dIn + i] += delta * x[s * dIn + i]!;
      g[classes * dIn + c] += delta;
    }
  }
  for (let i = 0; i < g.length; i++) grad[i] = g[i]!;
  return count > 0 ? loss / count : 0;
}

/** Summed loss and correct predictions (argmax, lowest class on ties) over `count` samples. */
export function logisticEvalRef(params: Float32Array, shape: LogisticShape, x: Float32Array, y: Uint8Array, count: number): { lossSum: number; correct: number } {
  const l = new Float64Array(shape.classes);
  let lossSum = 0;
  let correct = 0;
  for (let s = 0; s < count; s++) {
    logits(params, shape, x, s, l);
    let best = 0;
    for (let c = 1; c < shape.classes; c++) if (l[c]! > l[best]!) best = c;
    if (best === y[s]) correct++;
    lossSum += softmaxLoss(l, y[s]!);
  }
  return { lossSum, correct };
}
