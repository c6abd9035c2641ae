// Gradient check on the random tiny GPT-Neo (window 8, so the local mask matters): our float32
// forward/backward against the float64 PyTorch-reference loss, logits and every gradient element.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { countTargets, gpt_backward, gpt_forward, planActivations } from '../../src/core/train/gpt.js';
import { paramLayout, paramsFromSafetensors } from '../../src/core/train/params.js';
import { sharedJson, TINY_MODEL } from '../helpers/shared.js';

describe('tiny GPT-Neo: forward and backward against the float64 reference', () => {
  const dir = TINY_MODEL();
  const config = parseHfConfig(readFileSync(join(dir, 'config.json'), 'utf8'), 'config.json');
  const layout = paramLayout(config);
  const params = paramsFromSafetensors(layout, parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors'));
  const ref = sharedJson('golden', 'tiny_model', 'grads.json');
  const B = ref.input_ids.length as number;
  const T = ref.input_ids[0].length as number;
  const ids = Int32Array.from(ref.input_ids.flat());
  const labels = Int32Array.from(ref.labels.flat());
  const acts = planActivations(layout, B, T);
  const count = countTargets(labels, B, T);
  const lossSum = gpt_forward(layout, params, acts, ids, labels, B, T, true);
  const logits = acts.logits.slice(0, B * T * config.vocabSize);
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
  });

  it('needs the local mask: the reference loss with both layers global differs', () => {
    expect(Math.abs(lossSum / count - ref.loss_if_both_layers_global_float64)).toBeGreaterThan(0.05);
  });
});
