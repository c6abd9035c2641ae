// TinyTalk (Hugging Face stand-in): masked loss, per-tensor gradient norms, first gradient values
// and the parameters after one clipped AdamW step, against the float64 PyTorch reference, on the
// plain-JS layer functions and on the training kernels.
import { describe, expect, it } from 'vitest';
import { ADAMW_DEFAULTS, adamw_update, adamwState, clipGradNorm, gradNorm } from '../../src/core/train/optim.js';
import { HF_STANDIN } from '../helpers/shared.js';
import { BACKENDS, lossAndGradients } from './backends.js';
import { referenceCase } from './helpers.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe.each(BACKENDS)('TinyTalk stand-in on %s: one training step against the float64 reference', (backend) => {
  const { layout, params, ref, B, T, ids, labels, count } = referenceCase(HF_STANDIN(), 'golden', 'tinytalk_grads.json');
  const want = ref.float64;
  const { lossSum, grads } = lossAndGradients(backend, layout, params, ids, labels, B, T, 1 / count);
  const loss = lossSum / count;
  const byName = new Map(layout.tensors.map((t) => [t.name, t]));

  it('loss within 1e-5 relative', () => {
    expect(count).toBe(ref.loss_tokens);
    expect(rel(loss, want.loss)).toBeLessThan(1e-5);
  });

  it('total and per-tensor gradient norms within 1e-4 relative', () => {
    expect(rel(gradNorm(grads), want.grad_norm_total)).toBeLessThan(1e-4);
    for (const [name, l2] of Object.entries(want.grad_l2 as Record<string, number>)) {
      const t = byName.get(name)!;
      expect(t, name).toBeDefined();
      expect(rel(gradNorm(grads.subarray(t.offset, t.offset + t.size)), l2), name).toBeLessThan(1e-4);
    }
  });

  it('first 8 gradient values within 1e-3 × the largest of them', () => {
    for (const [name, first8] of Object.entries(want.grad_first8 as Record<string, number[]>)) {
      const t = byName.get(name)!;
      const scale = Math.max(...first8.map(Math.abs));
      for (let i = 0; i < 8; i++) expect(Math.abs(grads[t.offset + i]! - first8[i]!), `${name}[${i}]`).toBeLessThanOrEqual(1e-3 * scale);
    }
  });

  it('parameters after one clipped AdamW step (lr 5e-4, wd 0.01) within 1.5e-6 (5e-5 where sensitive)', () => {
    for (const [name, first8] of Object.entries(ref.params_before_first8 as Record<string, number[]>)) {
      const t = byName.get(name)!;
      for (let i = 0; i < 8; i++) expect(params[t.offset + i], `${name}[${i}] before`).toBe(Math.fround(first8[i]!));
    }
    const norm = clipGradNorm(grads, 1.0);
    expect(rel(norm, want.grad_norm_total)).toBeLessThan(1e-4);
    adamw_update(params, grads, adamwState(layout.total), 5e-4, { ...ADAMW_DEFAULTS, weightDecay: 0.01 });
    const sensitive = new Set((ref.sensitive_after_step as [string, number][]).map(([n, i]) => `${n}[${i}]`));
    for (const [name, first8] of Object.entries(want.params_after_step_first8 as Record<string, number[]>)) {
      const t = byName.get(name)!;
      for (let i = 0; i < 8; i++) {
        const key = `${name}[${i}]`;
        expect(Math.abs(params[t.offset + i]! - first8[i]!), key).toBeLessThanOrEqual(sensitive.has(key) ? 5e-5 : 1.5e-6);
      }
    }
  });
});
