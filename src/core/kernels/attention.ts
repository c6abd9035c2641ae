// Attention of query rows over their sequences' cached keys and values, every head in one call:
// the WebAssembly SIMD kernel when all the arrays live in the kernel memory (activationArray()),
// split over the kernel threads when there are many rows, plain JavaScript otherwise. Same
// results to within float rounding.
import { softmax } from './elementwise.js';
import { attendSliced } from './parallel.js';
import { KernelScratch, offsetOf, wasmKernels } from './wasm.js';

/** The WASM kernel's scores, (threads, span, 4): four heads' scores per key. */
const kernelScores = new KernelScratch(Float32Array, 1024);
/** attendRows' row table, (rows, 5): output, query, keys, values (byte offsets) and span per row. */
const rowTable = new KernelScratch(Int32Array, 5 * 256);
/** Rows × keys × D below which attendRows stays on one thread (waking workers costs µs). */
const PARALLEL_MIN_WORK = 1 << 17;

/** Sequences' caches as attendRows reads them. */
export interface KeyValues {
  readonly k: Float32Array;
  readonly v: Float32Array;
}

/**
 * attendRow for rows i < n: out row i (D floats at i·D) from query row i of q, over span[i] keys
 * and values of kv[i] starting at float offset first[i]. scores: scratch of ≥ max span floats.
 */
export function attendRows(
  out: Float32Array, q: Float32Array, kv: ArrayLike<KeyValues>, first: Int32Array, span: Int32Array,
  n: number, D: number, H: number, scale: number, scores: Float32Array,
): void {
  const hs = D / H;
  const k = wasmKernels();
  if (k && k.shared && hs % 4 === 0 && n > 0) {
    const o = offsetOf(k, out), qa = offsetOf(k, q);
    const table = rowTable.get(k, 5 * n);
    let ok = o !== undefined && qa !== undefined;
    let longest = 0;
    let work = 0;
    for (let i = 0; i < n && ok; i++) {
      const ka = offsetOf(k, kv[i]!.k), va = offsetOf(k, kv[i]!.v);
      if (ka === undefined || va === undefined) ok = false;
      else {
        const e = 5 * i;
        table[e] = o! + 4 * i * D, table[e + 1] = qa! + 4 * i * D;
        table[e + 2] = ka + 4 * first[i]!, table[e + 3] = va + 4 * first[i]!, table[e + 4] = span[i]!;
        longest = Math.max(longest, span[i]!);
        work += span[i]! * D;
      }
    }
    if (ok) {
      const threads = n > 1 && work >= PARALLEL_MIN_WORK ? Math.min(k.threads, n) : 1;
      const stride = 4 * longest; // floats of scores per thread
      const sa = offsetOf(k, kernelScores.get(k, threads * stride));
      if (sa !== undefined) {
        const ta = offsetOf(k, table)!;
        if (threads > 1) attendSliced(k.kernels, k.control!, threads, ta, n, D, hs, scale, sa, 4 * stride);
        else k.kernels.attendRows(ta, 0, n, 1, D, hs, scale, sa);
        return;
      }
    }
  }
  for (let i = 0; i < n; i++) attendRow(out, i * D, q, i * D, kv[i]!.k, kv[i]!.v, first[i]!, span[i]!, D, H, scale, scores);
}

/**
 * out[oo .. oo+D) = per head h: softmax(scale · q_h · K_hᵀ) · V_h over `span` cached rows.
 * q (D) at qo; K, V: rows of D floats, the first at ko; scores: scratch of ≥ span floats (the
 * JS path's; the WASM kernel keeps its own).
 */
export function attendRow(
  out: Float32Array, oo: number,
  q: Float32Array, qo: number,
  K: Float32Array, V: Float32Array, ko: number,
  span: number, D: number, H: number, scale: number,
  scores: Float32Array,
): void {
  const hs = D / H;
  const k = wasmKernels();
  if (k && hs % 4 === 0) {
    const o = offsetOf(k, out), qa = offsetOf(k, q), ka = offsetOf(k, K), va = offsetOf(k, V);
    const sa = offsetOf(k, kernelScores.get(k, 4 * span));
    if (o !== undefined && qa !== undefined && ka !== undefined && va !== undefined && sa !== undefined) {
      k.kernels.attend(o + 4 * oo, qa + 4 * qo, ka + 4 * ko, va + 4 * ko, span, D, hs, scale, sa);
      return;
    }
  }
  for (let h = 0; h < H; h++) {
    const qh = qo + h * hs;
    const oh = oo + h * hs;
    for (let j = 0; j < span; j++) {
      const kj = ko + j * D + h * hs;
      let s = 0;
      for (let d = 0; d < hs; d++) s += q[qh + d]! * K[kj + d]!;
      scores[j] = s * scale;
    }
    softmax(scores, 0, span);
    for (let d = 0; d < hs; d++) out[oh + d] = 0;
    for (let j = 0; j < span; j++) {
      const p = scores[j]!;
      const vj = ko + j * D + h * hs;
      for (let d = 0; d < hs; d++) out[oh + d] = out[oh + d]! + p * V[vj + d]!;
    }
  }
}
