// select kernels (see src/kernels/abi.ts): selection by magnitude, indices always ascending.
//
// Magnitudes are compared as u32 float bits with the sign cleared ("mag"): for non-NaN floats that
// is exactly the order of |x| (-0 == +0, subnormals ordered), and NaN ranks above +Inf. Every
// path of topk_abs follows that order (as the reference does), so for any input it returns the
// exact top k, and x holds a NaN or Inf exactly when one of the k selected values is one: a
// caller checks k values instead of a pass over x.
//
// topk_abs (n >= 32768) starts from a stratified sample of 32-float chunks, which gives
// thresholds lo and hi with about k + margin and k - margin elements above (margin: 4 sigma of
// the sample count, plus 4).
//  - Small k (<= n/32): SIMD-filter the candidates mag >= lo into scratch (index + raw bits,
//    ascending), radix-select the k-th largest mag among them and write the answer (and with
//    topk_abs_values the selected values) from the candidates alone: one pass over x.
//  - Large k: one pass counts mag >= hi and keeps the mags in the band [lo, hi); the k-th largest
//    is selected in the band, and a second SIMD pass over x writes the answer.
// When the sample misjudged (too few candidates, too many to fit, the count above hi not below
// k), or n is small, a full radix select runs over x instead (digits of 11/10/10 bits; the
// current bucket is compacted into scratch as soon as it fits).
// Every way the output is: every index with mag > kth, plus the first `ties` with mag == kth.
// topk-stream.ts runs the same paths on an x copied in range by range (the candidate filter reads
// each range as it lands), through the internals exported here (index.ts exports only kernels).
//
// The topk candidate filter takes a 64-bit hit mask per 64 floats and writes its first four hits
// (two when under one per block is expected) without branching (filterCandidates). The other scans (topk output from x, the band,
// threshold_abs) go in chunks of 4096 elements: a SIMD compare gives an 8-lane mask, a 256-entry
// shuffle table left-packs the u16 offsets of the hits, and the chunk's offsets are then widened
// to indices. Sparse chunks skip all-miss 16-blocks with one branch; after a dense chunk (> 0.5%
// hits) the next packs every 8-block without branching, since a hit-or-miss branch taken ~10% of
// the time or more costs more than the packing.
import { rng_u32 } from './random';

const MAG_MASK: u32 = 0x7fffffff;
const BUCKETS1: u32 = 2048; // digit 1: mag bits 30..20
const BUCKETS2: u32 = 1024; // digits 2 and 3: bits 19..10, 9..0
/** Four interleaved histograms of 2048 u32 (repeated buckets do not serialize on one counter). */
const HIST_BYTES: u32 = 4 * BUCKETS1 * 4;
/** Histograms of fewer values use one table (clearing and merging four would cost more). */
const SMALL_HIST: u32 = 8192;
/** Below this n the full radix select over x is as cheap as sampling. */
const FAST_MIN_N: u32 = 1 << 15;
/** Target expected count of sample values above the k-th largest. */
const SAMPLE_HITS: f64 = 32;
/** 16 Ki to 64 Ki sampled values (tiny k needs no more: the margin then dominates). */
const MIN_SAMPLE_CHUNKS: u32 = 512;
const MAX_SAMPLE_CHUNKS: u32 = 2048;
/** Filter chunk (elements; offsets fit u16) and the hit density (1 / DENSE_RATIO) for branchless packing. */
const CHUNK: u32 = 4096;
const DENSE_RATIO: u32 = 200;
export const OVERFLOW: u32 = 0xffffffff;

/**
 * Left-packing shuffles for 8 u16 lanes: row m (16 bytes) moves the lanes whose bit is set in m
 * to the front. Static data in the module's reserved low memory (identical on every instantiation).
 */
const PACK16_LUT: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 0, 0, 0, 0, 0,
  10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0,
  6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 0, 0, 0, 0, 0, 0,
  8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0,
  6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 0, 0, 0, 0,
  10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0,
  6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 0, 0,
  14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 14, 15, 0, 0, 0, 0, 0, 0,
  8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0,
  6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 14, 15, 0, 0, 0, 0,
  10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0,
  6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 15, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0,
  6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 0, 0,
  10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  2, 3, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  4, 5, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 10, 11, 12, 13, 14, 15, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0,
  6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0,
  0, 1, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0,
  2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);

/** Stores the u16 lanes of v selected by the 8-bit mask m, packed, at dst (writes 16 bytes); returns popcnt(m). */
// @ts-ignore: decorator
@inline function pack16(v: v128, m: u32, dst: usize): u32 {
  v128.store(dst, i8x16.swizzle(v, v128.load(PACK16_LUT + (<usize>m << 4))));
  return popcnt(m);
}

/**
 * Lane mask of |x| >= lambda (tv = splat(lambda)): NaN never passes. The selection scans want
 * mag >= t, where NaN passes (it ranks above +Inf): they test |x| < lambda (lambda: the float with
 * bits t, t <= +Inf bits) and invert the packed mask, which costs nothing, where an integer
 * compare on the masked bits runs about 1.5x slower in V8.
 */
// @ts-ignore: decorator
@inline function hits4(v: v128, tv: v128): v128 {
  return f32x4.ge(f32x4.abs(v), tv);
}

/** Blocks whose |x| bits are all <= this cannot hold |x| >= lambda (tv = splat(lambda)). */
// @ts-ignore: decorator
@inline function skipBits(tv: v128): i32 {
  const l = f32x4.extract_lane(tv, 0);
  return l > 0 ? reinterpret<i32>(l) - 1 : -1;
}

