// Matrix products over weights in their stored type: WebAssembly SIMD kernels where the platform
// has them, the plain-JavaScript ones otherwise (same results to within float rounding).
import type { Matrix } from '../neo/tensor.js';
import { matmulJs } from './js.js';
import { gemmPanels, kernelArray, kernelMemory, matmulWasm, setWasmWanted, wasmKernels, type KernelArrayType } from './wasm.js';

export type KernelBackend = 'wasm' | 'js';

/**
 * y = x · Wᵀ (+ bias): n input vectors through one weight matrix.
 * x (n, W.cols), y (n, W.rows), bias (W.rows).
 */
export function matmul(y: Float32Array, x: Float32Array, w: Matrix, n: number, bias?: Float32Array): void {
  const k = wasmKernels();
  if (k) matmulWasm(k, y, x, w, n, bias);
  else matmulJs(y, x, w, n, bias);
}

/**
 * Which kernel matmul() runs over w: 'gemm' (the panels placeWeights() packed), 'rows' (row dot
 * products over a matrix that was not placed) or 'js'.
 */
export function matmulPath(w: Matrix): 'gemm' | 'rows' | 'js' {
  const k = wasmKernels();
  return !k ? 'js' : gemmPanels(k, w) ? 'gemm' : 'rows';
}

/** Chooses the kernels, all of them ('js' to compare, or where WebAssembly must not be used). */
export function setKernelBackend(backend: KernelBackend): void {
  setWasmWanted(backend === 'wasm');
}

/** The kernels matmul() runs now, and how many threads split large products. */
export function kernelInfo(): { backend: KernelBackend; sharedMemory: boolean; threads: number } {
  const k = wasmKernels();
  return k ? { backend: 'wasm', sharedMemory: k.shared, threads: k.threads } : { backend: 'js', sharedMemory: false, threads: 1 };
}

/**
 * A buffer for activations (x, y of matmul; float32 unless `Type` says otherwise, e.g. an int8
 * KV cache): inside the kernel memory when it can be, so the kernels read and write it without
 * copies; an ordinary array otherwise.
 */
export function activationArray<C extends KernelArrayType = Float32ArrayConstructor>(
  length: number, Type: C = Float32Array as C,
): InstanceType<C> {
  const k = kernelMemory();
  return (k ? kernelArray(k, length, Type) : new Type(length)) as InstanceType<C>;
}
