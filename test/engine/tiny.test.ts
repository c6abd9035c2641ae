// Local attention, masking and the loss on the tiny random GPT-Neo (window 8) against the float64
// reference of golden/tiny_model/grads.json.
import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/core/model/transformer.js';
import { sharedJson } from '../helpers/shared.js';
import { tinyModel } from './models.js';

interface Grads {
  input_ids: number[][];
  labels: number[][];
  float64: { loss: number; logits: number[] };
  loss_if_both_layers_global_float64: number;
}

const g = sharedJson<Grads>('golden', 'tiny_model', 'grads.json');

/** Hugging Face's causal-LM loss: mean cross-entropy of logits[t] against labels[t+1], −100 ignored. */
function shiftedLoss(logits: Float32Array[], labels: number[][], V: number): number {
  let sum = 0;
  let count = 0;
  labels.forEach((row, b) => {
    for (let t = 0; t + 1 < row.length; t++) {
      const label = row[t + 1]!;
      if (label === -100) continue;
      const l = logits[b]!.subarray(t * V, (t + 1) * V);
      let max = -Infinity;
      for (const v of l) max = Math.max(max, v);
      let z = 0;
      for (const v of l) z += Math.exp(v - max);
      sum += Math.log(z) + max - l[label]!;
      count++;
    }
  });
  return sum / count;
}

describe('tiny GPT-Neo with a local window of 8', () => {
  it('all-position logits within 1e-5 of the float64 reference, loss within 1e-6 relative', async () => {
    const model = tinyModel();
    expect(model.config.windowSize).toBe(8);
    const engine = new Transformer(model);
    const V = model.config.vocabSize;
    const logits = g.input_ids.map((ids) => engine.forward(ids, { allLogits: true }));
    let worst = 0;
    logits.forEach((l, b) => {
      const ref = g.float64.logits.slice(b * l.length, (b + 1) * l.length);
      ref.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - l[i]!))));
    });
    expect(worst).toBeLessThan(1e-5);
    expect(Math.abs(shiftedLoss(logits, g.labels, V) / g.float64.loss - 1)).toBeLessThan(1e-6);
  });

  it('without the local mask the loss is the reference "both layers global" one', async () => {
    const model = tinyModel();
    const global = { ...model, config: { ...model.config, attentionLayers: model.config.attentionLayers.map(() => 'global' as const) } };
    const engine = new Transformer(global);
    const logits = g.input_ids.map((ids) => engine.forward(ids));
    const loss = shiftedLoss(logits, g.labels, model.config.vocabSize);
    expect(Math.abs(loss / g.loss_if_both_layers_global_float64 - 1)).toBeLessThan(1e-6);
    expect(Math.abs(loss - g.float64.loss)).toBeGreaterThan(0.05);
  });

  it('refuses positions past max_position_embeddings', async () => {
    const model = tinyModel();
    const engine = new Transformer(model);
    const seq = engine.newSequence();
    engine.prefill(seq, new Array<number>(64).fill(1));
    expect(() => engine.decode([seq], [1])).toThrow(/context holds 64 positions/);
    expect(() => engine.prefill(engine.newSequence(), new Array<number>(65).fill(1))).toThrow(/do not fit the context of 64/);
  });
});
