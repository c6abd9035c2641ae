// firmwareMatvecWasm (Q4_0 in the firmware's order on the SIMD kernel) against the device's
// arithmetic written out from firmware-format.md 3.3 in scalar float32: bit for bit.
import { describe, expect, it } from 'vitest';
import { bf16ToF32, f16ToF32 } from '../../src/core/bytes/halfs.js';
import { firmwareMatvecWasm } from '../../src/core/kernels/firmware-matmul.js';
import { activationArray } from '../../src/core/kernels/matmul.js';
import type { Q4Matrix } from '../../src/core/neo/tensor.js';
import { lcg } from '../helpers/random.js';

const fr = Math.fround;

/** Per row, per block: a0 += lo·x, a1 += hi·x in index order, acc += scale × (a0 + a1); float32 throughout. */
function deviceOracle(x: Float32Array, w: Q4Matrix, n: number): Float32Array {
  const nb = w.cols / 32;
  const y = new Float32Array(n * w.rows);
  const scale = (h: number) => (w.scaleType === 'bf16' ? bf16ToF32(h) : f16ToF32(h));
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < w.rows; r++) {
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        let a0 = 0, a1 = 0;
        for (let k = 0; k < 16; k++) {
          const byte = w.nibbles[(r * nb + b) * 16 + k]!;
          a0 = fr(a0 + fr(((byte & 15) - 8) * x[t * w.cols + b * 32 + k]!));
          a1 = fr(a1 + fr(((byte >> 4) - 8) * x[t * w.cols + b * 32 + 16 + k]!));
        }
        acc = fr(acc + fr(fr(scale(w.scales[r * nb + b]!)) * fr(a0 + a1)));
      }
      y[t * w.rows + r] = acc;
    }
  }
  return y;
}

describe('firmwareMatvecWasm', () => {
  // (rows, cols, tokens, scale type): TinyTalk's shapes, a vocabulary not a multiple of 4, a prompt
  const cases: Array<[number, number, number, 'bf16' | 'f16']> = [
    [128, 128, 1, 'bf16'],
    [512, 128, 3, 'f16'],
    [128, 512, 1, 'f16'],
    [1403, 128, 2, 'bf16'],
    [5, 64, 7, 'bf16'],
  ];
  it.each(cases)('(%i × %i) weights, %i tokens, %s scales: bit for bit the device order', (rows, cols, n, scaleType) => {
    const r = lcg(rows + cols + n);
    const nibbles = Uint8Array.from({ length: (rows * cols) / 2 }, () => Math.floor(r() * 256));
    // scales spanning several binades (bf16 0x3c00.. ≈ 0.0078..; f16 0x2000.. ≈ 0.0078..), so rounding matters
    const scales = Uint16Array.from({ length: (rows * cols) / 32 }, () => (scaleType === 'bf16' ? 0x3c00 : 0x2000) + Math.floor(r() * 0x0c00));
    const w: Q4Matrix = { type: 'q4_0', scaleType, rows, cols, scales, nibbles };
    // in the kernel memory, where the firmware engine keeps its activations
    const x = activationArray(n * cols + 5); // longer than n rows: only those are read
    for (let i = 0; i < x.length; i++) x[i] = (r() - 0.5) * 6;
    const y = activationArray(n * rows + 3).fill(9);
    expect(firmwareMatvecWasm(y, x, w, n)).toBe(true);
    const want = deviceOracle(x, w, n);
    expect(Array.from(y.subarray(0, n * rows))).toEqual(Array.from(want));
    expect(Array.from(y.subarray(n * rows))).toEqual([9, 9, 9]);
  });
});
