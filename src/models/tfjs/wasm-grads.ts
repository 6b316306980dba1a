/**
 * Gradient kernels for the tfjs `wasm` backend, built from the backend's own fast ops.
 *
 * The stock wasm backend (4.22) has no Conv2DBackpropFilter at all and runs Conv2DBackpropInput as a
 * naive C++ loop (~10x slower than the forward XNNPACK convolution). Both are rewritten as XNNPACK
 * forward convolutions plus cheap layout ops (transpose, reverse, reshape, slice):
 *
 * - backprop-filter: dW[kh,kw,ci,co] = sum_{n,oh,ow} xpad[n, oh*s+kh, ow*s+kw, ci] * dy[n,oh,ow,co].
 *   With xpad transposed to [Ci, Hp, Wp, N] ("batch" = input channel, "channel" = sample) and dy
 *   transposed to a filter [OH, OW, N, Co], this is a convolution with dilation s (the forward padding
 *   passed as explicit padding), whose [Ci, KH, KW, Co] output transposes to the filter gradient.
 * - backprop-input: dx = convolution of dy (zero-dilated by the stride, explicitly padded by
 *   KH-1-padTop on the top/left) with the spatially flipped filter, in/out channels swapped.
 * * - BatchMatMul with transposeA/transposeB (every dense-layer gradient): explicit Transpose, then
 *   the stock GEMM without transposes.
 *
 * Intermediate buffers are freed with backend.disposeData. Not kernels, but ops with closed-form
 * gradients the models use on every backend (ops.ts): batch norm (tfjs differentiates moments +
 * batchNorm op by op), ReLU (no Cast copy), and 2x2 max pooling (the stock wasm MaxPoolGrad is a slow
 * loop and drops the gradient of windows whose maximum is <= 0).
 */
import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import type { KernelConfig, NamedAttrMap, NamedTensorInfoMap, TensorInfo } from '@tensorflow/tfjs-core';

type Conv2DPad = 'same' | 'valid' | number | backend_util.ExplicitPadding;
type RoundingMode = 'floor' | 'round' | 'ceil' | undefined;

/** The slice of BackendWasm the kernels use. */
interface WasmBackendLike {
  disposeData(dataId: object, force?: boolean): boolean;
}

const BACKEND = 'wasm';
let registered = false;
/** Stock kernels replaced by ours, kept for benchmarks and tests. */
const stock = new Map<string, KernelConfig>();

