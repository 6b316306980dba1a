// topk_abs_values on an input that arrives in pieces (see src/kernels/abi.ts): the caller copies x
// into kernel memory chunk by chunk and the candidate filter of topk_abs's small-k path reads
// each chunk right after its copy, while it is still in cache, so x crosses the memory bus once
// (the copy) instead of twice (copy, then filter). The answer is always exactly topk_abs_values's:
//  1. topk_stream_plan: the 32-float chunks the sample reads; the caller copies those first.
//  2. topk_stream_begin: samples them; decides whether the candidate filter runs.
//  3. topk_stream_filter per copied range, in order: appends the range's candidates.
//  4. topk_stream_finish (all of x in place): the answer from the candidates, or when the sample
//     misjudged (too few candidates, too many to fit, a range skipped) or the filter did not run,
//     topk_abs_values's own paths over x.
// The state between the calls lives in module globals: one instance runs one stream at a time.
import { OVERFLOW, sampleChunk, sampleChunks } from './select/sample';
import { answerFromCandidates, appendCandidates, candidateThreshold, fewCandidates, fullTopk, topk } from './select/topk';

/** Candidate threshold of the running stream; 0: no candidate filter (finish runs topk_abs_values). */
let streamLo: u32 = 0;
/** The filter's block mode for the expected candidate density (see filterCandidates). */
let streamFew: bool = false;
/** Candidates so far, or OVERFLOW once they might not fit. */
let streamCount: u32 = 0;
/** The index the next filtered range must start at (ranges out of order: the candidates are void). */
let streamNext: u32 = 0;

export function topk_stream_plan(n: u32, k: u32, scratch: usize): u32 {
  streamLo = 0;
  streamCount = 0;
  streamNext = 0;
  if (k < 1 || k > n) return 0;
  const m = sampleChunks(n, k);
  if (m == 0) return 0;
  const stride = (n >>> 5) / m;
  for (let j: u32 = 0; j < m; j++) store<u32>(scratch + (<usize>j << 2), sampleChunk(j, stride));
  return m;
}

export function topk_stream_begin(x: usize, n: u32, k: u32, scratch: usize): u32 {
  streamCount = 0;
  streamNext = 0;
  streamLo = candidateThreshold(x, n, k, scratch);
  streamFew = streamLo != 0 && fewCandidates();
  return <u32>(streamLo != 0);
}

export function topk_stream_filter(x: usize, n: u32, start: u32, end: u32, scratch: usize): void {
  if (streamLo == 0 || streamCount == OVERFLOW) return;
  if (start != streamNext || end < start || end > n) {
    streamCount = OVERFLOW;
    return;
  }
  if (end > start) streamCount = appendCandidates(x, n, start, end, streamLo, streamFew, streamCount, scratch);
  streamNext = end;
}

export function topk_stream_finish(x: usize, n: u32, k: u32, outIdx: usize, outVals: usize, scratch: usize): u32 {
  const lo = streamLo;
  const c = streamCount;
  const covered = streamNext == n;
  streamLo = 0;
  streamCount = 0;
  streamNext = 0;
  if (k < 1 || k > n) return 0;
  if (lo == 0) return topk(x, n, k, outIdx, outVals, true, scratch);
  if (c != OVERFLOW && covered && c >= k) return answerFromCandidates(n, k, lo, c, outIdx, outVals, true, scratch);
  return fullTopk(x, n, k, outIdx, outVals, true, scratch);
}
