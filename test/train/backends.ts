// The two ways a training step computes a batch's loss and gradient: the plain-JS layer functions
// of gpt.ts and the WebAssembly training kernels (kernel-gpt.ts), so a check runs on both.
import { gpt_backward, gpt_forward, planActivations } from '../../src/core/train/gpt.js';
import { KernelGpt } from '../../src/core/train/kernel-gpt.js';
import type { ParamLayout } from '../../src/core/train/params.js';

export const BACKENDS = ['js', 'kernels'] as const;
export type Backend = (typeof BACKENDS)[number];

/** Σ loss over (B, T) and the gradient of lossScale · Σ loss (a fresh buffer). */
export function lossAndGradients(
  backend: Backend, layout: ParamLayout, params: Float32Array, ids: Int32Array, labels: Int32Array, B: number, T: number, lossScale: number,
): { lossSum: number; grads: Float32Array } {
  if (backend === 'js') {
    const acts = planActivations(layout, B, T);
    const grads = new Float32Array(layout.total);
    const lossSum = gpt_forward(layout, params, acts, ids, labels, B, T);
    gpt_backward(layout, params, grads, acts, ids, labels, B, T, lossScale);
    return { lossSum, grads };
  }
  const engine = new KernelGpt(layout, B, T);
  engine.loadParams(params);
  const lossSum = engine.step(ids, labels, B, T, lossScale);
  return { lossSum, grads: engine.grads.slice() };
}
