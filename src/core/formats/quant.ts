// The Q4_0 and Q8_0 block formats: quantizers (float32 rows → planar matrices, see neo/tensor.ts),
// the float32 values of any stored matrix, and ggml's interleaved block bytes (which CRDP v2
// uses too).
//
// Q4_0 is the firmware converter's algorithm (firmware-format.md 1.5), which is also ggml's
// reference quantize_row_q4_0: the only difference is the scale's storage type (bf16 on the
// firmware, fp16 in GGUF). Codes are computed with the unrounded float32 scale; the rounded
// scale is what gets stored. Q8_0 is ggml's quantize_row_q8_0 (round half away from zero).
import { f32ToBf16, f32ToF16, halfTable } from '../bytes/halfs.js';
import { QBLOCK, type Matrix, type Q4Matrix, type Q8Matrix, type ScaleType } from '../neo/tensor.js';
import { UsageError } from '../errors.js';
import type { ByteWriter } from '../bytes/writer.js';

const fr = Math.fround;

function roundScale(d: number, scaleType: ScaleType): number {
  return scaleType === 'bf16' ? f32ToBf16(d) : f32ToF16(d);
}

function checkShape(x: Float32Array, rows: number, cols: number, what: string): void {
  if (cols % QBLOCK !== 0) throw new UsageError(`${what}: ${cols} columns is not a multiple of ${QBLOCK}, cannot block-quantize`);
  if (x.length !== rows * cols) throw new UsageError(`${what}: expected ${rows}×${cols} values, got ${x.length}`);
}

/**
 * How each Q4_0 block's scale is chosen. 'max': the converter's (the block's signed
 * largest-magnitude value / −8; codes from the unrounded scale), the default, which gives the
 * shipped blobs byte for byte. 'mse': of a few candidate scales around it (and each one's
 * least-squares refit), the one whose stored (rounded) scale and codes have the least squared
 * error; never worse than 'max' on a block.
 */
export type Q4Quantizer = 'max' | 'mse';

/** Divisors tried by 'mse' (scale = signed max / k): −8 is 'max'; +7 maps the max to code 15. */
const MSE_DIVISORS = [-8, -7.75, -7.5, -7.25, -7, -6.75, -6.5, -6, 7, 7.25, 7.5];
/** A candidate's codes (32), while 'mse' compares them. */
const trial = new Uint8Array(QBLOCK);

/** Codes (0..15) of the block x[o, o+32) for the stored scale d, rounding to nearest; the squared error. */
function q4Codes(x: Float32Array, o: number, d: number, codes: Uint8Array): number {
  const inv = d !== 0 ? 1 / d : 0;
  let err = 0;
  for (let j = 0; j < QBLOCK; j++) {
    const c = Math.min(15, Math.max(0, Math.round(x[o + j]! * inv) + 8));
    codes[j] = c;
    const e = x[o + j]! - fr(d * (c - 8));
    err += e * e;
  }
  return err;
}

/**
 * One block x[o, o+32) → its 32 codes in `codes`; returns the stored scale's 16 bits. 'max' is
 * firmware-format.md 1.5 (ggml's quantize_row_q4_0 with the scale rounded to scaleType).
 */
