// The version-2 firmware's arithmetic, operation for operation (firmware-format.md 3.3–3.6, 4):
// float32 everywhere, Math.fround after every +, −, ×, ÷, in the device's summation order.
// exp and tanh follow the host C library (libm.ts); the ESP32's newlib may differ by an ulp (doc section 10).
import { halfTable } from '../bytes/halfs.js';
import { firmwareMatvecWasm } from '../kernels/firmware-matmul.js';
import { QBLOCK, type Q4Matrix } from '../neo/tensor.js';
import type { LayerNormWeights } from '../neo/weights.js';
import { expf, tanhf } from './libm.js';

const fr = Math.fround;

/**
 * y[r] = row r of W · x (3.3): per block, two float32 partial sums (low and high nibbles) in
 * index order, then acc += scale × (a0 + a1). For n input vectors: x (n, cols), y (n, rows).
 */
export function firmwareMatvec(y: Float32Array, x: Float32Array, w: Q4Matrix, n = 1): void {
  if (firmwareMatvecWasm(y, x, w, n)) return; // the same sums, four rows per SIMD vector
  const { rows } = w;
  for (let t = 0; t < n; t++) {
    let r = 0;
    // two rows at a time: four independent float32 chains keep the CPU busy (same order per row)
    for (; r + 2 <= rows; r += 2) q4Rows2(y, t * rows + r, x, t * w.cols, w, r);
    if (r < rows) y[t * rows + r] = q4Row(x, t * w.cols, w, r);
  }
}

function q4Row(x: Float32Array, xo: number, w: Q4Matrix, r: number): number {
  const { scales, nibbles } = w;
  const table = halfTable(w.scaleType);
  const nb = w.cols / QBLOCK;
  let acc = 0;
  for (let b = 0; b < nb; b++) {
    const blk = r * nb + b;
    const no = blk * 16;
    const xb = xo + b * QBLOCK;
    let a0 = 0;
    let a1 = 0;
    for (let k = 0; k < 16; k++) {
      const byte = nibbles[no + k]!;
      a0 = fr(a0 + fr(((byte & 15) - 8) * x[xb + k]!));
      a1 = fr(a1 + fr(((byte >> 4) - 8) * x[xb + 16 + k]!));
    }
    acc = fr(acc + fr(table[scales[blk]!]! * fr(a0 + a1)));
  }
  return acc;
}

/** Rows r and r + 1 into y[yo], y[yo + 1]: q4Row twice, interleaved. */
function q4Rows2(y: Float32Array, yo: number, x: Float32Array, xo: number, w: Q4Matrix, r: number): void {
  const { scales, nibbles } = w;
  const table = halfTable(w.scaleType);
  const nb = w.cols / QBLOCK;
  let accA = 0;
  let accB = 0;
  for (let b = 0; b < nb; b++) {
    const blkA = r * nb + b;
    const blkB = blkA + nb;
    const noA = blkA * 16;
    const noB = blkB * 16;
    const xb = xo + b * QBLOCK;
    let a0 = 0;
    let a1 = 0;
    let b0 = 0;
    let b1 = 0;
    for (let k = 0; k < 16; k++) {
      const lo = x[xb + k]!;
      const hi = x[xb + 16 + k]!;
      const byteA = nibbles[noA + k]!;
      const byteB = nibbles[noB + k]!;
      a0 = fr(a0 + fr(((byteA & 15) - 8) * lo));
      a1 = fr(a1 + fr(((byteA >> 4) - 8) * hi));
      b0 = fr(b0 + fr(((byteB & 15) - 8) * lo));
      b1 = fr(b1 + fr(((byteB >> 4) - 8) * hi));
    }
    accA = fr(accA + fr(table[scales[blkA]!]! * fr(a0 + a1)));
    accB = fr(accB + fr(table[scales[blkB]!]! * fr(b0 + b1)));
  }
  y[yo] = accA;
  y[yo + 1] = accB;
}

const EPS = fr(1e-5);

/** c + a × b in float32 with two roundings (the v3 engine's fused builds round once instead). */
export function mulAdd(a: number, b: number, c: number): number {
  return fr(c + fr(a * b));
}

/**
 * LayerNorm of x[o..o+n) into out[o..o+n) (3.6): sequential sums, float divisions by n; `add` is
 * the build's multiply-add (the v3 engine's fused builds pass a fused one).
 */
export function firmwareLayerNorm(
  out: Float32Array, x: Float32Array, o: number, norm: LayerNormWeights, add: (a: number, b: number, c: number) => number = mulAdd,
): void {
  const { weight, bias } = norm;
  const n = weight.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum = fr(sum + x[o + i]!);
  const mean = fr(sum / n);
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const d = fr(x[o + i]! - mean);
    sq = add(d, d, sq);
  }
  const inv = fr(1 / fr(Math.sqrt(fr(fr(sq / n) + EPS))));
  for (let i = 0; i < n; i++) out[o + i] = add(weight[i]!, fr(fr(x[o + i]! - mean) * inv), bias[i]!);
}

const C1 = fr(0.7978845608);
const C2 = fr(0.044715);

/** gelu_new as the device evaluates it (3.6). */
export function firmwareGelu(x: number): number {
  const u = fr(x + fr(fr(fr(C2 * x) * x) * x));
  return fr(fr(0.5 * x) * fr(1 + tanhf(fr(C1 * u))));
}

/** Softmax in place over v[o..o+n) (3.6): max by strict >, sequential float32 sum, true division. */
export function firmwareSoftmax(v: Float32Array, o: number, n: number): void {
  let m = v[o]!;
  for (let i = 1; i < n; i++) if (v[o + i]! > m) m = v[o + i]!;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const e = expf(fr(v[o + i]! - m));
    v[o + i] = e;
    s = fr(s + e);
  }
  for (let i = 0; i < n; i++) v[o + i] = fr(v[o + i]! / s);
}

/** C's lrintf in the default rounding mode: nearest, ties to even. */
export function roundHalfEven(y: number): number {
  const f = Math.floor(y);
  const diff = y - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * One int8 KV-cache row (3.4): q = rint(r × (1 / (max|r| / 127))), one float32 scale per row.
 * r (n) at ro → q (n) at qo; returns the scale.
 */
export function quantizeRow(q: Int8Array, qo: number, r: Float32Array, ro: number, n: number): number {
  let amax = 0;
  for (let i = 0; i < n; i++) {
    const a = Math.abs(r[ro + i]!);
    if (a > amax) amax = a;
  }
  const scale = fr(amax / 127);
  const inv = scale > 0 ? fr(1 / scale) : 0;
  for (let i = 0; i < n; i++) q[qo + i] = roundHalfEven(fr(r[ro + i]! * inv));
  return scale;
}
