// topk_abs / topk_abs_values (see src/kernels/abi.ts): the exact top k by magnitude, indices
// always ascending.
//
// Every path follows the mag order (scan.ts), as the reference does, so for any input it returns
// the exact top k, and x holds a NaN or Inf exactly when one of the k selected values is one: a
// caller checks k values instead of a pass over x.
//
// n >= 32768 starts from the sampling bracket (sample.ts):
//  - Small k (<= n/32): filter the candidates mag >= lo, radix-select the k-th largest mag among
//    them and write the answer (and with topk_abs_values the selected values) from the candidates
//    alone: one pass over x.
//  - Large k: select the k-th largest in the band [lo, hi), and a second SIMD pass over x writes
//    the answer.
// When the sample misjudged (too few candidates, too many to fit, the count above hi not below
// k), or n is small, the full radix select (radix.ts) runs over x instead. Every way, the output
// is every index with mag > kth plus the first `ties` with mag == kth (emit.ts).
// topk-stream.ts runs the same paths on an x copied in range by range (the candidate filter reads
// each range as it lands), through the internals exported here (index.ts exports only kernels).
import { HIST_BYTES, kthMag, kthTies, selectCandidates, selectKth } from './radix';
import {
  FAST_MIN_N, OVERFLOW, bandAbove, bracketHi, filterCandidates, sampleAtHi, sampleAtLo, sampleBracket, sampleScale, sampleSize, scanBand,
} from './sample';
import { emitAll, emitCandidates, gathered } from './emit';

/** Candidate capacity for length n (the scratch holds cap indices and cap + 16 mags). */
function topkCap(n: u32): u32 {
  const c: u32 = n <= 8192 ? n : 8192 + (n >> 2);
  return (c + 15) & ~15;
}

export function topk_scratch_bytes(n: u32): u32 {
  return HIST_BYTES + topkCap(n) * 8 + 64;
}

export function topk_abs(x: usize, n: u32, k: u32, outIdx: usize, scratch: usize): u32 {
  return topk(x, n, k, outIdx, 0, false, scratch);
}

export function topk_abs_values(x: usize, n: u32, k: u32, outIdx: usize, outVals: usize, scratch: usize): u32 {
  return topk(x, n, k, outIdx, outVals, true, scratch);
}

/** topk_abs, and with `values` the selected x[idx[j]] (their bits) to outVals. */
export function topk(x: usize, n: u32, k: u32, outIdx: usize, outVals: usize, values: bool, scratch: usize): u32 {
  if (k < 1 || k > n) return 0;
  const cap = topkCap(n);
  const hist = scratch;
  const candIdx = scratch + HIST_BYTES;
  const candBits = candIdx + (<usize>cap << 2);
  if (n >= FAST_MIN_N) {
    const lo = sampleBracket(x, n, k, candBits, hist);
    const hi = bracketHi;
    if (smallKFilter(lo, n, k)) {
      // Small k: gather the ~k candidates mag >= lo (one pass over x) and answer from them.
      const c = filterCandidates(x, n, lo, candIdx, candBits, cap, 0, fewCandidates());
      if (c != OVERFLOW && c >= k) return answerFromCandidates(n, k, lo, c, outIdx, outVals, values, scratch);
    } else if (lo > 0 && hi > 0) {
      // Large k: count mag >= hi and keep the band [lo, hi) (one pass), select in the band, then
      // write the answer in a second pass over x. Both candidate areas hold the band.
      const bandCap = cap << 1;
      if (<f64>(sampleAtLo - sampleAtHi) * sampleScale * 1.25 <= <f64>bandCap) {
        const b = scanBand(x, n, lo, hi, candIdx, bandCap, hist);
        if (b != OVERFLOW && bandAbove < k && k - bandAbove <= b) {
          selectCandidates(candIdx, b, k - bandAbove, lo, hist, candIdx + (<usize>b << 2), bandCap + 12 - b);
          return gathered(x, emitAll(x, n, kthMag, kthTies, outIdx, k, hist), outIdx, outVals, values);
        }
      }
    }
  }
  return fullTopk(x, n, k, outIdx, outVals, values, scratch);
}

/**
 * After sampleBracket gave lo: the small-k candidate filter runs (a lo and no hi, and the expected
 * candidates and k fit the candidate area). topk and the stream decide by this one rule.
 */
function smallKFilter(lo: u32, n: u32, k: u32): bool {
  const cap = topkCap(n);
  return lo > 0 && bracketHi == 0 && k <= cap - (cap >>> 2) && <f64>sampleAtLo * sampleScale * 1.25 <= <f64>cap;
}

/**
 * After sampleBracket: fewer than one candidate per 64 floats expected, so the filter's blocks
 * rarely hold more than two (filterCandidates writes two without branching, not four).
 */
export function fewCandidates(): bool {
  return <u64>sampleAtLo * 64 < <u64>sampleSize;
}

/**
 * The small-k sample of x for (n, k): the candidate threshold lo when the candidate filter is to
 * run (mag >= lo, into the candidate area of scratch), else 0. Reads only the sampled chunks.
 */
export function candidateThreshold(x: usize, n: u32, k: u32, scratch: usize): u32 {
  if (k < 1 || k > n || n < FAST_MIN_N) return 0;
  const candBits = scratch + HIST_BYTES + (<usize>topkCap(n) << 2);
  const lo = sampleBracket(x, n, k, candBits, scratch);
  return smallKFilter(lo, n, k) ? lo : 0;
}

/**
 * Appends the candidates mag >= lo of x[start, end) to the c already in scratch's candidate area
 * (indices, ascending, from start); returns the new count, or OVERFLOW when they might not fit
 * (the same limit as one filter over all of x, so both take the same path).
 */
export function appendCandidates(x: usize, n: u32, start: u32, end: u32, lo: u32, few: bool, c: u32, scratch: usize): u32 {
  const cap = topkCap(n);
  if (c > cap - 64) return OVERFLOW;
  const candIdx = scratch + HIST_BYTES + (<usize>c << 2);
  const candBits = scratch + HIST_BYTES + (<usize>(cap + c) << 2);
  const h = filterCandidates(x + (<usize>start << 2), end - start, lo, candIdx, candBits, cap - c, start, few);
  return h == OVERFLOW ? OVERFLOW : c + h;
}

/**
 * The answer from the c candidates mag >= lo in scratch (c >= k): the top k of x are all among
 * them. The area past the c candidates' bits (cap + 16 - c slots) takes the compacted bucket.
 */
export function answerFromCandidates(n: u32, k: u32, lo: u32, c: u32, outIdx: usize, outVals: usize, values: bool, scratch: usize): u32 {
  const cap = topkCap(n);
  const candIdx = scratch + HIST_BYTES;
  const candBits = candIdx + (<usize>cap << 2);
  selectCandidates(candBits, c, k, lo, scratch, candBits + (<usize>c << 2), cap + 12 - c);
  return emitCandidates(candBits, candIdx, c, kthMag, kthTies, outIdx, outVals, values, k);
}

/** The full radix select over x, then one pass writing the answer. */
export function fullTopk(x: usize, n: u32, k: u32, outIdx: usize, outVals: usize, values: bool, scratch: usize): u32 {
  const cap = topkCap(n);
  selectKth(x, n, k, scratch, scratch + HIST_BYTES + (<usize>cap << 2), cap);
  return gathered(x, emitAll(x, n, kthMag, kthTies, outIdx, k, scratch), outIdx, outVals, values);
}