function call(name: string, backend: WasmBackendLike, inputs: NamedTensorInfoMap, attrs: NamedAttrMap = {}): TensorInfo {
  const kernel = tf.getKernel(name, BACKEND);
  if (kernel == null) throw new Error(`wasm backend has no ${name} kernel`);
  const out = kernel.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm ${name} returned several outputs`);
  return out;
}

function free(backend: WasmBackendLike, ...infos: TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

/**
 * Crop the negative amounts of each dimension's [before, after] and return the positive ones as
 * the explicit padding of the convolution that follows (XNNPACK pads implicitly, saving a pass).
 */
function cropForConv(backend: WasmBackendLike, x: TensorInfo, amounts: ReadonlyArray<readonly [number, number]>): { t: TensorInfo; pad: number[][] } {
  let t = x;
  if (amounts.some(([a, b]) => a < 0 || b < 0)) {
    const begin = amounts.map(([a]) => Math.max(0, -a));
    const size = amounts.map(([a, b], i) => x.shape[i]! - Math.max(0, -a) - Math.max(0, -b));
    t = call('Slice', backend, { x }, { begin, size });
  }
  return { t, pad: amounts.map(([a, b]) => [Math.max(0, a), Math.max(0, b)]) };
}

function convInfo(
  inShape: readonly number[], filterShape: readonly number[], strides: number | [number, number],
  pad: Conv2DPad, dimRoundingMode: RoundingMode, dataFormat: string | undefined,
): backend_util.Conv2DInfo {
  const fmt = backend_util.convertConv2DDataFormat((dataFormat ?? 'NHWC') as 'NHWC' | 'NCHW');
  if (fmt !== 'channelsLast') throw new Error(`wasm conv gradients support NHWC only, got ${dataFormat}`);
  return backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, 1, pad, dimRoundingMode, false, fmt);
}

/** dW for x [N,H,W,Ci], dy [N,OH,OW,Co]. */
export function conv2dBackpropFilterWasm(
  backend: WasmBackendLike, x: TensorInfo, dy: TensorInfo, filterShape: readonly number[],
  strides: number | [number, number], pad: Conv2DPad, dimRoundingMode?: RoundingMode, dataFormat?: string,
): TensorInfo {
  const info = convInfo(x.shape, filterShape, strides, pad, dimRoundingMode, dataFormat);
  const { top, left } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, outHeight: oh, outWidth: ow } = info;
  // Rows/columns beyond the last window are never read: crop them rather than convolve over them.
  const usedH = (oh - 1) * sh + kh;
  const usedW = (ow - 1) * sw + kw;
  const { t: cropped, pad: explicitPad } = cropForConv(backend, x, [[0, 0], [top, usedH - x.shape[1]! - top], [left, usedW - x.shape[2]! - left], [0, 0]]);
  const xt = call('Transpose', backend, { x: cropped }, { perm: [3, 1, 2, 0] });
  if (cropped !== x) free(backend, cropped);
  const f = call('Transpose', backend, { x: dy }, { perm: [1, 2, 0, 3] });
  // The spatial padding of x is the spatial padding of xt (dims 1, 2 stay in place).
  const out = call('Conv2D', backend, { x: xt, filter: f }, {
    strides: [1, 1], pad: explicitPad, dataFormat: 'NHWC', dilations: [sh, sw], dimRoundingMode: undefined,
  } as unknown as NamedAttrMap);
  free(backend, xt, f);
  const dw = call('Transpose', backend, { x: out }, { perm: [1, 2, 0, 3] });
  free(backend, out);
  return dw;
}

/** dx of shape inputShape [N,H,W,Ci] for dy [N,OH,OW,Co] and filter [KH,KW,Ci,Co]. */
export function conv2dBackpropInputWasm(
  backend: WasmBackendLike, dy: TensorInfo, filter: TensorInfo, inputShape: readonly number[],
  strides: number | [number, number], pad: Conv2DPad, dimRoundingMode?: RoundingMode, dataFormat?: string,
): TensorInfo {
  const info = convInfo(inputShape, filter.shape, strides, pad, dimRoundingMode, dataFormat);
  const { top, left } = info.padInfo;
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw, inHeight: h, inWidth: w } = info;
  const [n, oh, ow, co] = dy.shape as [number, number, number, number];

  // Zero-insert between dy rows/columns: [N,OH,1,OW,1,Co] padded to [N,OH,sh,OW,sw,Co].
  let dyd: TensorInfo = dy;
  if (sh > 1 || sw > 1) {
    const r = call('Reshape', backend, { x: dy }, { shape: [n, oh, 1, ow, 1, co] });
    const p = call('PadV2', backend, { x: r }, { paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0 });
    free(backend, r);
    dyd = call('Reshape', backend, { x: p }, { shape: [n, oh * sh, ow * sw, co] });
    free(backend, p);
  }
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  // Padded height must be H + KH - 1 for a valid convolution to produce H rows.
  const { t: cropped, pad: explicitPad } = cropForConv(backend, dyd, [[0, 0], [padTop, h + kh - 1 - padTop - dyd.shape[1]!], [padLeft, w + kw - 1 - padLeft - dyd.shape[2]!], [0, 0]]);
  if (dyd !== dy && cropped !== dyd) free(backend, dyd);

  const flipped = call('Reverse', backend, { x: filter }, { dims: [0, 1] });
  const ft = call('Transpose', backend, { x: flipped }, { perm: [0, 1, 3, 2] });
  free(backend, flipped);
  const dx = call('Conv2D', backend, { x: cropped, filter: ft }, {
    strides: [1, 1], pad: explicitPad, dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined,
  } as unknown as NamedAttrMap);
  free(backend, ft);
  if (cropped !== dy) free(backend, cropped);
  return dx;
}

/**
 * BatchMatMul with transposed operands made explicit: the stock wasm kernel is 5-10x slower with
 * transposeA/transposeB (every dense-layer gradient uses one) than a Transpose plus a plain GEMM.
 */
function batchMatMulExplicitTranspose(stockMatMul: KernelConfig, backend: WasmBackendLike, a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): TensorInfo {
  const swapLast = (t: TensorInfo): TensorInfo => {
    const r = t.shape.length;
    const perm = t.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i));
    return call('Transpose', backend, { x: t }, { perm });
  };
  const a2 = transposeA ? swapLast(a) : a;
  const b2 = transposeB ? swapLast(b) : b;
  const out = stockMatMul.kernelFunc({ inputs: { a: a2, b: b2 }, backend, attrs: { transposeA: false, transposeB: false } }) as TensorInfo;
  if (a2 !== a) free(backend, a2);
  if (b2 !== b) free(backend, b2);
  return out;
}

/**
 * Register the gradient kernels for the wasm backend (idempotent). Call after the wasm backend is
 * registered (importing @tensorflow/tfjs-backend-wasm does that).
 */
export function registerWasmGradKernels(): void {
  if (registered) return;
  registered = true;
  for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'BatchMatMul']) {
    const existing = tf.getKernel(name, BACKEND);
    if (existing) {
      stock.set(name, existing);
      tf.unregisterKernel(name, BACKEND);
    }
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as { strides: number | [number, number]; pad: Conv2DPad; dimRoundingMode?: RoundingMode; dataFormat?: string; filterShape: number[] };
      return conv2dBackpropFilterWasm(backend as WasmBackendLike, inputs.x!, inputs.dy!, a.filterShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    },
  });
  const stockMatMul = stock.get('BatchMatMul');
  if (stockMatMul) {
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: BACKEND,
      // The stock kernel binds its wasm function in setupFunc; keep running it on backend setup.
      ...(stockMatMul.setupFunc ? { setupFunc: stockMatMul.setupFunc } : {}),
      kernelFunc: ({ inputs, backend, attrs }) => {
        const a = attrs as unknown as { transposeA: boolean; transposeB: boolean };
        return batchMatMulExplicitTranspose(stockMatMul, backend as WasmBackendLike, inputs.a!, inputs.b!, a.transposeA, a.transposeB);
      },
    });
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: BACKEND,
    kernelFunc: ({ inputs, backend, attrs }) => {
      const a = attrs as unknown as { strides: number | [number, number]; pad: Conv2DPad; dimRoundingMode?: RoundingMode; dataFormat?: string; inputShape: number[] };
      return conv2dBackpropInputWasm(backend as WasmBackendLike, inputs.dy!, inputs.filter!, a.inputShape, a.strides, a.pad, a.dimRoundingMode, a.dataFormat);
    },
  });
}

/** The stock wasm kernel that registerWasmGradKernels replaced (for comparisons), if any. */
export function stockWasmKernel(name: 'Conv2DBackpropFilter' | 'Conv2DBackpropInput' | 'BatchMatMul'): KernelConfig | undefined {
  return stock.get(name);
}

/** Whether our kernels are registered. */
export function wasmGradKernelsRegistered(): boolean {
  return registered;
}
