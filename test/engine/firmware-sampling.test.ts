// The firmware sampler (xorshift64*, full softmax, one draw per token) against the device's runs.
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import { sharedJson } from '../helpers/shared.js';
import { v2Model } from './models.js';

const golden = sharedJson<{ entries: Array<{ prompt: string; prompt_ids: number[]; text: string }> }>('golden', 'sample_firmware_seed1234.json');

describe('firmware sampling with seed 1234, temperature 0.8', () => {
  it('gives the ids of firmware-format.md 3.7 for "Once upon a time"', async () => {
    const r = await generate(await v2Model(), 'Once upon a time', { firmware: true, temperature: 0.8, seed: 1234, maxTokens: 20 });
    expect(r.ids).toEqual([11, 610, 373, 257, 12105, 13, 675, 373, 833, 5974, 13, 675, 549, 4701, 286, 8487, 290, 4701, 286, 1226]);
    expect(r.text).toBe(', there was a crab. He was very organized. He had lots of toys and lots of fun');
  });

  it.each(golden.entries.map((e) => [e.prompt, e] as const))('%j gives the device text', async (_, e) => {
    const r = await generate(await v2Model(), e.prompt, { firmware: true, temperature: 0.8, seed: 1234, maxTokens: 40, context: 80 });
    expect(r.promptIds).toEqual(e.prompt_ids);
    expect(r.text).toBe(e.text);
  });

  it('the default temperature is the device\'s 0.8', async () => {
    const e = golden.entries[0]!;
    const r = await generate(await v2Model(), e.prompt, { firmware: true, seed: 1234, maxTokens: 40 });
    expect(r.text).toBe(e.text);
  });

  it('is reproducible, and another seed gives another text', async () => {
    const model = await v2Model();
    const opts = { firmware: true, temperature: 1, maxTokens: 30 } as const;
    const a = await generate(model, 'Once upon a time', { ...opts, seed: 7 });
    const b = await generate(model, 'Once upon a time', { ...opts, seed: 7 });
    const c = await generate(model, 'Once upon a time', { ...opts, seed: 8 });
    expect(b.ids).toEqual(a.ids);
    expect(c.ids).not.toEqual(a.ids);
  });

  it('refuses sampling controls the device does not have', async () => {
    await expect(generate(await v2Model(), 'hi', { firmware: true, topK: 5 })).rejects.toThrow(/temperature and seed only/);
  });
});
