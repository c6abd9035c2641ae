// Q4_0 products in the firmware's summation order (firmware mode) on the WebAssembly SIMD
// kernel: four rows per vector, each lane adding in the device's order, so the results are bit
// for bit those of the scalar float32 code in firmware/numerics.ts, about five times faster.
// The nibbles and scales are rearranged once per matrix (by rows of four) into the kernel memory;
// inputs and outputs are read and written in place there (the firmware engine's activations
// live in it), never copied.
import { halfTable } from '../bytes/halfs.js';
import { QBLOCK, type Q4Matrix } from '../neo/tensor.js';
import { kernelArray, offsetOf, wasmKernels, type KernelMemory } from './wasm.js';

interface Arranged {
  /** (groups, blocks, 4) float32 scales. */
  scales: Float32Array;
  /** (groups, blocks, 16, 4) nibble bytes. */
  nibbles: Uint8Array;
}

const arranged = new WeakMap<Q4Matrix, Arranged>();

function arrange(k: KernelMemory, w: Q4Matrix): Arranged {
  const nb = w.cols / QBLOCK;
  const groups = Math.ceil(w.rows / 4);
  const table = halfTable(w.scaleType);
  const scales = kernelArray(k, groups * nb * 4);
  const nibbles = kernelArray(k, groups * nb * 64, Uint8Array); // 64 bytes per (group, block)
  for (let r = 0; r < w.rows; r++) {
    const g = r >> 2, lane = r & 3;
    for (let b = 0; b < nb; b++) {
      const gb = g * nb + b;
      scales[gb * 4 + lane] = table[w.scales[r * nb + b]!]!;
      for (let i = 0; i < 16; i++) nibbles[(gb * 16 + i) * 4 + lane] = w.nibbles[(r * nb + b) * 16 + i]!;
    }
  }
  return { scales, nibbles };
}

/**
 * y (n, rows) = x (n, cols) · Wᵀ in the firmware's order (firmware-format.md 3.3), on the SIMD
 * kernel. Returns false, writing nothing, where the kernel memory is not shared or x or y lies
 * outside it (the caller then runs its scalar code).
 */
export function firmwareMatvecWasm(y: Float32Array, x: Float32Array, w: Q4Matrix, n: number): boolean {
  const k = wasmKernels();
  if (!k?.shared || w.cols % QBLOCK !== 0) return false;
  const yAt = offsetOf(k, y), xAt = offsetOf(k, x);
  if (yAt === undefined || xAt === undefined) return false;
  let a = arranged.get(w);
  if (!a) arranged.set(w, (a = arrange(k, w)));
  k.kernels.firmwareMatmul(yAt, xAt, offsetOf(k, a.scales)!, offsetOf(k, a.nibbles)!, n, w.rows, w.cols);
  return true;
}