/**
 * Writes the u16 offsets (from start) of the hits |x| >= lambda (tv = splat(lambda)) in x[start, end) to buf, ascending; returns
 * their count. end - start is a multiple of 16 and at most CHUNK; buf has room for count + 8.
 * With `mags` the hits are mag >= t for lambda the float with bits t <= +Inf bits (NaN included).
 */
// @ts-ignore: decorator
@inline function scanChunk(x: usize, start: u32, end: u32, tv: v128, dense: bool, buf: usize, mags: bool): u32 {
  let h: u32 = 0;
  const iota = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
  // mags: the hits are the lanes NOT below lambda (mag >= t, NaN included).
  const flip: u32 = mags ? 0xff : 0;
  if (dense) {
    let ov = iota;
    const eight = i16x8.splat(8);
    for (let i = start; i < end; i += 8) {
      const p = x + (<usize>i << 2);
      const g = mags
        ? i16x8.narrow_i32x4_s(f32x4.lt(f32x4.abs(v128.load(p)), tv), f32x4.lt(f32x4.abs(v128.load(p, 16)), tv))
        : i16x8.narrow_i32x4_s(hits4(v128.load(p), tv), hits4(v128.load(p, 16), tv));
      h += pack16(ov, <u32>i16x8.bitmask(g) ^ flip, buf + (<usize>h << 1));
      ov = i16x8.add(ov, eight);
    }
  } else {
    // Skip test on the integer max of the four |x| bit patterns (a superset of the hits, NaN
    // included): three pmaxsd and one compare instead of four compares and three ors.
    const skip = i32x4.splat(skipBits(tv));
    for (let i = start; i < end; i += 16) {
      const p = x + (<usize>i << 2);
      const a0 = f32x4.abs(v128.load(p));
      const a1 = f32x4.abs(v128.load(p, 16));
      const a2 = f32x4.abs(v128.load(p, 32));
      const a3 = f32x4.abs(v128.load(p, 48));
      if (!v128.any_true(i32x4.gt_s(i32x4.max_s(i32x4.max_s(a0, a1), i32x4.max_s(a2, a3)), skip))) continue;
      const g0 = mags ? f32x4.lt(a0, tv) : f32x4.ge(a0, tv);
      const g1 = mags ? f32x4.lt(a1, tv) : f32x4.ge(a1, tv);
      const g2 = mags ? f32x4.lt(a2, tv) : f32x4.ge(a2, tv);
      const g3 = mags ? f32x4.lt(a3, tv) : f32x4.ge(a3, tv);
      const ov = i16x8.add(i16x8.splat(<i16>(i - start)), iota);
      h += pack16(ov, <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(g0, g1)) ^ flip, buf + (<usize>h << 1));
      h += pack16(i16x8.add(ov, i16x8.splat(8)), <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(g2, g3)) ^ flip, buf + (<usize>h << 1));
    }
  }
  return h;
}

/** Candidate capacity for length n (the scratch holds cap indices and cap + 16 mags). */
function topkCap(n: u32): u32 {
  const c: u32 = n <= 8192 ? n : 8192 + (n >> 2);
  return (c + 15) & ~15;
}

export function topk_scratch_bytes(n: u32): u32 {
  return HIST_BYTES + topkCap(n) * 8 + 64;
}

// Results of findDigit (module globals: one instance runs one kernel at a time).
let foundDigit: u32 = 0;
let foundRank: u32 = 0;
let foundAbove: u32 = 0;

/** Walks hist from the top bucket down to the one holding the rank-th largest (1-based). */
function findDigit(hist: usize, buckets: u32, rank: u32): void {
  let above: u32 = 0;
  let d = buckets;
  while (d > 0) {
    d--;
    const h = load<u32>(hist + (<usize>d << 2));
    if (above + h >= rank) break;
    above += h;
  }
  foundDigit = d;
  foundRank = rank - above;
  foundAbove = above;
}

/**
 * hist[(mag >>> shift) & digitMask] += 1 for every value of a[0..len) with mag >>> pshift == prefix
 * (pshift = 31 selects all). Long inputs use four sub-histograms at hist + j * 8 KiB, summed into
 * the first.
 */
