// Placing a model's weights into the kernel memory once, so matmul() reads them in place
// (no copy per call) and the original arrays can be dropped; each matrix is also packed once
// into the gemm kernel's panels (float32, beside the stored matrix, which the embedding lookup
// and the plain-JS fallback keep reading).
import type { Matrix } from '../neo/tensor.js';
import type { LayerNormWeights, NeoLayerWeights, NeoWeights } from '../neo/weights.js';
import { dequantizeRow } from '../formats/quant.js';
import { expandWasm, kernelArray, kernelMemory, packWasm, PANEL_ROWS, placeArray, type KernelMemory } from './wasm.js';

export interface PlaceOptions {
  /**
   * Also hold 16-bit and quantized matrices as their float32 values (exact: a Q4_0 weight is a
   * 16-bit scale times a small integer), 4 bytes per weight (TinyTalk Q4: 13.5 MB instead of
   * 1.9 MB). The WASM products read the float32 panels whatever this says; the embedding lookup
   * and the plain-JS fallback read this copy.
   */
  float32?: boolean;
}

/** The float32 values of m, decoded straight into the kernel memory (by the SIMD kernel where it can). */
function expandMatrix(k: KernelMemory, m: Matrix): Matrix {
  const data = kernelArray(k, m.rows * m.cols);
  if (!expandWasm(k, data, m)) {
    for (let r = 0; r < m.rows; r++) dequantizeRow(m, r, data.subarray(r * m.cols, (r + 1) * m.cols));
  }
  return { type: 'f32', rows: m.rows, cols: m.cols, data: placeArray(k, data) };
}

/**
 * The float32 values of m packed for the gemm kernel: (⌈rows/8⌉, cols, 8), panel p holding rows
 * 8p..8p+7 k-major (weight (r, c) at ((r >> 3)·cols + c)·8 + (r & 7)), rows past the end zero.
 * By the SIMD kernel where it can (shared memory), here otherwise.
 */
function packPanels(k: KernelMemory, m: Matrix): Float32Array {
  const { rows, cols } = m;
  const panels = kernelArray(k, Math.ceil(rows / PANEL_ROWS) * PANEL_ROWS * cols);
  if (packWasm(k, panels, m)) return panels;
  const row = new Float32Array(cols); // (cols) one row's values
  for (let r = 0; r < rows; r++) {
    dequantizeRow(m, r, row);
    const o = (r >> 3) * cols * PANEL_ROWS + (r & 7);
    for (let c = 0; c < cols; c++) panels[o + c * PANEL_ROWS] = row[c]!;
  }
  return placeArray(k, panels);
}

function placeMatrix(k: KernelMemory, m: Matrix, o: PlaceOptions): Matrix {
  const placed = placeStored(k, m, o);
  k.panels.set(placed, packPanels(k, placed));
  return placed;
}

function placeStored(k: KernelMemory, m: Matrix, o: PlaceOptions): Matrix {
  if (o.float32 && m.type !== 'f32') return expandMatrix(k, m);
  switch (m.type) {
    case 'f32':
      return { ...m, data: placeArray(k, m.data) };
    case 'f16':
    case 'bf16':
      return { ...m, data: placeArray(k, m.data) };
    case 'q4_0':
      return { ...m, scales: placeArray(k, m.scales), nibbles: placeArray(k, m.nibbles) };
    case 'q8_0':
      return { ...m, scales: placeArray(k, m.scales), codes: placeArray(k, m.codes) };
  }
}

function placeNorm(k: KernelMemory, n: LayerNormWeights): LayerNormWeights {
  return { weight: placeArray(k, n.weight), bias: placeArray(k, n.bias) };
}

function placeLayer(k: KernelMemory, l: NeoLayerWeights, o: PlaceOptions): NeoLayerWeights {
  const placed: NeoLayerWeights = {
    ln1: placeNorm(k, l.ln1),
    q: placeMatrix(k, l.q, o),
    k: placeMatrix(k, l.k, o),
    v: placeMatrix(k, l.v, o),
    out: placeMatrix(k, l.out, o),
    outBias: placeArray(k, l.outBias),
    ln2: placeNorm(k, l.ln2),
    fc: placeMatrix(k, l.fc, o),
    fcBias: placeArray(k, l.fcBias),
    proj: placeMatrix(k, l.proj, o),
    projBias: placeArray(k, l.projBias),
  };
  if (l.qkvBias) placed.qkvBias = { q: placeArray(k, l.qkvBias.q), k: placeArray(k, l.qkvBias.k), v: placeArray(k, l.qkvBias.v) };
  return placed;
}

/**
 * The same weights, read in place by the kernels: with a shared kernel memory the returned
 * arrays are views into it (drop the originals to save memory). The weights are frozen from
 * here on (the kernels may hold a copy): do not write to them. Without WebAssembly they come
 * back unchanged.
 */
export function placeWeights(w: NeoWeights, options: PlaceOptions = {}): NeoWeights {
  const k = kernelMemory();
  if (!k) return w;
  // once per weights and layout: engines made again and again (a chat's, an eval's) share it
  const cache = options.float32 ? placedFloat32 : placedStored;
  let placed = cache.get(w);
  if (!placed) {
    placed = {
      wte: placeMatrix(k, w.wte, options),
      wpe: placeArray(k, w.wpe),
      layers: w.layers.map((l) => placeLayer(k, l, options)),
      lnF: placeNorm(k, w.lnF),
    };
    cache.set(w, placed).set(placed, placed);
  }
  return placed;
}

const placedStored = new WeakMap<NeoWeights, NeoWeights>();
const placedFloat32 = new WeakMap<NeoWeights, NeoWeights>();
