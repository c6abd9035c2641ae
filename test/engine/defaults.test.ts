// Sampling defaults: the model card's (temperature 0.7, top-k 40) unless the checkpoint's
// generation_config.json says otherwise — checked through loadModel on a copy of the stand-in
// whose generation_config.json asks for greedy decoding of 40 tokens (the PyTorch golden's run).
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import { loadModel } from '../../src/node/load.js';
import { HF_STANDIN, sharedJson } from '../helpers/shared.js';
import { standIn } from './models.js';

const golden = sharedJson<{ entries: Array<{ kind: string; prompt: string; greedy_ids: number[]; finish_reason: string }> }>('golden', 'hf_forward_f32.json');

describe('generation defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tinytalk-defaults-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without a say in generation_config.json: the model card, temperature 0.7 and top-k 40', async () => {
    const model = await standIn();
    expect(model.generation).toMatchObject({ temperature: 0.7, topK: 40, topP: 1, repetitionPenalty: 1 });
    const prompt = 'User: what is your favorite color?\nBot:';
    const plain = await generate(model, prompt, { seed: 3, maxTokens: 20 });
    const card = await generate(model, prompt, { seed: 3, maxTokens: 20, temperature: 0.7, topK: 40, topP: 1, minP: 0, repetitionPenalty: 1 });
    const hot = await generate(model, prompt, { seed: 3, maxTokens: 20, temperature: 1.5, topK: 0 });
    expect(plain.ids).toEqual(card.ids);
    expect(hot.ids).not.toEqual(card.ids);
  });

  it('generation_config.json overrides them: temperature 0 and 40 tokens give the PyTorch greedy runs', async () => {
    for (const f of readdirSync(HF_STANDIN())) if (f !== 'generation_config.json') symlinkSync(join(HF_STANDIN(), f), join(dir, f));
    writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ eos_token_id: 14018, temperature: 0, max_new_tokens: 40 }));
    const model = await loadModel(dir);
    expect(model.generation).toMatchObject({ temperature: 0, maxNewTokens: 40 });
    for (const e of golden.entries.filter((x) => x.kind === 'chat').slice(0, 2)) {
      const r = await generate(model, e.prompt);
      expect(r.ids).toEqual(e.greedy_ids);
      expect(r.finishReason).toBe(e.finish_reason);
    }
  });
});