function histogram(a: usize, len: u32, shift: u32, digitMask: u32, pshift: u32, prefix: u32, hist: usize, buckets: u32): void {
  const bytes = <usize>buckets << 2;
  memory.fill(hist, 0, bytes);
  let i: u32 = 0;
  if (len >= SMALL_HIST) {
    const h1 = hist + BUCKETS1 * 4;
    const h2 = h1 + BUCKETS1 * 4;
    const h3 = h2 + BUCKETS1 * 4;
    memory.fill(h1, 0, bytes);
    memory.fill(h2, 0, bytes);
    memory.fill(h3, 0, bytes);
    for (; i + 4 <= len; i += 4) {
      const p = a + (<usize>i << 2);
      const m0 = load<u32>(p) & MAG_MASK;
      const m1 = load<u32>(p, 4) & MAG_MASK;
      const m2 = load<u32>(p, 8) & MAG_MASK;
      const m3 = load<u32>(p, 12) & MAG_MASK;
      const q0 = hist + (<usize>((m0 >>> shift) & digitMask) << 2);
      const q1 = h1 + (<usize>((m1 >>> shift) & digitMask) << 2);
      const q2 = h2 + (<usize>((m2 >>> shift) & digitMask) << 2);
      const q3 = h3 + (<usize>((m3 >>> shift) & digitMask) << 2);
      store<u32>(q0, load<u32>(q0) + <u32>(m0 >>> pshift == prefix));
      store<u32>(q1, load<u32>(q1) + <u32>(m1 >>> pshift == prefix));
      store<u32>(q2, load<u32>(q2) + <u32>(m2 >>> pshift == prefix));
      store<u32>(q3, load<u32>(q3) + <u32>(m3 >>> pshift == prefix));
    }
    for (let d: u32 = 0; d < buckets; d++) {
      const o = <usize>d << 2;
      store<u32>(hist + o, load<u32>(hist + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
    }
  }
  for (; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    const q = hist + (<usize>((m >>> shift) & digitMask) << 2);
    store<u32>(q, load<u32>(q) + <u32>(m >>> pshift == prefix));
  }
}

/** Left-packing shuffles for 4 u32 lanes: row m (16 bytes) moves the lanes whose bit is set in m to the front. */
const PACK32_LUT: usize = memory.data<u8>([
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 0, 0, 0, 0, 0, 0, 0, 0,
  8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 0, 0, 0,
  12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 0, 0, 0, 0,
  8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 0, 0, 0, 0,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);

/** Copies the mags of a[0..len) with mag >>> pshift == prefix to out; out needs count + 4 slots. */
function collect(a: usize, len: u32, pshift: u32, prefix: u32, out: usize): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    // Four at a time, left-packed by the shuffle table (the 16-byte store may pass count by 3).
    const magMask = i32x4.splat(MAG_MASK);
    const pv = i32x4.splat(prefix);
    for (; i + 4 <= len; i += 4) {
      const m = v128.and(v128.load(a + (<usize>i << 2)), magMask);
      const take = <u32>i32x4.bitmask(i32x4.eq(i32x4.shr_u(m, pshift), pv));
      v128.store(out + (<usize>c << 2), i8x16.swizzle(m, v128.load(PACK32_LUT + (<usize>take << 4))));
      c += popcnt(take);
    }
  }
  for (; i < len; i++) {
    const m = load<u32>(a + (<usize>i << 2)) & MAG_MASK;
    store<u32>(out + (<usize>c << 2), m);
    c += <u32>(m >>> pshift == prefix);
  }
  return c;
}

// Result of selectKth.
let kthMag: u32 = 0;
let kthTies: u32 = 0;

/**
 * Finds the rank-th largest mag of a[0..len) (values masked to mags) and how many values equal
 * to it belong to the top `rank` (1 <= rank <= len). buf (room for bufCap + 4 mags, not
 * overlapping a) takes a compacted copy of the current bucket once one fits.
 */
function selectKth(a: usize, len: u32, rank: u32, hist: usize, buf: usize, bufCap: u32): void {
  histogram(a, len, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rank);
  let prefix = foundDigit; // value of mag >>> pshift shared by the current bucket
  let pshift: u32 = 20;
  let r = foundRank;
  let count = load<u32>(hist + (<usize>foundDigit << 2));
  let src = a;
  let srcLen = len;
  // Digits 2 and 3 (10 bits each).
  for (let level = 0; level < 2; level++) {
    if (src == a && count <= bufCap && count < srcLen) {
      srcLen = collect(src, srcLen, pshift, prefix, buf);
      src = buf;
    }
    const shift = pshift - 10;
    histogram(src, srcLen, shift, 0x3ff, pshift, prefix, hist, BUCKETS2);
    findDigit(hist, BUCKETS2, r);
    r = foundRank;
    count = load<u32>(hist + (<usize>foundDigit << 2));
    prefix = (prefix << 10) | foundDigit;
    pshift = shift;
  }
  kthMag = prefix;
  kthTies = r; // the top `rank` take r of the `count` values equal to kth
}


/**
 * Writes idx[i] (and bits[i] to outVals when `values`) for the candidates i (ascending) with
 * mag > kth, plus the first `ties` with mag == kth, until k are written. Returns the count written.
 * SIMD: four candidates at a time, left-packed by a 16-entry shuffle table (the stores stay inside
 * out while c + 4 <= k); a block with a candidate equal to kth takes only as many as ties allow.
 */
function emitCandidates(bits: usize, idx: usize, len: u32, kth: u32, ties: u32, out: usize, outVals: usize, values: bool, k: u32): u32 {
  let c: u32 = 0;
  let t = ties;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const kv = i32x4.splat(kth);
    const magMask = i32x4.splat(MAG_MASK);
    for (; i + 4 <= len && c + 4 <= k; i += 4) {
      const b = v128.load(bits + (<usize>i << 2));
      const m = v128.and(b, magMask);
      let take = <u32>i32x4.bitmask(i32x4.gt_s(m, kv)); // mags are < 2^31: signed order is theirs
      let eq = <u32>i32x4.bitmask(i32x4.eq(m, kv));
      if (eq) {
        // The lowest `t` equal lanes (ascending index) are the ties still wanted.
        while (popcnt(eq) > t) eq &= ~(<u32>1 << (31 - clz(eq)));
        t -= popcnt(eq);
        take |= eq;
      }
      const shuffle = v128.load(PACK32_LUT + (<usize>take << 4));
      v128.store(out + (<usize>c << 2), i8x16.swizzle(v128.load(idx + (<usize>i << 2)), shuffle));
      if (values) v128.store(outVals + (<usize>c << 2), i8x16.swizzle(b, shuffle));
      c += popcnt(take);
    }
  }
  for (; i < len && c < k; i++) {
    const b = load<u32>(bits + (<usize>i << 2));
    const m = b & MAG_MASK;
    if (m > kth || (m == kth && t > 0)) {
      store<u32>(out + (<usize>c << 2), load<u32>(idx + (<usize>i << 2)));
      if (values) store<u32>(outVals + (<usize>c << 2), b);
      c++;
      if (m == kth) t--;
    }
  }
  return c;
}

