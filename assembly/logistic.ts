// Softmax regression (multinomial logistic regression with bias) as raw pointer kernels on the arena.
//
// Parameters: W [classes x d_in] row-major f32, then bias [classes] f32 (paramCount = classes*(d_in+1)).
// Samples: x [count x d_in] f32 row-major, y [count] u8 labels.
//
// Reproducibility: the SIMD and scalar builds give bit-identical results. Every dot product is
// summed in four lanes (lane j takes indices = j mod 4 over the largest multiple of 4), combined as
// (l0 + l1) + (l2 + l3), then the tail in index order; the scalar path emulates exactly that, and
// wasm has no fused multiply-add, so both paths round identically. The gradient update is
// elementwise (same bits either way). Softmax, exp and log run in f64 (AssemblyScript's own
// deterministic Math, not the host's).
//
// No allocation: scratch comes from the caller (logistic_scratch_bytes).

/** Scratch bytes logistic_grad / logistic_eval need: logits (f32) and exponentials (f64) for one sample. */
export function logistic_scratch_bytes(classes: i32): i32 {
  return ((classes * 4 + 15) & ~15) + classes * 8;
}

// Logits of one sample for 4 consecutive classes (rows w0..w0+3*rowBytes): each result is bit-equal to
// the single-row lane dot product (lanes are per row), x is loaded once for the four rows.
@inline
function dot4Rows(w: usize, rowBytes: usize, x: usize, n: i32, out: usize): void {
  const n4 = n & ~3;
  let r0: f32, r1: f32, r2: f32, r3: f32;
  if (ASC_FEATURE_SIMD) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    const w1 = w + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
    for (let i = 0; i < n4; i += 4) {
      const off = <usize>i << 2;
      const xv = v128.load(x + off);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w + off), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + off), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w2 + off), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w3 + off), xv));
    }
    r0 = (f32x4.extract_lane(a0, 0) + f32x4.extract_lane(a0, 1)) + (f32x4.extract_lane(a0, 2) + f32x4.extract_lane(a0, 3));
    r1 = (f32x4.extract_lane(a1, 0) + f32x4.extract_lane(a1, 1)) + (f32x4.extract_lane(a1, 2) + f32x4.extract_lane(a1, 3));
    r2 = (f32x4.extract_lane(a2, 0) + f32x4.extract_lane(a2, 1)) + (f32x4.extract_lane(a2, 2) + f32x4.extract_lane(a2, 3));
    r3 = (f32x4.extract_lane(a3, 0) + f32x4.extract_lane(a3, 1)) + (f32x4.extract_lane(a3, 2) + f32x4.extract_lane(a3, 3));
    for (let i = n4; i < n; i++) {
      const off = <usize>i << 2;
      const xi = load<f32>(x + off);
      r0 += load<f32>(w + off) * xi;
      r1 += load<f32>(w1 + off) * xi;
      r2 += load<f32>(w2 + off) * xi;
      r3 += load<f32>(w3 + off) * xi;
    }
  } else {
    r0 = dotLanes(w, x, n);
    r1 = dotLanes(w + rowBytes, x, n);
    r2 = dotLanes(w + 2 * rowBytes, x, n);
    r3 = dotLanes(w + 3 * rowBytes, x, n);
  }
  store<f32>(out, r0);
  store<f32>(out, r1, 4);
  store<f32>(out, r2, 8);
  store<f32>(out, r3, 12);
}

/** Lane dot product (see the header); identical bits in both builds. */
@inline
function dotLanes(a: usize, b: usize, n: i32): f32 {
  const n4 = n & ~3;
  let s: f32;
  if (ASC_FEATURE_SIMD) {
    let acc = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) {
      const off = <usize>i << 2;
      acc = f32x4.add(acc, f32x4.mul(v128.load(a + off), v128.load(b + off)));
    }
    s = (f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1)) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3));
  } else {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let i = 0; i < n4; i += 4) {
      const off = <usize>i << 2;
      s0 += load<f32>(a + off) * load<f32>(b + off);
      s1 += load<f32>(a + off, 4) * load<f32>(b + off, 4);
      s2 += load<f32>(a + off, 8) * load<f32>(b + off, 8);
      s3 += load<f32>(a + off, 12) * load<f32>(b + off, 12);
    }
    s = (s0 + s1) + (s2 + s3);
  }
  for (let i = n4; i < n; i++) {
    const off = <usize>i << 2;
    s += load<f32>(a + off) * load<f32>(b + off);
  }
  return s;
}

/** logits[c] = W[c] . x + b[c] for all classes (f32). */
@inline
function forward(params: usize, dIn: i32, classes: i32, x: usize, logits: usize): void {
  const rowBytes = <usize>dIn << 2;
  const bias = params + <usize>classes * rowBytes;
  const c4 = classes & ~3;
  for (let c = 0; c < c4; c += 4) dot4Rows(params + <usize>c * rowBytes, rowBytes, x, dIn, logits + (<usize>c << 2));
  for (let c = c4; c < classes; c++) store<f32>(logits + (<usize>c << 2), dotLanes(params + <usize>c * rowBytes, x, dIn));
  for (let c = 0; c < classes; c++) {
    const p = logits + (<usize>c << 2);
    store<f32>(p, load<f32>(p) + load<f32>(bias + (<usize>c << 2)));
  }
}

