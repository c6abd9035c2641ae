// Firmware mode against the firmware engine's own greedy runs (golden/generate_firmware_greedy.json)
// and the measured reference values of firmware-format.md 3.7.
import { describe, expect, it } from 'vitest';
import { FirmwareEngine } from '../../src/core/firmware/firmware-engine.js';
import { generate } from '../../src/core/generate/generate.js';
import { sharedJson } from '../helpers/shared.js';
import { v2Model } from './models.js';

interface Run {
  prompt_ids: number[];
  ids: number[];
  finish_reason: string;
  text: string;
  first_top5: Array<[number, number]>;
}
interface Entry {
  kind: string;
  prompt: string;
  kv80: Run;
  kv256: Run;
}

const golden = sharedJson<{ entries: Entry[] }>('golden', 'generate_firmware_greedy.json');

describe('firmware greedy decoding equals the device engine', () => {
  it('has the 33 entries', () => expect(golden.entries).toHaveLength(33));

  for (const kv of [80, 256] as const) {
    it(`kv${kv}: prompt ids, generated ids, finish reason, text and first-step top-5 of every entry`, async () => {
      const model = await v2Model();
      const engine = new FirmwareEngine(model, { context: kv, maxBatch: 1 });
      for (const e of golden.entries) {
        const want = e[`kv${kv}`];
        let firstLogits: Float32Array | undefined;
        const r = await generate(model, e.prompt, {
          firmware: true,
          temperature: 0,
          maxTokens: 60,
          engine,
          processLogits: (logits, ids) => {
            if (ids.length === 0) firstLogits = logits.slice();
          },
        });
        const where = `${kv} ${JSON.stringify(e.prompt)}`;
        expect(r.promptIds, where).toEqual(want.prompt_ids);
        expect(r.ids, where).toEqual(want.ids);
        expect(r.finishReason, where).toBe(want.finish_reason);
        expect(r.text, where).toBe(want.text);
        for (const [id, value] of want.first_top5) expect(Math.abs(firstLogits![id]! - value), `${where} logit ${id}`).toBeLessThan(2e-3);
      }
    });
  }
});

describe('firmware-format.md 3.7 reference values (KV window 80)', () => {
  it.each([
    {
      prompt: 'User: hi! how are you today?\nBot:',
      maxTokens: 60,
      top5: [[314, 19.235069], [3410, 15.218683], [1782, 14.57254], [8405, 13.941072], [768, 13.369171]],
      ids: [314, 1080, 1710, 867, 11, 4602, 345, 13, 1329, 389, 345, 30], // then EOS 14018
      text: " I'm doing well, thank you. How are you?",
      finish: 'eos',
    },
    {
      prompt: 'Summary: a girl finds a lost cat.\nStory:',
      maxTokens: 20,
      top5: [[4009, 16.555229], [220, 16.37578], [1773, 15.393239], [317, 10.274409], [553, 9.490812]],
      ids: [4009, 2218, 257, 638, 11, 610, 373, 257, 2360, 3219, 9824, 13, 1330, 549, 257, 1232, 11, 2102, 2389, 290],
      text: ' Once upon a time, there was a girl named Lily. She had a big, red ball and',
      finish: 'length',
    },
  ])('$prompt: first-step top-5 and the continuation', async (want) => {
    let first: Float32Array | undefined;
    const r = await generate(await v2Model(), want.prompt, {
      firmware: true,
      temperature: 0,
      maxTokens: want.maxTokens,
      processLogits: (l, ids) => {
        if (ids.length === 0) first = l.slice();
      },
    });
    for (const [id, v] of want.top5) expect(Math.abs(first![id]! - v!)).toBeLessThan(1e-5); // 6 decimals; libm differences ~1e-6 (section 3)
    const order = [...first!.keys()].sort((a, b) => first![b]! - first![a]!).slice(0, 5);
    expect(order).toEqual(want.top5.map(([id]) => id));
    expect(r.ids).toEqual(want.ids);
    expect(r.text).toBe(want.text);
    expect(r.finishReason).toBe(want.finish);
  });
});
