// How weights are held in memory: each matrix keeps the type it was stored in.
//
// Matrices are row-major with one row per output feature ([out, in], PyTorch's nn.Linear
// convention), so y = W·x reads one row per output. Quantized matrices are kept planar
// (all block scales, then all block codes) whatever their file layout was: one layout for
// the kernels to read, and it is the one SIMD code wants.

/** Raw bits of the 16-bit float that scales a quantized block. */
export type ScaleType = 'bf16' | 'f16';

/** Number of weights in one Q4_0 / Q8_0 block. */
export const QBLOCK = 32;

interface MatrixShape {
  /** output features */
  rows: number;
  /** input features */
  cols: number;
}

export interface F32Matrix extends MatrixShape {
  type: 'f32';
  data: Float32Array; // (rows, cols)
}

export interface Half16Matrix extends MatrixShape {
  type: 'f16' | 'bf16';
  data: Uint16Array; // (rows, cols) raw 16-bit patterns
}

/**
 * Q4_0: blocks of 32 weights w = scale × (code − 8), codes 0..15.
 * Block b of row r is index r·(cols/32) + b in both arrays.
 */
export interface Q4Matrix extends MatrixShape {
  type: 'q4_0';
  scaleType: ScaleType;
  scales: Uint16Array; // (rows, cols/32) raw 16-bit patterns
  /** 16 bytes per block: byte k holds weight k in its low nibble and weight k+16 in its high nibble (ggml order) */
  nibbles: Uint8Array; // (rows, cols/32, 16)
}

/** Q8_0: blocks of 32 weights w = scale × code, codes −127..127. */
export interface Q8Matrix extends MatrixShape {
  type: 'q8_0';
  scaleType: ScaleType;
  scales: Uint16Array; // (rows, cols/32)
  codes: Int8Array; // (rows, cols)
}

export type Matrix = F32Matrix | Half16Matrix | Q4Matrix | Q8Matrix;
