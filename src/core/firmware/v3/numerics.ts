// The version-3 firmware's arithmetic (firmware-format.md 11.1), operation for operation: int8
// activations in every Q4 product (one scale per 32 values), exact integer block sums, and an
// int4 KV cache with bf16 scales. Layer norm, gelu and softmax are the v2 engine's (numerics.ts),
// except in the fused variant (`fma`), where the compiler's contractions are followed: every
// a × b + c the C code writes becomes one fused multiply-add, as on the ESP32.
import { f32ToBf16, bf16ToF32, halfTable } from '../../bytes/halfs.js';
import { firmwareV3Matvec, firmwareV3Quantize, type Q8Rows } from '../../kernels/firmware-v3.js';
import { QBLOCK, type Q4Matrix } from '../../neo/tensor.js';
import { tanhf } from '../libm.js';
import { firmwareGelu, mulAdd, quantizeRow, roundHalfEven } from '../numerics.js';
import { fmaf } from './fmaf.js';

const fr = Math.fround;

/** The multiply-add of the build being reproduced: two roundings (the host build), or one (fused). */
export const madd = (fused: boolean): ((a: number, b: number, c: number) => number) => (fused ? fmaf : mulAdd);

/**
 * Quantizes n rows of `cols` activations (x (n, cols)) to int8 (a.q (n, cols)) with one float32
 * scale per 32 values (a.s (n, cols/32)): s = max|x| / 127, q = rint(x × (1 / s)), ties to even.
 * a.sum gets each block's Σ q (for the SIMD products).
 */
export function quantizeQ8(a: Q8Rows, x: Float32Array, n: number, cols: number): void {
  if (firmwareV3Quantize(a, x, n * cols)) return; // the same codes on SIMD
  const { q, s, sum } = a;
  for (let b = 0; b < (n * cols) / QBLOCK; b++) {
    // the v2 engine's int8 cache row is this very quantizer, over 32 values
    const o = b * QBLOCK;
    s[b] = quantizeRow(q, o, x, o, QBLOCK);
    let total = 0;
    for (let i = 0; i < QBLOCK; i++) total += q[o + i]!;
    sum[b] = total;
  }
}

/**
 * y (n, rows) = W · x for n int8 rows (x as quantizeQ8 leaves it): per block the exact sum
 * Σ (code − 8) · q, then acc += (scale_w × s) × sum in float32 (fused: one rounding fewer).
 */
export function q4q8Matvec(y: Float32Array, x: Q8Rows, w: Q4Matrix, n: number, fused: boolean): void {
  if (firmwareV3Matvec(y, x, w, n, fused)) return; // the same sums on SIMD
  const { q, s } = x;
  const { rows, cols, scales, nibbles } = w;
  const table = halfTable(w.scaleType);
  const nb = cols / QBLOCK;
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let b = 0; b < nb; b++) {
        const no = (r * nb + b) * 16;
        const xo = t * cols + b * QBLOCK;
        let isum = 0;
        for (let k = 0; k < 16; k++) {
          const byte = nibbles[no + k]!;
          isum += ((byte & 15) - 8) * q[xo + k]! + ((byte >> 4) - 8) * q[xo + 16 + k]!;
        }
        const ts = fr(table[scales[r * nb + b]!]! * s[t * nb + b]!);
        acc = fused ? fmaf(ts, isum, acc) : fr(acc + fr(ts * isum));
      }
      y[t * rows + r] = acc;
    }
  }
}

/**
 * One KV row r[ro..ro+D) into int4 codes at codes[co..co+D/2) and D/32 scales at scales[so..):
 * per group of 32, d = bf16(m / −8) where m is the first value of largest magnitude, codes
 * clamp(rint(x × (1 / d)), −8, 7) + 8 (with the rounded d).
 */
export function quantizeKvRow(codes: Uint8Array, co: number, scales: Float32Array, so: number, r: Float32Array, ro: number, D: number): void {
  for (let g = 0; g < D / QBLOCK; g++) {
    const o = ro + g * QBLOCK;
    let mx = 0;
    let m = 0;
    for (let i = 0; i < QBLOCK; i++) {
      const a = Math.abs(r[o + i]!);
      if (a > mx) (mx = a), (m = r[o + i]!);
    }
    const d = bf16ToF32(f32ToBf16(fr(m / -8)));
    const inv = d !== 0 ? fr(1 / d) : 0;
    scales[so + g] = d;
    for (let i = 0; i < QBLOCK; i += 2) {
      const lo = Math.min(7, Math.max(-8, roundHalfEven(fr(r[o + i]! * inv))));
      const hi = Math.min(7, Math.max(-8, roundHalfEven(fr(r[o + i + 1]! * inv))));
      codes[co + g * 16 + i / 2] = (lo + 8) | ((hi + 8) << 4);
    }
  }
}

const C1 = fr(0.7978845608);
const C2 = fr(0.044715);

/** gelu_new (the v2 engine's, or with x + c2·x²·x fused). */
export function gelu(x: number, fused: boolean): number {
  if (!fused) return firmwareGelu(x);
  const u = fmaf(fr(fr(C2 * x) * x), x, x);
  return fr(fr(0.5 * x) * fr(1 + tanhf(fr(C1 * u))));
}
