// gelu_new over an activation buffer: the WebAssembly SIMD kernel when the buffer lives in the
// kernel memory (activationArray()), layers.ts's plain-JS geluNew otherwise. Same results to
// within float rounding (the kernel evaluates it in float32, as x·σ(2u)).
import { geluNew } from './elementwise.js';
import { offsetOf, wasmKernels } from './wasm.js';

/** gelu_new in place over x[0..n). */
export function gelu(x: Float32Array, n: number): void {
  const k = wasmKernels();
  const at = k ? offsetOf(k, x) : undefined;
  if (at !== undefined && k!.shared && n <= x.length) k!.kernels.gelu(at, n);
  else geluNew(x, n);
}
