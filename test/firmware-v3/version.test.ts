// --firmware-version: each blob run on the other firmware's arithmetic. The two blobs hold the
// same weights under different vocabulary prunes, so every logit of a token both keep is the
// same number; a run on the v2 blob with v3 arithmetic must therefore follow the v3 goldens (and
// the v3 blob with v2 arithmetic the v2 goldens) token for token, until the first step where the
// token chosen is one the other prune dropped.
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import type { Model } from '../../src/core/neo/model.js';
import { sharedJson } from '../helpers/shared.js';
import { v2Model, v3Model } from '../engine/models.js';
import type { V3Entry, V3Run } from './goldens.js';

interface V2Entry {
  prompt: string;
  kv80: { prompt_ids: number[]; ids: number[]; finish_reason: string; first_top5: Array<[number, number]> };
}

/** from's ids → to's ids through the pieces' bytes (−1: to has no such token). */
function idMap(from: Model, to: Model): (id: number) => number {
  const key = (m: Model, id: number) => Array.from(m.tokenizer.piece(id)).join(',');
  const ids = new Map<string, number>();
  for (let i = 0; i < to.config.vocabSize; i++) ids.set(key(to, i), i);
  return (id) => ids.get(key(from, id)) ?? -1;
}

/** Index of the first difference, or -1. */
const firstDiff = (a: number[], b: number[]): number => {
  for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return -1;
};

describe('--firmware-version', () => {
  it('the v2 blob on v3 arithmetic says what the v3 engine says, up to tokens the v3 prune lacks', async () => {
    const [v2, v3] = [await v2Model(), await v3Model()];
    const toV3 = idMap(v2, v3);
    const entries = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'generate_firmware_greedy_tinytalk1_v3.json').entries;
    let same = 0, compared = 0;
    for (const e of entries) {
      const want = e.kv80 as V3Run;
      let first: Float32Array | undefined;
      const r = await generate(v2, e.prompt, {
        firmware: true, firmwareVersion: 3, temperature: 0, maxTokens: 60,
        processLogits: (l, ids) => void (ids.length === 0 && (first = l.slice())),
      });
      if (JSON.stringify(r.promptIds.map(toV3)) !== JSON.stringify(want.prompt_ids)) continue; // encoded differently
      compared++;
      // first-step logits of the tokens both keep: the same float32 values
      const fromV3 = new Map(Array.from({ length: v2.config.vocabSize }, (_, id) => [toV3(id), id]));
      for (const [id, value] of want.first_top5_f32!) expect(first![fromV3.get(id)!], e.prompt).toBe(Math.fround(value));
      const ids = r.ids.map(toV3);
      const k = firstDiff(ids, want.ids);
      if (k < 0) {
        expect(r.finishReason, e.prompt).toBe(want.finish_reason);
        same++;
      } else {
        expect(ids[k], `${e.prompt} step ${k}`).toBe(-1);
      }
    }
    expect(compared).toBeGreaterThanOrEqual(32);
    expect(same).toBeGreaterThanOrEqual(29);
  });

  it('the v3 blob on v2 arithmetic says what the v2 engine says, up to tokens the v3 prune dropped', async () => {
    const [v2, v3] = [await v2Model(), await v3Model()];
    const toV2 = idMap(v3, v2), toV3 = idMap(v2, v3);
    const entries = sharedJson<{ entries: V2Entry[] }>('golden', 'generate_firmware_greedy.json').entries;
    let same = 0, compared = 0;
    for (const e of entries) {
      let first: Float32Array | undefined;
      const r = await generate(v3, e.prompt, {
        firmware: true, firmwareVersion: 2, temperature: 0, maxTokens: 60,
        processLogits: (l, ids) => void (ids.length === 0 && (first = l.slice())),
      });
      if (JSON.stringify(r.promptIds.map(toV2)) !== JSON.stringify(e.kv80.prompt_ids)) continue;
      compared++;
      for (const [id, value] of e.kv80.first_top5) {
        if (toV3(id) >= 0) expect(Math.abs(first![toV3(id)]! - value), e.prompt).toBeLessThan(2e-3); // 3 decimals
      }
      const ids = r.ids.map(toV2);
      const k = firstDiff(ids, e.kv80.ids);
      if (k < 0) {
        expect(r.finishReason, e.prompt).toBe(e.kv80.finish_reason);
        same++;
      } else {
        expect(toV3(e.kv80.ids[k]!), `${e.prompt} step ${k}`).toBe(-1);
      }
    }
    expect(compared).toBeGreaterThanOrEqual(32);
    expect(same).toBeGreaterThanOrEqual(30);
  });

  it('is 2 or 3, and only in firmware mode; fma only with v3 arithmetic', async () => {
    const v2 = await v2Model();
    await expect(generate(v2, 'hi', { firmware: true, firmwareVersion: 4 })).rejects.toThrow(/2 or 3, got 4/);
    await expect(generate(v2, 'hi', { firmwareVersion: 3 })).rejects.toThrow(/add firmware mode/);
    await expect(generate(v2, 'hi', { firmware: true, fma: true })).rejects.toThrow(/v2 arithmetic has no such variant/);
    const r = await generate(v2, 'hi', { firmware: true, firmwareVersion: 3, fma: true, temperature: 0, maxTokens: 3, stopOnEos: false });
    expect(r.ids).toHaveLength(3);
  });
});
