// How the exported graph stores its weights, per variant, and the nodes that turn them back into
// float32 for the float32 arithmetic of the graph:
// - fp32: float32 initializers;
// - fp16: float16 initializers (half the file), each Cast to float32 when the session loads;
// - q8 / q4: matrices as int8 / int4 blocks of 32 with a float32 scale per block (ggml's Q8_0 /
//   Q4_0, scales rounded to fp16 as in GGUF), turned back by DequantizeLinear; vectors stay
//   float32. Weight-only: activations are never quantized. A matrix already stored in the same
//   block type (a firmware blob's Q4_0, a Q8_0 GGUF) keeps its exact blocks.
import { UsageError } from '../../errors.js';
import { bf16ToF32, f16ToF32, f32ToF16 } from '../../bytes/halfs.js';
import { dequantize, quantizeQ4, quantizeQ8 } from '../../formats/quant.js';
import { QBLOCK, type Matrix, type Q4Matrix, type Q8Matrix } from '../../neo/tensor.js';
import { bytesOf, type GraphBuilder } from './graph.js';
import { DataType } from './proto.js';

export type OnnxWeights = 'fp32' | 'fp16' | 'q8' | 'q4';

/** Where the quantized blocks of a matrix run: along its columns (axis 1) or, transposed, its rows (axis 0). */
type BlockAxis = 0 | 1;

/** (rows, cols) → (cols, rows) */
function transpose<A extends Float32Array | Int8Array>(x: A, rows: number, cols: number): A {
  const out = new (x.constructor as { new (n: number): A })(x.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
  return out;
}

/** Signed codes (rows, cols) of a Q4_0 matrix: code − 8, so w = scale × code. */
function q4Codes(m: Q4Matrix): Int8Array {
  const codes = new Int8Array(m.rows * m.cols); // (rows, cols)
  for (let b = 0; b < codes.length / QBLOCK; b++) {
    for (let k = 0; k < 16; k++) {
      const byte = m.nibbles[b * 16 + k]!;
      codes[b * QBLOCK + k] = (byte & 15) - 8;
      codes[b * QBLOCK + k + 16] = (byte >> 4) - 8;
    }
  }
  return codes;
}

/** INT4 raw data: two codes per byte, the first in the low nibble. */
function packInt4(codes: Int8Array): Uint8Array {
  const out = new Uint8Array(Math.ceil(codes.length / 2));
  for (let i = 0; i < codes.length; i++) out[i >> 1]! |= (codes[i]! & 15) << ((i & 1) * 4);
  return out;
}

function blockScales(m: Q4Matrix | Q8Matrix): Float32Array {
  const toF32 = m.scaleType === 'bf16' ? bf16ToF32 : f16ToF32;
  return Float32Array.from(m.scales, toF32); // (rows, cols/32)
}

export class WeightStore {
  constructor(
    private readonly g: GraphBuilder,
    readonly type: OnnxWeights,
  ) {}

  /** A float32 vector or small table (norms, biases, positions); `dims` its shape. */
  vector(name: string, x: Float32Array, dims: readonly number[]): string {
    if (this.type !== 'fp16') return this.g.initializer(name, DataType.FLOAT, dims, bytesOf(x));
    const bits = new Uint16Array(x.length); // a plain loop: TypedArray.from with a map function is several times slower
    for (let i = 0; i < x.length; i++) bits[i] = f32ToF16(x[i]!);
    const half = this.g.initializer(`${name}_fp16`, DataType.FLOAT16, dims, bytesOf(bits));
    return this.g.op('Cast', [half], { to: { int: DataType.FLOAT } }, name);
  }

  /** A linear layer's (out, in) matrix as MatMul reads it: x (…, in) × W (in, out). */
  linear(name: string, m: Matrix): string {
    return this.matrix(name, m, 0);
  }

  /** A table read by rows (the token embeddings, which are also the classifier): (rows, cols). */
  table(name: string, m: Matrix): string {
    return this.matrix(name, m, 1);
  }

  private matrix(name: string, m: Matrix, axis: BlockAxis): string {
    const dims = axis === 0 ? [m.cols, m.rows] : [m.rows, m.cols];
    const layout = (x: Float32Array): Float32Array => (axis === 0 ? transpose(x, m.rows, m.cols) : x);
    if (this.type === 'fp32' || this.type === 'fp16') return this.vector(name, layout(dequantize(m)), dims);
    if (m.cols % QBLOCK !== 0) throw new UsageError(`${name}: ${m.cols} inputs is not a multiple of ${QBLOCK}, cannot store it as ${this.type} blocks`);
    let codes: Int8Array; // (rows, cols)
    let q: Q4Matrix | Q8Matrix;
    if (this.type === 'q8') {
      q = m.type === 'q8_0' ? m : quantizeQ8(dequantize(m), m.rows, m.cols, 'f16', name);
      codes = q.codes;
    } else {
      q = m.type === 'q4_0' ? m : quantizeQ4(dequantize(m), m.rows, m.cols, 'f16', name);
      codes = q4Codes(q);
    }
    let scales = blockScales(q); // (rows, cols/32)
    if (axis === 0) {
      codes = transpose(codes, m.rows, m.cols);
      scales = transpose(scales, m.rows, m.cols / QBLOCK);
    }
    const scaleDims = axis === 0 ? [m.cols / QBLOCK, m.rows] : [m.rows, m.cols / QBLOCK];
    const raw = this.type === 'q8' ? bytesOf(codes) : packInt4(codes);
    const codesName = this.g.initializer(`${name}_${this.type}`, this.type === 'q8' ? DataType.INT8 : DataType.INT4, dims, raw);
    const scalesName = this.g.initializer(`${name}_scale`, DataType.FLOAT, scaleDims, bytesOf(scales));
    return this.g.op('DequantizeLinear', [codesName, scalesName], { axis: { int: axis }, block_size: { int: QBLOCK } }, name);
  }
}