/**
 * Writes the ascending indices of x with mag > kth, plus the first `ties` with mag == kth, never
 * more than k (out has room for k). SIMD: chunks scanned like threshold_abs with the test
 * |x| >= f32(kth) while the chunk's ties all fit, else |x| >= f32(kth + 1) (mag > kth), or
 * element by element in the chunk where the ties run out; offsets staged in offs (CHUNK + 8 u16).
 * Returns the count written (k).
 */
function emitAll(x: usize, n: u32, kth: u32, ties: u32, out: usize, k: u32, offs: usize): u32 {
  let c: u32 = 0;
  let tiesLeft = ties;
  let i: u32 = 0;
  // (kth >= +Inf bits, possible only for Inf or NaN input, takes the exact element loop: the
  // float threshold for mag > kth would be NaN.)
  if (ASC_FEATURE_SIMD && kth < 0x7f800000) {
    const gev = f32x4.splat(reinterpret<f32>(kth));
    const gtv = f32x4.splat(reinterpret<f32>(kth + 1));
    const end16 = n & ~15;
    let dense = false;
    while (i < end16 && c < k) {
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      let tv = gtv;
      if (tiesLeft > 0) {
        let eqv = i32x4.splat(0);
        for (let j = i; j < end; j += 4) eqv = i32x4.sub(eqv, f32x4.eq(f32x4.abs(v128.load(x + (<usize>j << 2))), gev));
        const eq = <u32>(i32x4.extract_lane(eqv, 0) + i32x4.extract_lane(eqv, 1) + i32x4.extract_lane(eqv, 2) + i32x4.extract_lane(eqv, 3));
        if (eq <= tiesLeft) {
          tiesLeft -= eq;
          tv = gev;
        } else {
          // The ties run out inside this chunk: element by element.
          for (; i < end && c < k; i++) {
            const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
            if (m > kth || (m == kth && tiesLeft > 0)) {
              tiesLeft -= <u32>(m == kth);
              store<u32>(out + (<usize>c << 2), i);
              c++;
            }
          }
          continue;
        }
      }
      let h = dense ? scanChunk(x, i, end, tv, true, offs, true) : scanChunk(x, i, end, tv, false, offs, true);
      if (h > k - c) h = k - c;
      dense = h * DENSE_RATIO > end - i;
      // Widen the u16 offsets into out[c, c + h).
      const dst = out + (<usize>c << 2);
      const base = i32x4.splat(i);
      let j: u32 = 0;
      for (; j + 8 <= h; j += 8) {
        const o = v128.load(offs + (<usize>j << 1));
        v128.store(dst + (<usize>j << 2), i32x4.add(base, i32x4.extend_low_i16x8_u(o)));
        v128.store(dst + (<usize>j << 2), i32x4.add(base, i32x4.extend_high_i16x8_u(o)), 16);
      }
      for (; j < h; j++) store<u32>(dst + (<usize>j << 2), i + <u32>load<u16>(offs + (<usize>j << 1)));
      c += h;
      i = end;
    }
  }
  for (; i < n && c < k; i++) {
    const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
    if (m > kth || (m == kth && tiesLeft > 0)) {
      tiesLeft -= <u32>(m == kth);
      store<u32>(out + (<usize>c << 2), i);
      c++;
    }
  }
  return c;
}

// Results of sampleBracket.
let bracketHi: u32 = 0;
let sampleScale: f64 = 0;
let sampleAtLo: u32 = 0;
let sampleAtHi: u32 = 0;
let sampleSize: u32 = 0;

/** The 21-bit bucket (low edge) of the rank-th largest of the s sample mags in buf; sampleAt = sample count >= it. */
let sampleAt: u32 = 0;
function sampleBucket(buf: usize, s: u32, d1: u32, r1: u32, above1: u32, hist: usize): u32 {
  histogram(buf, s, 10, 0x3ff, 20, d1, hist, BUCKETS2);
  findDigit(hist, BUCKETS2, r1);
  sampleAt = above1 + foundAbove + load<u32>(hist + (<usize>foundDigit << 2));
  return (d1 << 20) | (foundDigit << 10);
}

/** Count of 32-float chunks sampleBracket reads for (n, k); 0 when it samples nothing (then: full select). */
export function sampleChunks(n: u32, k: u32): u32 {
  if (n < FAST_MIN_N) return 0;
  const chunks = n >>> 5;
  let want = <u32>Math.ceil(SAMPLE_HITS * <f64>n / (32.0 * <f64>k));
  if (want < MIN_SAMPLE_CHUNKS) want = MIN_SAMPLE_CHUNKS;
  if (want > MAX_SAMPLE_CHUNKS) want = MAX_SAMPLE_CHUNKS;
  if (want > (chunks >>> 3)) want = chunks >>> 3;
  return want < 16 ? 0 : want;
}

/**
 * The j-th sampled chunk (floats 32c .. 32c + 31), stride = (n >>> 5) / sampleChunks: chunk j
 * comes from stratum [j * stride, (j + 1) * stride) at a fixed pseudo-random offset (two adjacent
 * cache lines: the second is nearly free). Ascending in j.
 */
