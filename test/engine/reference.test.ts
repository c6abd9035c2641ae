// The float32 reference engine against the PyTorch GPT-Neo reference (golden/hf_forward_f32.json).
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { sharedJson } from '../helpers/shared.js';
import { standIn } from './models.js';

interface Entry {
  kind: string;
  prompt: string;
  prompt_ids: number[];
  last_logits: { top20: Array<[number, number]>; sum: number; max: number; l2: number };
  greedy_ids: number[];
  finish_reason: string;
  text: string;
  greedy_ids_no_stop: number[];
  finish_reason_no_stop: string;
}

const golden = sharedJson<{ entries: Entry[] }>('golden', 'hf_forward_f32.json');

describe('reference mode equals Hugging Face GPT-Neo in float32 (stand-in checkpoint)', () => {
  it('last-position logits: top-20 ids and values, max, l2 and sum', async () => {
    const model = await standIn();
    const engine = new Transformer(model, { maxBatch: 1 });
    let worst = 0;
    for (const e of golden.entries) {
      const where = `${e.kind} ${JSON.stringify(e.prompt.slice(0, 40))}`;
      expect(model.tokenizer.encode(e.prompt), where).toEqual(e.prompt_ids);
      const logits = engine.prefill(engine.newSequence(), e.prompt_ids);
      const order = [...logits.keys()].sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, 20);
      expect(order, where).toEqual(e.last_logits.top20.map(([id]) => id));
      for (const [id, v] of e.last_logits.top20) worst = Math.max(worst, Math.abs(logits[id]! - v));
      let sum = 0;
      let sq = 0;
      let max = -Infinity;
      for (const v of logits) {
        sum += v;
        sq += v * v;
        max = Math.max(max, v);
      }
      expect(Math.abs(max - e.last_logits.max), where).toBeLessThan(1e-3);
      expect(Math.abs(Math.sqrt(sq) / e.last_logits.l2 - 1), where).toBeLessThan(1e-5);
      expect(Math.abs(sum / e.last_logits.sum - 1), where).toBeLessThan(1e-5);
    }
    expect(worst).toBeLessThan(1e-3);
  });

  it('greedy continuations, stopping at EOS and with EOS fed back', async () => {
    const model = await standIn();
    const engine = new Transformer(model, { maxBatch: 1 });
    for (const e of golden.entries) {
      const where = `${e.kind} ${JSON.stringify(e.prompt.slice(0, 40))}`;
      const r = await generate(model, e.prompt, { temperature: 0, maxTokens: 40, engine });
      expect(r.promptIds, where).toEqual(e.prompt_ids);
      expect(r.ids, where).toEqual(e.greedy_ids);
      expect(r.finishReason, where).toBe(e.finish_reason);
      expect(r.text, where).toBe(e.text);
      const n = await generate(model, e.prompt_ids, { temperature: 0, maxTokens: 40, engine, stopOnEos: false });
      expect(n.ids, where).toEqual(e.greedy_ids_no_stop);
      expect(n.finishReason, where).toBe(e.finish_reason_no_stop);
    }
  });
});
