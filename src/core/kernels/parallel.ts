// Splitting one kernel call over threads that share the kernel memory. The caller writes the
// call into a control block, wakes the workers with Atomics, runs slice 0 itself and waits for
// the others. Worker threads (src/node/threads, or Web Workers) run serveSlices().
import { instantiateKernels, type Kernels } from './module.js';

// Control block: int32 words at a fixed place in the kernel memory.
const GEN = 0; // bumped once per call; workers sleep on it
const DONE = 1; // slices finished by workers
const STOP = 2; // 1: workers return
const SLICES = 3; // threads taking part in this call
const OP = 4; // which kernel: MATMUL, ATTEND or GEMM
const ARGS = 5; // the kernel's arguments (below)
export const CONTROL_WORDS = 16;

const MATMUL = 0; // args: kind, y, x, w, aux, bias, n, rows, cols — slices are row ranges of W
const ATTEND = 1; // args: table, n, D, hs, scale (float32 bits), scores, scores stride — slices take every SLICES-th row
const GEMM = 2; // args: y, x, panels, bias, n, rows, cols — slices are ranges of whole panels (8 rows of W)

const bits = new Int32Array(1);
const bitsF32 = new Float32Array(bits.buffer);

function runSlice(kernels: Kernels, ctl: Int32Array, s: number): void {
  const a = ARGS;
  const count = ctl[SLICES]!;
  if (ctl[OP] === MATMUL) {
    // rows [r0, r1) of W: contiguous, near-equal shares
    const rows = ctl[a + 7]!;
    const r0 = Math.floor((rows * s) / count), r1 = Math.floor((rows * (s + 1)) / count);
    if (r0 < r1) kernels.matmul(ctl[a]!, ctl[a + 1]!, ctl[a + 2]!, ctl[a + 3]!, ctl[a + 4]!, ctl[a + 5]!, ctl[a + 6]!, rows, ctl[a + 8]!, r0, r1);
  } else if (ctl[OP] === GEMM) {
    const panels = (ctl[a + 5]! + 7) >> 3;
    const p0 = Math.floor((panels * s) / count), p1 = Math.floor((panels * (s + 1)) / count);
    if (p0 < p1) kernels.gemm(ctl[a]!, ctl[a + 1]!, ctl[a + 2]!, ctl[a + 3]!, ctl[a + 4]!, ctl[a + 5]!, ctl[a + 6]!, p0, p1);
  } else {
    bits[0] = ctl[a + 4]!;
    kernels.attendRows(ctl[a]!, s, ctl[a + 1]!, count, ctl[a + 2]!, ctl[a + 3]!, bitsF32[0]!, ctl[a + 5]! + s * ctl[a + 6]!);
  }
}

/** Wakes the workers for the call in the control block, runs slice 0 here, waits for the rest. */
function run(kernels: Kernels, ctl: Int32Array, threads: number): void {
  ctl[SLICES] = threads;
  Atomics.store(ctl, DONE, 0);
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
  runSlice(kernels, ctl, 0);
  for (let d = Atomics.load(ctl, DONE); d < threads - 1; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
}

/** Posts kernel `op` with its arguments (as listed with the op's constant) and runs it over `threads` slices. */
function post(kernels: Kernels, ctl: Int32Array, threads: number, op: number, ...args: number[]): void {
  ctl[OP] = op;
  ctl.set(args, ARGS);
  run(kernels, ctl, threads);
}

/** matmul over `threads` slices of the rows of W: slice 0 here, the others on the workers. */
export function matmulSliced(
  kernels: Kernels, ctl: Int32Array, threads: number,
  kind: number, y: number, x: number, w: number, aux: number, bias: number, n: number, rows: number, cols: number,
): void {
  post(kernels, ctl, threads, MATMUL, kind, y, x, w, aux, bias, n, rows, cols);
}

/** gemm over `threads` slices of the panels: slice 0 here, the others on the workers. */
export function gemmSliced(
  kernels: Kernels, ctl: Int32Array, threads: number,
  y: number, x: number, panels: number, bias: number, n: number, rows: number, cols: number,
): void {
  post(kernels, ctl, threads, GEMM, y, x, panels, bias, n, rows, cols);
}

/** attendRows over `threads` interleaved slices of the n rows; slice s uses scores + s·stride. */
export function attendSliced(
  kernels: Kernels, ctl: Int32Array, threads: number,
  table: number, n: number, D: number, hs: number, scale: number, scores: number, stride: number,
): void {
  bitsF32[0] = scale;
  post(kernels, ctl, threads, ATTEND, table, n, D, hs, bits[0]!, scores, stride);
}

/** Tells waiting workers to return. */
export function stopWorkers(ctl: Int32Array): void {
  Atomics.store(ctl, STOP, 1);
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
}

/**
 * A worker's loop: sleep until a call is posted, run slice `index` of it (if the call has that
 * many slices), report, repeat until stopped. `index` ≥ 1; slice 0 is the caller's.
 */
export function serveSlices(module: WebAssembly.Module, memory: WebAssembly.Memory, controlAt: number, index: number, ready: () => void): void {
  const kernels = instantiateKernels(module, memory);
  const ctl = new Int32Array(memory.buffer, controlAt, CONTROL_WORDS);
  Atomics.store(ctl, STOP, 0);
  let gen = Atomics.load(ctl, GEN);
  ready();
  for (;;) {
    Atomics.wait(ctl, GEN, gen);
    gen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, STOP)) return;
    if (index < ctl[SLICES]!) {
      runSlice(kernels, ctl, index);
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}