// @ts-ignore: decorator
@inline export function sampleChunk(j: u32, stride: u32): u32 {
  return j * stride + <u32>((<u64>rng_u32(0x5eed, j) * <u64>stride) >>> 32);
}

/**
 * Thresholds (mag bits, low 10 bits 0) estimated from a stratified sample of 32-float chunks:
 * returns lo, with about k plus a safety margin (4 sigma + 4 sample hits) of x at mag >= lo, and
 * sets bracketHi, with about k minus the margin at mag >= bracketHi (0 when k <= n/32 or too
 * small for one). Returns 0 when sampling cannot help (then: full select). sampleAtLo / sampleAtHi are
 * the sample counts >= lo / hi; sampleScale = n / sample size.
 */
function sampleBracket(x: usize, n: u32, k: u32, buf: usize, hist: usize): u32 {
  bracketHi = 0;
  const want = sampleChunks(n, k);
  if (want == 0) return 0;
  const stride = (n >>> 5) / want;
  for (let j: u32 = 0; j < want; j++) {
    const src = x + ((<usize>sampleChunk(j, stride)) << 7);
    const dst = buf + (<usize>j << 7);
    if (ASC_FEATURE_SIMD) {
      for (let b: usize = 0; b < 128; b += 32) {
        v128.store(dst + b, v128.load(src + b));
        v128.store(dst + b, v128.load(src + b, 16), 16);
      }
    } else {
      for (let b: usize = 0; b < 128; b += 8) store<u64>(dst + b, load<u64>(src + b));
    }
  }
  const s = want << 5;
  sampleSize = s;
  sampleScale = <f64>n / <f64>s;
  const expected = <f64>s * <f64>k / <f64>n;
  const margin = 4.0 * Math.sqrt(expected) + 4.0;
  const rankLo = <u32>Math.ceil(expected + margin);
  if (rankLo >= s) return 0;
  // (hi only serves the large-k path.)
  const rankHi = k > (n >>> 5) && expected - margin >= 1.0 ? <u32>Math.floor(expected - margin) : 0;
  histogram(buf, s, 20, 0x7ff, 31, 0, hist, BUCKETS1);
  findDigit(hist, BUCKETS1, rankLo);
  const d1Lo = foundDigit, r1Lo = foundRank, aboveLo = foundAbove;
  let d1Hi: u32 = 0, r1Hi: u32 = 0, aboveHi: u32 = 0;
  if (rankHi > 0) {
    findDigit(hist, BUCKETS1, rankHi);
    d1Hi = foundDigit;
    r1Hi = foundRank;
    aboveHi = foundAbove;
  }
  const lo = sampleBucket(buf, s, d1Lo, r1Lo, aboveLo, hist);
  sampleAtLo = sampleAt;
  if (rankHi > 0) {
    const hi = sampleBucket(buf, s, d1Hi, r1Hi, aboveHi, hist);
    sampleAtHi = sampleAt;
    if (hi > lo) bracketHi = hi;
  }
  return lo;
}

// Result of scanBand: the count of mag >= hi.
let bandAbove: u32 = 0;

/**
 * One pass over x: counts mag >= hi into bandAbove and stores the mags in [lo, hi) to mags
 * (order irrelevant; room for cap), returning their count or OVERFLOW. Float compares |x| < hi
 * and |x| < lo (lo, hi: low 10 bits 0): NaN is below neither, so it counts above hi. offs: CHUNK + 8 u16. Chunks as
 * in threshold_abs (sparse: skip 16-blocks without band hits; dense: pack every 8-block).
 */
function scanBand(x: usize, n: u32, lo: u32, hi: u32, mags: usize, cap: u32, offs: usize): u32 {
  let c: u32 = 0;
  let above: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lov = f32x4.splat(reinterpret<f32>(lo));
    const hiv = f32x4.splat(reinterpret<f32>(hi));
    const iota = i16x8(0, 1, 2, 3, 4, 5, 6, 7);
    const end16 = n & ~15;
    let below = i32x4.splat(0); // lanes with |x| < hi (float compares: NaN is not below)
    let dense = false;
    while (i < end16) {
      const start = i;
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      let h: u32 = 0;
      if (dense) {
        let ov = iota;
        for (; i < end; i += 8) {
          const p = x + (<usize>i << 2);
          const a0 = f32x4.abs(v128.load(p));
          const a1 = f32x4.abs(v128.load(p, 16));
          const l0 = f32x4.lt(a0, hiv), l1 = f32x4.lt(a1, hiv);
          below = i32x4.sub(i32x4.sub(below, l0), l1);
          const g = i16x8.narrow_i32x4_s(v128.andnot(l0, f32x4.lt(a0, lov)), v128.andnot(l1, f32x4.lt(a1, lov)));
          h += pack16(ov, <u32>i16x8.bitmask(g), offs + (<usize>h << 1));
          ov = i16x8.add(ov, i16x8.splat(8));
        }
      }
      for (; i < end; i += 16) {
        const p = x + (<usize>i << 2);
        const a0 = f32x4.abs(v128.load(p));
        const a1 = f32x4.abs(v128.load(p, 16));
        const a2 = f32x4.abs(v128.load(p, 32));
        const a3 = f32x4.abs(v128.load(p, 48));
        const l0 = f32x4.lt(a0, hiv), l1 = f32x4.lt(a1, hiv), l2 = f32x4.lt(a2, hiv), l3 = f32x4.lt(a3, hiv);
        below = i32x4.sub(i32x4.sub(i32x4.sub(i32x4.sub(below, l0), l1), l2), l3);
        const b0 = v128.andnot(l0, f32x4.lt(a0, lov));
        const b1 = v128.andnot(l1, f32x4.lt(a1, lov));
        const b2 = v128.andnot(l2, f32x4.lt(a2, lov));
        const b3 = v128.andnot(l3, f32x4.lt(a3, lov));
        if (!v128.any_true(v128.or(v128.or(b0, b1), v128.or(b2, b3)))) continue;
        const ov = i16x8.add(i16x8.splat(<i16>(i - start)), iota);
        h += pack16(ov, <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(b0, b1)), offs + (<usize>h << 1));
        h += pack16(i16x8.add(ov, i16x8.splat(8)), <u32>i16x8.bitmask(i16x8.narrow_i32x4_s(b2, b3)), offs + (<usize>h << 1));
      }
      if (h > cap - c) return OVERFLOW;
      for (let j: u32 = 0; j < h; j++) {
        const idx = start + <u32>load<u16>(offs + (<usize>j << 1));
        store<u32>(mags + (<usize>(c + j) << 2), load<u32>(x + (<usize>idx << 2)) & MAG_MASK);
      }
      c += h;
      dense = h * DENSE_RATIO > end - start;
    }
    above = end16 - <u32>(i32x4.extract_lane(below, 0) + i32x4.extract_lane(below, 1) + i32x4.extract_lane(below, 2) + i32x4.extract_lane(below, 3));
  }
  for (; i < n; i++) {
    const m = load<u32>(x + (<usize>i << 2)) & MAG_MASK;
    if (m >= hi) above++;
    else if (m >= lo) {
      if (c >= cap) return OVERFLOW;
      store<u32>(mags + (<usize>c << 2), m);
      c++;
    }
  }
  bandAbove = above;
  return c;
}

