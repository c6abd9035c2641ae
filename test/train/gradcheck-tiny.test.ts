// Gradient check on the random tiny GPT-Neo (window 8, so the local mask matters): our float32
// forward/backward against the float64 PyTorch-reference loss, logits and every gradient element,
// on the plain-JS layer functions and on the training kernels (which hold no logits to compare).
import { describe, expect, it } from 'vitest';
import { gpt_backward, gpt_forward, planActivations } from '../../src/core/train/gpt.js';
import { TINY_MODEL } from '../helpers/shared.js';
import { BACKENDS, lossAndGradients } from './backends.js';
import { referenceCase } from './helpers.js';

describe('tiny GPT-Neo: forward and backward against the float64 reference', () => {
  const { layout, params, ref, B, T, ids, labels, count } = referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');
  const acts = planActivations(layout, B, T);
  const lossSum = gpt_forward(layout, params, acts, ids, labels, B, T, true);
  const logits = acts.logits.slice(0, B * T * layout.config.vocabSize);
  const grads = new Float32Array(layout.total);
  gpt_backward(layout, params, grads, acts, ids, labels, B, T, 1 / count);

  it('counts the loss tokens and matches the loss within 1e-6 relative', () => {
    expect(count).toBe(ref.loss_tokens);
    const loss = lossSum / count;
    expect(Math.abs(loss - ref.float64.loss) / ref.float64.loss).toBeLessThan(1e-6);
  });

  it('matches every logit within 1e-5 absolute', () => {
    const want = ref.float64.logits as number[];
    expect(logits.length).toBe(want.length);
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(logits[i]! - want[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('matches every gradient element within 1e-4 × the largest |gradient| of its tensor', () => {
    expectGradients(grads);
  });

  it('needs the local mask: the reference loss with both layers global differs', () => {
    expect(Math.abs(lossSum / count - ref.loss_if_both_layers_global_float64)).toBeGreaterThan(0.05);
  });
});

describe('tiny GPT-Neo on the training kernels: loss and gradients against the float64 reference', () => {
  const { layout, params, ref, B, T, ids, labels, count } = referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');
  const { lossSum, grads } = lossAndGradients('kernels', layout, params, ids, labels, B, T, 1 / count);

  it('matches the loss within 1e-6 relative', () => {
    expect(Math.abs(lossSum / count - ref.float64.loss) / ref.float64.loss).toBeLessThan(1e-6);
  });

  it('matches every gradient element within 1e-4 × the largest |gradient| of its tensor', () => {
    expectGradients(grads);
  });

  it('agrees with the plain-JS path (the oracle) within 2e-5 × the largest |gradient| of each tensor', () => {
    const js = lossAndGradients(BACKENDS[0], layout, params, ids, labels, B, T, 1 / count);
    for (const t of layout.tensors) {
      let scale = 0;
      let worst = 0;
      for (let i = t.offset; i < t.offset + t.size; i++) {
        scale = Math.max(scale, Math.abs(js.grads[i]!));
        worst = Math.max(worst, Math.abs(grads[i]! - js.grads[i]!));
      }
      expect(worst / scale, t.name).toBeLessThan(2e-5);
    }
  });
});

/** Every gradient element of the tiny model within 1e-4 × the largest |gradient| of its tensor. */
function expectGradients(grads: Float32Array): void {
  const { layout, ref } = referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');
  const names = Object.keys(ref.shapes);
  expect(names.length).toBe(layout.tensors.length);
  for (const t of layout.tensors) {
    const want = ref.float64.grads[t.name] as number[];
    expect(want.length, t.name).toBe(t.size);
    let scale = 0;
    for (const w of want) scale = Math.max(scale, Math.abs(w));
    let worst = 0;
    for (let i = 0; i < t.size; i++) worst = Math.max(worst, Math.abs(grads[t.offset + i]! - want[i]!));
    // measured: worst error relative to the tensor's largest |gradient|
    expect(worst / scale, t.name).toBeLessThan(1e-4);
  }
}
