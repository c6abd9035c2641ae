// Splitting one kernel call over threads that share the kernel memory. The caller writes the
// call into a control block, wakes the workers with Atomics, runs slice 0 itself and waits for
// the others. Worker threads (src/node/threads, or Web Workers) run serveSlices().
import { instantiateKernels, type MatmulKernel } from './module.js';

// Control block: int32 words at a fixed place in the kernel memory.
const GEN = 0; // bumped once per call; workers sleep on it
const DONE = 1; // slices finished by workers
const STOP = 2; // 1: workers return
const SLICES = 3; // threads taking part in this call
const ARGS = 4; // kind, y, x, w, aux, bias, n, rows, cols
export const CONTROL_WORDS = 16;

/** Rows [r0, r1) of slice s out of count: contiguous, near-equal shares. */
function sliceRows(rows: number, s: number, count: number): [number, number] {
  return [Math.floor((rows * s) / count), Math.floor((rows * (s + 1)) / count)];
}

function runSlice(kernel: MatmulKernel, ctl: Int32Array, s: number): void {
  const a = ARGS;
  const rows = ctl[a + 7]!;
  const [r0, r1] = sliceRows(rows, s, ctl[SLICES]!);
  if (r0 < r1) kernel(ctl[a]!, ctl[a + 1]!, ctl[a + 2]!, ctl[a + 3]!, ctl[a + 4]!, ctl[a + 5]!, ctl[a + 6]!, rows, ctl[a + 8]!, r0, r1);
}

/** Runs one call over `threads` slices: slice 0 here, the others on the workers. */
export function runSliced(
  kernel: MatmulKernel, ctl: Int32Array, threads: number,
  kind: number, y: number, x: number, w: number, aux: number, bias: number, n: number, rows: number, cols: number,
): void {
  const a = ARGS;
  ctl[a] = kind, ctl[a + 1] = y, ctl[a + 2] = x, ctl[a + 3] = w, ctl[a + 4] = aux;
  ctl[a + 5] = bias, ctl[a + 6] = n, ctl[a + 7] = rows, ctl[a + 8] = cols;
  ctl[SLICES] = threads;
  Atomics.store(ctl, DONE, 0);
  Atomics.add(ctl, GEN, 1);
  Atomics.notify(ctl, GEN);
  runSlice(kernel, ctl, 0);
  for (let d = Atomics.load(ctl, DONE); d < threads - 1; d = Atomics.load(ctl, DONE)) Atomics.wait(ctl, DONE, d);
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
  const kernel = instantiateKernels(module, memory).matmul;
  const ctl = new Int32Array(memory.buffer, controlAt, CONTROL_WORDS);
  Atomics.store(ctl, STOP, 0);
  let gen = Atomics.load(ctl, GEN);
  ready();
  for (;;) {
    Atomics.wait(ctl, GEN, gen);
    gen = Atomics.load(ctl, GEN);
    if (Atomics.load(ctl, STOP)) return;
    if (index < ctl[SLICES]!) {
      runSlice(kernel, ctl, index);
      Atomics.add(ctl, DONE, 1);
      Atomics.notify(ctl, DONE);
    }
  }
}