/** Of the 16 floats at p: bit j set when |x[j]| < lambda (tv = splat(lambda); NaN is never below). */
// @ts-ignore: decorator
@inline function below16(p: usize, tv: v128): u32 {
  const l0 = f32x4.lt(f32x4.abs(v128.load(p)), tv);
  const l1 = f32x4.lt(f32x4.abs(v128.load(p, 16)), tv);
  const l2 = f32x4.lt(f32x4.abs(v128.load(p, 32)), tv);
  const l3 = f32x4.lt(f32x4.abs(v128.load(p, 48)), tv);
  return <u32>i8x16.bitmask(i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(l0, l1), i16x8.narrow_i32x4_s(l2, l3)));
}

/**
 * Candidates mag >= t (t >= 1, low 10 bits 0; NaN included) of x into candIdx (base + their indices,
 * ascending) and candBits (the raw f32 bits, sign included). Returns the count, or OVERFLOW when they might
 * not fit in cap (then nothing is promised about the buffers).
 * SIMD: a 64-bit hit mask per 64 floats (16 compares, 3 narrows, 4 bitmasks), then its first four
 * hits (two when `few`: under one hit per block expected) are written without branching (a block
 * has at most that many ~95% of the time at the densities this path runs at) and a loop takes any
 * further ones: no per-block hit-or-miss branch, whose mispredictions cost more than the scan.
 */
export function filterCandidates(x: usize, n: u32, t: u32, candIdx: usize, candBits: usize, cap: u32, base: u32, few: bool): u32 {
  return few ? filterWith(x, n, t, candIdx, candBits, cap, base, 2) : filterWith(x, n, t, candIdx, candBits, cap, base, 4);
}

/** filterCandidates writing the first `writes` (2 or 4) hits of a block without branching. */
// @ts-ignore: decorator
@inline function filterWith(x: usize, n: u32, t: u32, candIdx: usize, candBits: usize, cap: u32, base: u32, writes: u32): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const tv = f32x4.splat(reinterpret<f32>(t));
    const end64 = n & ~63;
    const top: u64 = <u64>1 << 63;
    // A block writes max(writes, hits) <= 64 slots from c.
    const last = cap >= 64 ? cap - 64 : 0;
    for (; i < end64; i += 64) {
      if (c > last) return OVERFLOW;
      const p = x + (<usize>i << 2);
      const lo = below16(p, tv) | (below16(p + 64, tv) << 16);
      const hi = below16(p + 128, tv) | (below16(p + 192, tv) << 16);
      let m: u64 = ~((<u64>hi << 32) | <u64>lo);
      const hits = <u32>popcnt(m);
      const pi = candIdx + (<usize>c << 2), pb = candBits + (<usize>c << 2);
      const bi = base + i;
      // Slots past the hits get junk that the next block overwrites (ctz of the empty mask reads as 63).
      let j = <u32>ctz(m | top);
      store<u32>(pi, bi + j);
      store<u32>(pb, load<u32>(p + (<usize>j << 2)));
      m &= m - 1;
      j = <u32>ctz(m | top);
      store<u32>(pi, bi + j, 4);
      store<u32>(pb, load<u32>(p + (<usize>j << 2)), 4);
      if (writes == 4) {
        m &= m - 1;
        j = <u32>ctz(m | top);
        store<u32>(pi, bi + j, 8);
        store<u32>(pb, load<u32>(p + (<usize>j << 2)), 8);
        m &= m - 1;
        j = <u32>ctz(m | top);
        store<u32>(pi, bi + j, 12);
        store<u32>(pb, load<u32>(p + (<usize>j << 2)), 12);
      }
      if (hits > writes) {
        m &= m - 1;
        let s = <usize>writes << 2;
        while (m) {
          j = <u32>ctz(m);
          store<u32>(pi + s, bi + j);
          store<u32>(pb + s, load<u32>(p + (<usize>j << 2)));
          s += 4;
          m &= m - 1;
        }
      }
      c += hits;
    }
  }
  for (; i < n; i++) {
    const b = load<u32>(x + (<usize>i << 2));
    if ((b & MAG_MASK) >= t) {
      if (c >= cap) return OVERFLOW;
      store<u32>(candIdx + (<usize>c << 2), base + i);
      store<u32>(candBits + (<usize>c << 2), b);
      c++;
    }
  }
  return c;
}

