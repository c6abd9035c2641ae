// Plain-JavaScript matrix products over weights in their stored type: the fallback where
// WebAssembly SIMD is missing, and the oracle the WASM kernels are tested against.
import { halfTable } from '../bytes/halfs.js';
import { QBLOCK, type Matrix } from '../neo/tensor.js';

/**
 * y = x · Wᵀ (+ bias): n input vectors through one weight matrix.
 * x (n, W.cols), y (n, W.rows), bias (W.rows). Accumulates in float64 inside a row, float32 out.
 */
export function matmulJs(y: Float32Array, x: Float32Array, w: Matrix, n: number, bias?: Float32Array): void {
  const { rows, cols } = w;
  for (let t = 0; t < n; t++) {
    const xo = t * cols;
    const yo = t * rows;
    for (let r = 0; r < rows; r++) {
      y[yo + r] = dotRow(w, r, x, xo) + (bias ? bias[r]! : 0);
    }
  }
}

/** Row r of W · x[xo .. xo + cols). */
export function dotRow(w: Matrix, r: number, x: Float32Array, xo: number): number {
  const cols = w.cols;
  let acc = 0;
  switch (w.type) {
    case 'f32': {
      const d = w.data;
      const o = r * cols;
      for (let i = 0; i < cols; i++) acc += d[o + i]! * x[xo + i]!;
      return acc;
    }
    case 'f16':
    case 'bf16': {
      const table = halfTable(w.type);
      const d = w.data;
      const o = r * cols;
      for (let i = 0; i < cols; i++) acc += table[d[o + i]!]! * x[xo + i]!;
      return acc;
    }
    case 'q4_0': {
      const table = halfTable(w.scaleType);
      const nb = cols / QBLOCK;
      for (let b = 0; b < nb; b++) {
        const blk = r * nb + b;
        const no = blk * 16;
        const xb = xo + b * QBLOCK;
        let s = 0;
        for (let k = 0; k < 16; k++) {
          const byte = w.nibbles[no + k]!;
          s += ((byte & 15) - 8) * x[xb + k]! + ((byte >> 4) - 8) * x[xb + 16 + k]!;
        }
        acc += table[w.scales[blk]!]! * s;
      }
      return acc;
    }
    case 'q8_0': {
      const table = halfTable(w.scaleType);
      const nb = cols / QBLOCK;
      for (let b = 0; b < nb; b++) {
        const blk = r * nb + b;
        const co = r * cols + b * QBLOCK;
        const xb = xo + b * QBLOCK;
        let s = 0;
        for (let k = 0; k < QBLOCK; k++) s += w.codes[co + k]! * x[xb + k]!;
        acc += table[w.scales[blk]!]! * s;
      }
      return acc;
    }
  }
}
