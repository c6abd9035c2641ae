// The kernels on a plain (not shared) WebAssembly memory, as in pages without cross-origin
// isolation: SharedArrayBuffer is hidden before the kernels load, so placeWeights() packs the
// GEMM panels in JavaScript and copies them in. Products over placed weights against the plain-JS
// oracle, for every stored type, odd shapes included.
import { describe, expect, it } from 'vitest';
import { f32ToBf16, f32ToF16 } from '../../src/core/bytes/halfs.js';
import type { Matrix } from '../../src/core/neo/tensor.js';

const hidden = globalThis.SharedArrayBuffer;
// @ts-expect-error -- as a page without cross-origin isolation sees it
delete globalThis.SharedArrayBuffer;
const { kernelInfo, matmul, matmulPath } = await import('../../src/core/kernels/matmul.js');
const { placeWeights } = await import('../../src/core/kernels/place.js');
const { matmulJs } = await import('../../src/core/kernels/js.js');
const info = kernelInfo(); // the kernel memory is made on first use: here, while SharedArrayBuffer is hidden
globalThis.SharedArrayBuffer = hidden;

function lcg(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
}

function matrix(type: string, rows: number, cols: number, r: () => number): Matrix {
  const values = Float32Array.from({ length: rows * cols }, r);
  switch (type) {
    case 'f32':
      return { type, rows, cols, data: values };
    case 'bf16':
      return { type, rows, cols, data: Uint16Array.from(values, f32ToBf16) };
    case 'f16':
      return { type, rows, cols, data: Uint16Array.from(values, f32ToF16) };
    case 'q4_0':
      return { type, scaleType: 'f16', rows, cols, scales: Uint16Array.from({ length: (rows * cols) / 32 }, () => f32ToF16(0.01 + Math.abs(r()) / 20)), nibbles: Uint8Array.from({ length: (rows * cols) / 2 }, () => Math.floor((r() + 1) * 128)) };
    default:
      return { type: 'q8_0', scaleType: 'bf16', rows, cols, scales: Uint16Array.from({ length: (rows * cols) / 32 }, () => f32ToBf16(0.01 + Math.abs(r()) / 20)), codes: Int8Array.from({ length: rows * cols }, () => Math.round(r() * 127)) };
  }
}

describe('kernels on a plain WebAssembly memory', () => {
  it('run without shared memory', () => {
    expect(info).toMatchObject({ backend: 'wasm', sharedMemory: false });
    expect(kernelInfo()).toEqual(info);
  });

  const cases: Array<[string, number, number, number]> = [
    ['f32', 13, 37, 5],
    ['bf16', 9, 16, 1],
    ['f16', 20, 71, 4],
    ['q4_0', 44, 64, 7],
    ['q8_0', 17, 96, 2],
  ];
  it.each(cases)('%s: (%i × %i) weights, %i tokens, over the panels packed in JavaScript, agree with the plain-JS kernels', (type, rows, cols, n) => {
    const r = lcg(rows * 31 + cols);
    const w = matrix(type, rows, cols, r);
    const empty = new Float32Array(0);
    const placed = placeWeights({ wte: w, wpe: empty, layers: [], lnF: { weight: empty, bias: empty } }).wte;
    expect(matmulPath(placed)).toBe('gemm');
    const x = Float32Array.from({ length: n * cols }, r);
    const bias = Float32Array.from({ length: rows }, r);
    const y = new Float32Array(n * rows), want = new Float32Array(n * rows);
    matmul(y, x, placed, n, bias);
    matmulJs(want, x, w, n, bias);
    for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]! - want[i]!), `output ${i}`).toBeLessThan(1e-5 * (1 + Math.abs(want[i]!)));
  });
});