/** hist[min((mag - t) >>> 10, 2047)] counts of a[0..len) (f32 bits or mags, all mag >= t); four tables when long. */
function relativeHistogram(a: usize, len: u32, t: u32, hist: usize): void {
  const bytes = <usize>BUCKETS1 << 2;
  memory.fill(hist, 0, bytes);
  let i: u32 = 0;
  if (len >= SMALL_HIST) {
    const h1 = hist + bytes;
    const h2 = h1 + bytes;
    const h3 = h2 + bytes;
    memory.fill(h1, 0, 3 * bytes);
    for (; i + 4 <= len; i += 4) {
      const p = a + (<usize>i << 2);
      const d0 = ((load<u32>(p) & MAG_MASK) - t) >>> 10;
      const d1 = ((load<u32>(p, 4) & MAG_MASK) - t) >>> 10;
      const d2 = ((load<u32>(p, 8) & MAG_MASK) - t) >>> 10;
      const d3 = ((load<u32>(p, 12) & MAG_MASK) - t) >>> 10;
      const q0 = hist + (<usize>min<u32>(d0, 2047) << 2);
      const q1 = h1 + (<usize>min<u32>(d1, 2047) << 2);
      const q2 = h2 + (<usize>min<u32>(d2, 2047) << 2);
      const q3 = h3 + (<usize>min<u32>(d3, 2047) << 2);
      store<u32>(q0, load<u32>(q0) + 1);
      store<u32>(q1, load<u32>(q1) + 1);
      store<u32>(q2, load<u32>(q2) + 1);
      store<u32>(q3, load<u32>(q3) + 1);
    }
    for (let d: u32 = 0; d < BUCKETS1; d++) {
      const o = <usize>d << 2;
      store<u32>(hist + o, load<u32>(hist + o) + load<u32>(h1 + o) + load<u32>(h2 + o) + load<u32>(h3 + o));
    }
  }
  for (; i < len; i++) {
    const d = ((load<u32>(a + (<usize>i << 2)) & MAG_MASK) - t) >>> 10;
    const q = hist + (<usize>min<u32>(d, 2047) << 2);
    store<u32>(q, load<u32>(q) + 1);
  }
}

/**
 * selectKth for the c candidates (all mag >= t, low 10 bits of t zero) by t-relative digits:
 * the k-th largest usually lies within 2047 * 1024 of t (t is close below it), where one
 * compaction and one 10-bit histogram finish the job. buf has room for bufCap + 4 mags.
 */