/** Stable softmax into exps (f64, normalised); returns -log p[label]. */
@inline
function softmaxLoss(logits: usize, classes: i32, label: i32, exps: usize): f64 {
  let m = load<f32>(logits);
  for (let c = 1; c < classes; c++) m = max(m, load<f32>(logits + (<usize>c << 2)));
  const mm = <f64>m;
  let z: f64 = 0;
  for (let c = 0; c < classes; c++) {
    const e = Math.exp(<f64>load<f32>(logits + (<usize>c << 2)) - mm);
    store<f64>(exps + (<usize>c << 3), e);
    z += e;
  }
  const inv = 1.0 / z;
  for (let c = 0; c < classes; c++) {
    const p = exps + (<usize>c << 3);
    store<f64>(p, load<f64>(p) * inv);
  }
  return Math.log(z) - (<f64>load<f32>(logits + (<usize>label << 2)) - mm);
}

/** g += a * x over n f32 (elementwise, same bits in both builds). */
@inline
function axpyF32(n: i32, a: f32, x: usize, g: usize): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const av = f32x4.splat(a);
    const n4 = n & ~3;
    for (; i < n4; i += 4) {
      const off = <usize>i << 2;
      v128.store(g + off, f32x4.add(v128.load(g + off), f32x4.mul(av, v128.load(x + off))));
    }
  }
  for (; i < n; i++) {
    const off = <usize>i << 2;
    store<f32>(g + off, load<f32>(g + off) + a * load<f32>(x + off));
  }
}

// Shared body of the two gradient entry points: rows == 0 reads samples 0..count-1 of xBase/yBase,
// otherwise sample s is row load<u32>(rows + 4s) (the bottom 64 KiB is never arena, so 0 is free).
@inline
function gradCore(params: usize, dIn: i32, classes: i32, xBase: usize, yBase: usize, rows: usize, count: i32, gradOut: usize, scratch: usize): f32 {
  const paramCount = classes * (dIn + 1);
  memory.fill(gradOut, 0, <usize>paramCount << 2);
  if (count <= 0) return 0;
  const logits = scratch;
  const exps = scratch + <usize>((classes * 4 + 15) & ~15);
  const rowBytes = <usize>dIn << 2;
  const gBias = gradOut + <usize>classes * rowBytes;
  const invCount: f64 = 1.0 / <f64>count;
  let lossSum: f64 = 0;
  for (let s = 0; s < count; s++) {
    const r: usize = rows == 0 ? <usize>s : <usize>load<u32>(rows + (<usize>s << 2));
    const x = xBase + r * rowBytes;
    const label = <i32>load<u8>(yBase + r);
    forward(params, dIn, classes, x, logits);
    lossSum += softmaxLoss(logits, classes, label, exps);
    for (let c = 0; c < classes; c++) {
      const p = load<f64>(exps + (<usize>c << 3));
      const delta = <f32>((c == label ? p - 1.0 : p) * invCount);
      axpyF32(dIn, delta, x, gradOut + <usize>c * rowBytes);
      const gb = gBias + (<usize>c << 2);
      store<f32>(gb, load<f32>(gb) + delta);
    }
  }
  return <f32>(lossSum * invCount);
}

/**
 * Mean cross-entropy over the batch; writes its gradient (W rows, then bias) to gradOut
 * (classes*(d_in+1) f32, overwritten). Labels must be < classes (callers validate data once).
 */
export function logistic_grad(params: usize, dIn: i32, classes: i32, xBatch: usize, yBatch: usize, count: i32, gradOut: usize, scratch: usize): f32 {
  return gradCore(params, dIn, classes, xBatch, yBatch, 0, count, gradOut, scratch);
}

/**
 * logistic_grad over samples picked by row index (u32 rows[count]) from a whole dataset
 * (xAll [N x d_in], yAll [N]): the engine's zero-copy path (no batch gather). Same bits as
 * logistic_grad on the gathered batch.
 */
export function logistic_grad_rows(params: usize, dIn: i32, classes: i32, xAll: usize, yAll: usize, rows: usize, count: i32, gradOut: usize, scratch: usize): f32 {
  return gradCore(params, dIn, classes, xAll, yAll, rows, count, gradOut, scratch);
}

/**
 * Summed cross-entropy (f64) over `count` samples; writes the number of correct predictions
 * (argmax of the logits, lowest class on ties) as u32 at outCorrect.
 */
export function logistic_eval(params: usize, dIn: i32, classes: i32, x: usize, y: usize, count: i32, scratch: usize, outCorrect: usize): f64 {
  const logits = scratch;
  const exps = scratch + <usize>((classes * 4 + 15) & ~15);
  const rowBytes = <usize>dIn << 2;
  let lossSum: f64 = 0;
  let correct: u32 = 0;
  for (let s = 0; s < count; s++) {
    const label = <i32>load<u8>(y + <usize>s);
    forward(params, dIn, classes, x + <usize>s * rowBytes, logits);
    let best = 0;
    let bestV = load<f32>(logits);
    for (let c = 1; c < classes; c++) {
      const v = load<f32>(logits + (<usize>c << 2));
      if (v > bestV) { bestV = v; best = c; }
    }
    if (best == label) correct++;
    lossSum += softmaxLoss(logits, classes, label, exps);
  }
  store<u32>(outCorrect, correct);
  return lossSum;
}
