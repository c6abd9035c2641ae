// The version-3 firmware's products and attention (firmware mode, v3 arithmetic) on the
// WebAssembly SIMD kernels: integer block sums with i16 multiply-adds of int8 codes, float32
// steps one row (or key, or dimension) per lane in the device's order, fused multiply-adds
// emulated exactly where asked, so the results are bit for bit those of the scalar code in
// firmware/v3/. Weights are rearranged once per matrix (by rows of four) into the kernel memory;
// activations and caches are used in place.
import { halfTable } from '../bytes/halfs.js';
import { QBLOCK, type Q4Matrix } from '../neo/tensor.js';
import { attendOnKernels } from './firmware-attention.js';
import { kernelArray, KernelScratch, offsetOf, wasmKernels, type KernelMemory } from './wasm.js';

interface Arranged {
  /** (groups, blocks, 4) float32 scales. */
  scales: Float32Array;
  /** (groups, blocks, 4, 16) nibble bytes: a block of four rows, one after the other. */
  nibbles: Uint8Array;
}

const arranged = new WeakMap<Q4Matrix, Arranged>();
/** Outputs that are not in the kernel memory pass through this. */
const yScratch = new KernelScratch(Float32Array, 16384);

function arrange(k: KernelMemory, w: Q4Matrix): Arranged {
  const nb = w.cols / QBLOCK;
  const groups = Math.ceil(w.rows / 4);
  const table = halfTable(w.scaleType);
  const scales = kernelArray(k, groups * nb * 4);
  const nibbles = kernelArray(k, groups * nb * 64, Uint8Array); // padding rows stay zero
  for (let r = 0; r < w.rows; r++) {
    const g = r >> 2, lane = r & 3;
    for (let b = 0; b < nb; b++) {
      const gb = g * nb + b;
      scales[gb * 4 + lane] = table[w.scales[r * nb + b]!]!;
      nibbles.set(w.nibbles.subarray((r * nb + b) * 16, (r * nb + b + 1) * 16), (gb * 4 + lane) * 16);
    }
  }
  return { scales, nibbles };
}

/** Activations quantized to int8 for the products: codes (n, cols), and per 32 a scale and the codes' sum. */
export interface Q8Rows {
  q: Int8Array;
  s: Float32Array;
  /** Σ codes per block (integers held in float32, exactly). */
  sum: Float32Array;
}

/** Where all of a's arrays lie in the shared kernel memory, or undefined. */
function q8At(k: KernelMemory, a: Q8Rows): [number, number, number] | undefined {
  const q = offsetOf(k, a.q), s = offsetOf(k, a.s), sum = offsetOf(k, a.sum);
  return k.shared && q !== undefined && s !== undefined && sum !== undefined ? [q, s, sum] : undefined;
}

/**
 * The first `count` values of x quantized into a as firmware/v3/numerics.ts quantizeQ8 does it.
 * Returns false, writing nothing, where the kernels are off or an array lies outside the shared
 * kernel memory.
 */
export function firmwareV3Quantize(a: Q8Rows, x: Float32Array, count: number): boolean {
  const k = wasmKernels();
  const at = k ? q8At(k, a) : undefined;
  const xAt = k ? offsetOf(k, x) : undefined;
  if (!k || !at || xAt === undefined) return false;
  k.kernels.firmwareV3Quantize(at[0], at[1], at[2], xAt, count);
  return true;
}

/**
 * y (n, rows) = W · x for n rows of quantized activations, as firmware/v3/numerics.ts
 * q4q8Matvec computes it (fused: with fused multiply-adds). Returns false, writing nothing, where
 * the kernels are off or the activations lie outside the shared kernel memory (the caller then
 * runs its scalar code).
 */
export function firmwareV3Matvec(y: Float32Array, x: Q8Rows, w: Q4Matrix, n: number, fused: boolean): boolean {
  const k = wasmKernels();
  const at = k ? q8At(k, x) : undefined;
  if (!k || !at) return false;
  let a = arranged.get(w);
  if (!a) arranged.set(w, (a = arrange(k, w)));
  const len = n * w.rows;
  const inPlace = offsetOf(k, y) !== undefined;
  const out = inPlace ? y : yScratch.get(k, len);
  k.kernels.firmwareV3Matvec(offsetOf(k, out)!, at[0], at[1], at[2], offsetOf(k, a.scales)!, offsetOf(k, a.nibbles)!, n, w.rows, w.cols, fused ? 1 : 0);
  if (!inPlace) y.set(out.subarray(0, len));
  return true;
}

/** One sequence's int4 keys and values: codes (slots, D/2) and float32 scales (slots, D/32). */
export interface Int4KV {
  k: Uint8Array;
  v: Uint8Array;
  kScale: Float32Array;
  vScale: Float32Array;
}

/**
 * Attention of one query row, every head, over `span` slots of a cache from slot `first` (one
 * layer's slots 0..slot): out[o..o+D) from q[o..o+D), softmax(att, offset, n) applied to each
 * head's scores in between (it emulates glibc's expf exactly, in JavaScript); fused: with fused
 * multiply-adds. Returns false, writing nothing, where the kernels are off, the memory is not
 * shared, an array lies outside it or the head size is not a multiple of 8 (the caller then runs
 * its scalar code).
 */
export function firmwareV3Attention(
  out: Float32Array, q: Float32Array, o: number, cache: Int4KV, first: number, span: number, D: number, hs: number,
  softmax: (att: Float32Array, offset: number, n: number) => void, fused: boolean,
): boolean {
  const f = fused ? 1 : 0;
  return attendOnKernels(
    out, q, o, cache, (first * D) / 2, (4 * first * D) / QBLOCK, span, D, hs, softmax,
    (k, at) => k.kernels.firmwareV3Scores(at.att, at.q, at.k, at.kScale, span, D, hs, f),
    (k, at) => k.kernels.firmwareV3Values(at.out, at.att, at.v, at.vScale, span, D, hs, f),
  );
}
