// Runs forward/backward over any number of rows with activations planned for fewer: the rows are
// taken in chunks of the planned size. One thread's share of an optimizer step (or of a validation pass).
import { gpt_backward, gpt_forward, type Activations } from './gpt.js';
import type { ParamLayout } from './params.js';

/** Adds the gradient of lossScale · Σ loss over rows [r0, r1) of ids/labels (rows, T) to g; returns Σ loss. */
export function accumulateGradients(
  layout: ParamLayout, p: Float32Array, g: Float32Array, acts: Activations,
  ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number, lossScale: number,
): number {
  let sum = 0;
  for (let r = r0; r < r1; r += acts.B) {
    const n = Math.min(acts.B, r1 - r);
    const cid = ids.subarray(r * T, (r + n) * T);
    const clab = labels.subarray(r * T, (r + n) * T);
    sum += gpt_forward(layout, p, acts, cid, clab, n, T);
    gpt_backward(layout, p, g, acts, cid, clab, n, T, lossScale);
  }
  return sum;
}

/** Σ loss over rows [r0, r1) (forward only). */
export function sumLoss(
  layout: ParamLayout, p: Float32Array, acts: Activations, ids: Int32Array, labels: Int32Array, r0: number, r1: number, T: number,
): number {
  let sum = 0;
  for (let r = r0; r < r1; r += acts.B) {
    const n = Math.min(acts.B, r1 - r);
    sum += gpt_forward(layout, p, acts, ids.subarray(r * T, (r + n) * T), labels.subarray(r * T, (r + n) * T), n, T);
  }
  return sum;
}