function selectCandidates(mags: usize, c: u32, k: u32, t: u32, hist: usize, buf: usize, bufCap: u32): void {
  relativeHistogram(mags, c, t, hist);
  findDigit(hist, BUCKETS1, k);
  if (foundDigit == 2047) {
    selectKth(mags, c, k, hist, buf, bufCap);
    return;
  }
  const r = foundRank;
  const count = load<u32>(hist + (<usize>foundDigit << 2));
  const prefix = (t >>> 10) + foundDigit; // mags in [lo, lo + 1024) share mag >>> 10
  if (count <= bufCap) {
    const len = collect(mags, c, 10, prefix, buf);
    histogram(buf, len, 0, 0x3ff, 31, 0, hist, BUCKETS2);
  } else {
    histogram(mags, c, 0, 0x3ff, 10, prefix, hist, BUCKETS2);
  }
  findDigit(hist, BUCKETS2, r);
  kthMag = (prefix << 10) | foundDigit;
  kthTies = foundRank;
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
    if (lo > 0 && hi == 0) {
      // Small k: gather the ~k candidates mag >= lo (one pass over x) and answer from them.
      if (candidatesFit(n, k)) {
        const c = filterCandidates(x, n, lo, candIdx, candBits, cap, 0, fewCandidates());
        if (c != OVERFLOW && c >= k) return answerFromCandidates(n, k, lo, c, outIdx, outVals, values, scratch);
      }
    } else if (lo > 0) {
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

/** After sampleBracket gave lo > 0 and no hi: the expected candidates (and k) fit the candidate area. */
function candidatesFit(n: u32, k: u32): bool {
  const cap = topkCap(n);
  return k <= cap - (cap >>> 2) && <f64>sampleAtLo * sampleScale * 1.25 <= <f64>cap;
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
  return lo > 0 && bracketHi == 0 && candidatesFit(n, k) ? lo : 0;
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

/** With `values`: outVals[j] = the bits of x[idx[j]] for the c indices. Returns c. */
function gathered(x: usize, c: u32, idx: usize, outVals: usize, values: bool): u32 {
  if (values) {
    for (let j: u32 = 0; j < c; j++) {
      store<u32>(outVals + (<usize>j << 2), load<u32>(x + (<usize>load<u32>(idx + (<usize>j << 2)) << 2)));
    }
  }
  return c;
}

export function threshold_abs(x: usize, n: u32, lambda: f32, outIdx: usize): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    const end16 = n & ~15;
    let dense = false;
    while (i < end16) {
      const end = end16 - i > CHUNK ? i + CHUNK : end16;
      // The chunk's u16 offsets go to out + 4c (bytes 4c .. 4c + 2 * hits + 16 <= 4i + 4 * chunk:
      // inside out, as c <= i), then widen in place from the top down (u32 slot j covers u16
      // slots 2j and 2j + 1 >= j, all read by then).
      const buf = outIdx + (<usize>c << 2);
      const h = dense ? scanChunk(x, i, end, lv, true, buf, false) : scanChunk(x, i, end, lv, false, buf, false);
      let j = h;
      while (j & 7) {
        j--;
        store<u32>(buf + (<usize>j << 2), i + <u32>load<u16>(buf + (<usize>j << 1)));
      }
      const base = i32x4.splat(i);
      while (j > 0) {
        j -= 8;
        const o = v128.load(buf + (<usize>j << 1));
        v128.store(buf + (<usize>j << 2), i32x4.add(base, i32x4.extend_low_i16x8_u(o)));
        v128.store(buf + (<usize>j << 2), i32x4.add(base, i32x4.extend_high_i16x8_u(o)), 16);
      }
      c += h;
      dense = h * DENSE_RATIO > end - i;
      i = end;
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const p = x + (<usize>i << 2);
      const b0 = <u32>(Mathf.abs(load<f32>(p)) >= lambda);
      const b1 = <u32>(Mathf.abs(load<f32>(p, 4)) >= lambda);
      const b2 = <u32>(Mathf.abs(load<f32>(p, 8)) >= lambda);
      const b3 = <u32>(Mathf.abs(load<f32>(p, 12)) >= lambda);
      if ((b0 | b1 | b2 | b3) == 0) continue;
      // Branchless: slot c <= i + j < n is inside out.
      store<u32>(outIdx + (<usize>c << 2), i);
      c += b0;
      store<u32>(outIdx + (<usize>c << 2), i + 1);
      c += b1;
      store<u32>(outIdx + (<usize>c << 2), i + 2);
      c += b2;
      store<u32>(outIdx + (<usize>c << 2), i + 3);
      c += b3;
    }
  }
  for (; i < n; i++) {
    if (Mathf.abs(load<f32>(x + (<usize>i << 2))) >= lambda) {
      store<u32>(outIdx + (<usize>c << 2), i);
      c++;
    }
  }
  return c;
}

export function threshold_count(x: usize, n: u32, lambda: f32): u32 {
  let c: u32 = 0;
  let i: u32 = 0;
  if (ASC_FEATURE_SIMD) {
    const lv = f32x4.splat(lambda);
    let a0 = i32x4.splat(0);
    let a1 = i32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const p = x + (<usize>i << 2);
      a0 = i32x4.sub(a0, f32x4.ge(f32x4.abs(v128.load(p)), lv));
      a1 = i32x4.sub(a1, f32x4.ge(f32x4.abs(v128.load(p, 16)), lv));
    }
    const a = i32x4.add(a0, a1);
    c = <u32>(i32x4.extract_lane(a, 0) + i32x4.extract_lane(a, 1) + i32x4.extract_lane(a, 2) + i32x4.extract_lane(a, 3));
  }
  for (; i < n; i++) c += <u32>(Mathf.abs(load<f32>(x + (<usize>i << 2))) >= lambda);
  return c;
}

export function randk_scratch_bytes(n: u32, k: u32): u32 {
  return ((n + 63) >>> 6) << 3;
}

/** Unbiased integer in [0, m) from the stream (Lemire), advancing counter; identical to RandomStream.nextInt. */
let streamCounter: u32 = 0;
// @ts-ignore: decorator
@inline function nextInt(key: u32, m: u32): u32 {
  let p = <u64>rng_u32(key, streamCounter++) * <u64>m;
  if (<u32>p < m) {
    const t: u32 = (<u32>0 - m) % m;
    while (<u32>p < t) p = <u64>rng_u32(key, streamCounter++) * <u64>m;
  }
  return <u32>(p >>> 32);
}

/**
 * Floyd's algorithm over a bitmap in scratch: for j = n-k .. n-1, t = nextInt(j + 1) from the
 * stream (key, counters 0, 1, ...); take t unless already taken, else take j. Then the set bits
 * are written ascending.
 */
export function randk(n: u32, k: u32, key: u32, outIdx: usize, scratch: usize): u32 {
  if (k > n) return 0;
  const words = (n + 63) >>> 6;
  memory.fill(scratch, 0, <usize>words << 3);
  streamCounter = 0;
  for (let j = n - k; j < n; j++) {
    const t = nextInt(key, j + 1);
    const w = scratch + (<usize>(t >>> 6) << 3);
    const bit = <u64>1 << <u64>(t & 63);
    const word = load<u64>(w);
    if (word & bit) {
      const wj = scratch + (<usize>(j >>> 6) << 3);
      store<u64>(wj, load<u64>(wj) | (<u64>1 << <u64>(j & 63)));
    } else {
      store<u64>(w, word | bit);
    }
  }
  let c: u32 = 0;
  for (let wi: u32 = 0; wi < words; wi++) {
    let word = load<u64>(scratch + (<usize>wi << 3));
    while (word) {
      store<u32>(outIdx + (<usize>c << 2), (wi << 6) + <u32>ctz(word));
      word &= word - 1;
      c++;
    }
  }
  return c;
}
