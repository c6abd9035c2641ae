// The compiled WebAssembly SIMD kernels (src/core/kernels/wasm/kernels.as, embedded as base64 by
// scripts/build-kernels.mjs): compiling the module and binding an instance to a memory.
import { KERNELS_WASM, KERNELS_WASM_SHARED } from './generated/kernels-wasm.js';
import type { Matrix } from '../neo/tensor.js';

/** matmul(kind, y, x, w, aux, bias, n, rows, cols, r0, r1) of kernels.as; pointers are byte offsets. */
export type MatmulKernel = (
  kind: number, y: number, x: number, w: number, aux: number, bias: number,
  n: number, rows: number, cols: number, r0: number, r1: number,
) => void;

/** gemm(y, x, panels, bias, n, rows, cols, p0, p1) of kernels.as: many rows over packed panels of 8 outputs. */
export type GemmKernel = (y: number, x: number, panels: number, bias: number, n: number, rows: number, cols: number, p0: number, p1: number) => void;

/** pack(kind, panels, w, aux, rows, cols, row) of kernels.as: a stored matrix's float32 values as gemm panels. */
export type PackKernel = (kind: number, panels: number, w: number, aux: number, rows: number, cols: number, row: number) => void;

/** Kernel number of a matrix type, as kernels.as numbers them. */
export function kernelKind(w: Matrix): number {
  switch (w.type) {
    case 'f32':
      return 0;
    case 'bf16':
      return 1;
    case 'f16':
      return 2;
    case 'q4_0':
      return w.scaleType === 'bf16' ? 3 : 4;
    case 'q8_0':
      return w.scaleType === 'bf16' ? 5 : 6;
  }
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes;
}

/** The module for a shared memory (threads) or a plain one (pages without cross-origin isolation). */
export function compileKernels(shared: boolean): WebAssembly.Module {
  return new WebAssembly.Module(fromBase64(shared ? KERNELS_WASM_SHARED : KERNELS_WASM));
}

/** attend(out, q, k, v, span, D, hs, scale, scores) of kernels.as. */
export type AttendKernel = (out: number, q: number, k: number, v: number, span: number, D: number, hs: number, scale: number, scores: number) => void;

/** attendRows(table, first, n, step, D, hs, scale, scores) of kernels.as. */
export type AttendRowsKernel = (table: number, first: number, n: number, step: number, D: number, hs: number, scale: number, scores: number) => void;

/** gelu(p, count) of kernels.as: gelu_new in place over count floats. */
export type GeluKernel = (p: number, count: number) => void;

/** expand(kind, dst, w, aux, rows, cols) of kernels.as: a stored matrix's float32 values. */
export type ExpandKernel = (kind: number, dst: number, w: number, aux: number, rows: number, cols: number) => void;

/** firmwareMatmul(y, x, sc, nib, n, rows, cols) of kernels.as: Q4_0 products in the firmware's order. */
export type FirmwareMatmulKernel = (y: number, x: number, sc: number, nib: number, n: number, rows: number, cols: number) => void;

/** firmwareScores(att, q, kc, ks, span, D, hs) of kernels.as: firmware attention scores, bit for bit. */
export type FirmwareScoresKernel = (att: number, q: number, kc: number, ks: number, span: number, D: number, hs: number) => void;

/** firmwareValues(out, att, vc, vs, span, D, hs) of kernels.as: firmware weighted values, bit for bit. */
export type FirmwareValuesKernel = (out: number, att: number, vc: number, vs: number, span: number, D: number, hs: number) => void;

/** firmwareV3Quantize(xq, xs, xsum, x, count) of kernels.as: the v3 firmware's int8 activations. */
export type FirmwareV3QuantizeKernel = (xq: number, xs: number, xsum: number, x: number, count: number) => void;

/** firmwareV3Matvec(y, xq, xs, xsum, sc, nib, n, rows, cols, fused) of kernels.as: the v3 firmware's int8 products. */
export type FirmwareV3MatvecKernel = (y: number, xq: number, xs: number, xsum: number, sc: number, nib: number, n: number, rows: number, cols: number, fused: number) => void;

/** firmwareV3Scores / firmwareV3Values (out, att or q, codes, scales, span, D, hs, fused) of kernels.as: v3 attention. */
export type FirmwareV3AttentionKernel = (out: number, a: number, codes: number, scales: number, span: number, D: number, hs: number, fused: number) => void;

export interface Kernels {
  matmul: MatmulKernel;
  gemm: GemmKernel;
  pack: PackKernel;
  attend: AttendKernel;
  attendRows: AttendRowsKernel;
  gelu: GeluKernel;
  expand: ExpandKernel;
  firmwareMatmul: FirmwareMatmulKernel;
  firmwareScores: FirmwareScoresKernel;
  firmwareValues: FirmwareValuesKernel;
  firmwareV3Quantize: FirmwareV3QuantizeKernel;
  firmwareV3Matvec: FirmwareV3MatvecKernel;
  firmwareV3Scores: FirmwareV3AttentionKernel;
  firmwareV3Values: FirmwareV3AttentionKernel;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  return {
    matmul: exports['matmul'] as MatmulKernel,
    gemm: exports['gemm'] as GemmKernel,
    pack: exports['pack'] as PackKernel,
    attend: exports['attend'] as AttendKernel,
    attendRows: exports['attendRows'] as AttendRowsKernel,
    gelu: exports['gelu'] as GeluKernel,
    expand: exports['expand'] as ExpandKernel,
    firmwareMatmul: exports['firmwareMatmul'] as FirmwareMatmulKernel,
    firmwareScores: exports['firmwareScores'] as FirmwareScoresKernel,
    firmwareValues: exports['firmwareValues'] as FirmwareValuesKernel,
    firmwareV3Quantize: exports['firmwareV3Quantize'] as FirmwareV3QuantizeKernel,
    firmwareV3Matvec: exports['firmwareV3Matvec'] as FirmwareV3MatvecKernel,
    firmwareV3Scores: exports['firmwareV3Scores'] as FirmwareV3AttentionKernel,
    firmwareV3Values: exports['firmwareV3Values'] as FirmwareV3AttentionKernel,
  };
}