function q4Block(x: Float32Array, o: number, scaleType: ScaleType, quantizer: Q4Quantizer, codes: Uint8Array): number {
  let amax = 0;
  let m = 0;
  for (let j = 0; j < QBLOCK; j++) {
    const v = x[o + j]!;
    if (Math.abs(v) > amax) {
      amax = Math.abs(v);
      m = v;
    }
  }
  const d = fr(m / -8);
  if (quantizer === 'max' || d === 0) {
    const inv = d !== 0 ? fr(1 / d) : 0;
    for (let j = 0; j < QBLOCK; j++) {
      const c = Math.floor(fr(fr(x[o + j]! * inv) + 8.5));
      codes[j] = c < 0 ? 0 : c > 15 ? 15 : c;
    }
    // An all-zero block has d = 0 / −8 = −0. The firmware converter stores +0 (bytes 00 00,
    // firmware-format.md 1.5); ggml's reference stores the fp16 of −0.
    return roundScale(d === 0 && scaleType === 'bf16' ? 0 : d, scaleType);
  }
  // 'mse': start from the converter's block, so the result is never worse than it
  const table = halfTable(scaleType);
  let best = roundScale(d, scaleType);
  q4Block(x, o, scaleType, 'max', codes);
  let bestErr = 0;
  for (let j = 0; j < QBLOCK; j++) bestErr += (x[o + j]! - fr(table[best]! * (codes[j]! - 8))) ** 2;
  const consider = (bits: number) => {
    const err = q4Codes(x, o, table[bits]!, trial);
    if (err < bestErr) {
      bestErr = err;
      best = bits;
      codes.set(trial);
    }
  };
  for (const k of MSE_DIVISORS) {
    consider(roundScale(fr(m / k), scaleType));
    // the least-squares scale for these codes: Σ x·q / Σ q²
    let xq = 0;
    let qq = 0;
    for (let j = 0; j < QBLOCK; j++) {
      const q = trial[j]! - 8;
      xq += x[o + j]! * q;
      qq += q * q;
    }
    if (qq > 0) consider(roundScale(fr(xq / qq), scaleType));
  }
  return best;
}

/** Q4_0 of x (rows, cols): w ≈ scale × (code − 8), scale chosen by `quantizer` (default the converter's). */
export function quantizeQ4(x: Float32Array, rows: number, cols: number, scaleType: ScaleType, what = 'matrix', quantizer: Q4Quantizer = 'max'): Q4Matrix {
  checkShape(x, rows, cols, what);
  const nblocks = (rows * cols) / QBLOCK;
  const scales = new Uint16Array(nblocks); // (rows, cols/32)
  const nibbles = new Uint8Array(nblocks * 16); // (rows, cols/32, 16)
  const codes = new Uint8Array(QBLOCK);
  for (let b = 0; b < nblocks; b++) {
    scales[b] = q4Block(x, b * QBLOCK, scaleType, quantizer, codes);
    for (let k = 0; k < 16; k++) nibbles[b * 16 + k] = codes[k]! | (codes[k + 16]! << 4);
  }
  return { type: 'q4_0', rows, cols, scaleType, scales, nibbles };
}

/**
 * out = the float32 values the Q4_0 matrix quantizeQ4 would store for x (whole blocks of 32,
 * rows never straddled because cols is a multiple of 32): what quantization-aware training runs.
 * In place (out = x) is allowed.
 */
export function fakeQuantizeQ4(x: Float32Array, out: Float32Array, scaleType: ScaleType, quantizer: Q4Quantizer = 'max'): void {
  if (x.length % QBLOCK !== 0 || out.length !== x.length) throw new UsageError(`fake quantization: ${x.length} values are not whole blocks of ${QBLOCK} (or the output differs in size)`);
  const table = halfTable(scaleType);
  const codes = new Uint8Array(QBLOCK);
  for (let o = 0; o < x.length; o += QBLOCK) {
    const s = table[q4Block(x, o, scaleType, quantizer, codes)]!;
    for (let j = 0; j < QBLOCK; j++) out[o + j] = s * (codes[j]! - 8);
  }
}

/** Q8_0 of x (rows, cols): w ≈ scale × code, scale = max|x| / 127. */
export function quantizeQ8(x: Float32Array, rows: number, cols: number, scaleType: ScaleType, what = 'matrix'): Q8Matrix {
  checkShape(x, rows, cols, what);
  const nblocks = (rows * cols) / QBLOCK;
  const scales = new Uint16Array(nblocks); // (rows, cols/32)
  const codes = new Int8Array(rows * cols); // (rows, cols)
  for (let b = 0; b < nblocks; b++) {
    const o = b * QBLOCK;
    let amax = 0;
    for (let j = 0; j < QBLOCK; j++) amax = Math.max(amax, Math.abs(x[o + j]!));
    const d = fr(amax / 127);
    const inv = d !== 0 ? fr(1 / d) : 0;
    for (let j = 0; j < QBLOCK; j++) {
      const v = fr(x[o + j]! * inv);
      codes[o + j] = Math.sign(v) * Math.round(Math.abs(v)); // C roundf: half away from zero
    }
    scales[b] = roundScale(d, scaleType);
  }
  return { type: 'q8_0', rows, cols, scaleType, scales, codes };
}

