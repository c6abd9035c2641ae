// Runs forward/backward over any number of rows with activations planned for fewer: the rows are
// taken in chunks of the planned size. One thread's share of an optimizer step (or of a validation pass).
import { gpt_backward, gpt_forward, type Activations } from './gpt.js';
import type { KernelGpt } from './kernel-gpt.js';
import type { ParamLayout } from './params.js';

/** Σ pass(chunk) over rows [r0, r1) of ids/labels (rows, T), `rows` rows at a time. */
function overChunks(
  rows: number, ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number,
  pass: (ids: Int32Array, labels: Int32Array, n: number) => number,
): number {
  let sum = 0;
  for (let r = r0; r < r1; r += rows) {
    const n = Math.min(rows, r1 - r);
    sum += pass(ids.subarray(r * T, (r + n) * T), labels.subarray(r * T, (r + n) * T), n);
  }
  return sum;
}

/** Adds the gradient of lossScale · Σ loss over rows [r0, r1) of ids/labels (rows, T) to g; returns Σ loss. */
export function accumulateGradients(
  layout: ParamLayout, p: Float32Array, g: Float32Array, acts: Activations,
  ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number, lossScale: number,
): number {
  return overChunks(acts.B, ids, labels, r0, r1, T, (cid, clab, n) => {
    const loss = gpt_forward(layout, p, acts, cid, clab, n, T);
    gpt_backward(layout, p, g, acts, cid, clab, n, T, lossScale);
    return loss;
  });
}

/** Σ loss over rows [r0, r1) (forward only). */
export function sumLoss(
  layout: ParamLayout, p: Float32Array, acts: Activations, ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number,
): number {
  return overChunks(acts.B, ids, labels, r0, r1, T, (cid, clab, n) => gpt_forward(layout, p, acts, cid, clab, n, T));
}

/** accumulateGradients on the training kernels: adds to engine.grads (parameters loaded with loadParams). */
export function accumulateGradientsKernel(
  engine: KernelGpt, ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number, lossScale: number,
): number {
  return overChunks(engine.B, ids, labels, r0, r1, T, (cid, clab, n) => engine.step(cid, clab, n, T, lossScale));
}

/** sumLoss on the training kernels. */
export function sumLossKernel(engine: KernelGpt, ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number): number {
  return overChunks(engine.B, ids, labels, r0, r1, T, (cid, clab, n) => engine.loss(cid, clab, n, T));
}