export type QuantType = 'q4_0' | 'q8_0';

/**
 * Re-quantize any matrix from its float32 values (the 'max' quantizer reproduces an
 * already-quantized block exactly); `quantizer` picks the Q4_0 scales.
 */
export function quantizeMatrix(w: Matrix, type: QuantType, scaleType: ScaleType, what?: string, quantizer: Q4Quantizer = 'max'): Matrix {
  const x = dequantize(w);
  return type === 'q4_0' ? quantizeQ4(x, w.rows, w.cols, scaleType, what, quantizer) : quantizeQ8(x, w.rows, w.cols, scaleType, what);
}

/** Row r of W as float32 (the embedding lookup), written to out[0 .. cols). */
export function dequantizeRow(w: Matrix, r: number, out: Float32Array): void {
  const cols = w.cols;
  switch (w.type) {
    case 'f32':
      out.set(w.data.subarray(r * cols, (r + 1) * cols));
      return;
    case 'f16':
    case 'bf16': {
      const table = halfTable(w.type);
      for (let i = 0; i < cols; i++) out[i] = table[w.data[r * cols + i]!]!;
      return;
    }
    case 'q4_0': {
      const table = halfTable(w.scaleType);
      const nb = cols / QBLOCK;
      for (let b = 0; b < nb; b++) {
        const blk = r * nb + b;
        const s = table[w.scales[blk]!]!;
        for (let k = 0; k < 16; k++) {
          const byte = w.nibbles[blk * 16 + k]!;
          out[b * QBLOCK + k] = s * ((byte & 15) - 8);
          out[b * QBLOCK + 16 + k] = s * ((byte >> 4) - 8);
        }
      }
      return;
    }
    case 'q8_0': {
      const table = halfTable(w.scaleType);
      const nb = cols / QBLOCK;
      for (let b = 0; b < nb; b++) {
        const s = table[w.scales[r * nb + b]!]!;
        for (let k = 0; k < QBLOCK; k++) out[b * QBLOCK + k] = s * w.codes[r * cols + b * QBLOCK + k]!;
      }
      return;
    }
  }
}

/** The whole matrix as float32 (rows, cols): training and export start from this. */
export function dequantize(w: Matrix): Float32Array {
  const out = new Float32Array(w.rows * w.cols);
  for (let r = 0; r < w.rows; r++) dequantizeRow(w, r, out.subarray(r * w.cols, (r + 1) * w.cols));
  return out;
}

/** Bytes of one block in ggml's interleaved layout (also CRDP v2's): a 16-bit scale, then the codes. */
export const BLOCK_BYTES: Record<QuantType, number> = { q4_0: 2 + 16, q8_0: 2 + QBLOCK };

/**
 * `blocks` interleaved blocks from `offset` → planar scales (blocks) and codes (blocks, 16 nibble
 * bytes) for Q4_0 or (blocks, 32 int8 codes as bytes) for Q8_0.
 */
export function readBlocks(bytes: Uint8Array, offset: number, blocks: number, type: QuantType): { scales: Uint16Array; codes: Uint8Array } {
  const n = BLOCK_BYTES[type] - 2;
  const scales = new Uint16Array(blocks);
  const codes = new Uint8Array(blocks * n);
  // copied byte by byte: a subarray per block would cost more than the copy
  for (let blk = 0, o = offset; blk < blocks; blk++, o += n + 2) {
    scales[blk] = bytes[o]! | (bytes[o + 1]! << 8);
    for (let k = 0, to = blk * n; k < n; k++) codes[to + k] = bytes[o + 2 + k]!;
  }
  return { scales, codes };
}

/** Planar scales and codes (as readBlocks gives them) → interleaved blocks, appended to out. */
export function writeBlocks(out: ByteWriter, scales: Uint16Array, codes: Uint8Array | Int8Array, type: QuantType): void {
  const n = BLOCK_BYTES[type] - 2;
  const bytes = new Uint8Array(codes.buffer, codes.byteOffset, codes.byteLength);
  for (let b = 0; b < scales.length; b++) {
    out.u16(scales[b]!);
    out.bytes(bytes.subarray(b * n, (b + 1) * n));
  }
}
