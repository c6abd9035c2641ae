// v3 firmware mode against the v3 firmware engine's host build (golden/v3): greedy at the
// firmware's window of 80, and with windows of 40 and 64 where the attention-sink slide runs.
import { describe, expect, it } from 'vitest';
import { sharedJson } from '../helpers/shared.js';
import { v3Model } from '../engine/models.js';
import { expectGreedy, type V3Entry } from './goldens.js';

const greedy = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'generate_firmware_greedy_tinytalk1_v3.json').entries;
const slide = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'generate_firmware_slide_tinytalk1_v3.json').entries;

describe('v3 firmware greedy decoding equals the v3 engine (host build)', () => {
  it('kv80, the firmware window: all 33 entries (ids, finish, text, first-step float32 top-5)', async () => {
    expect(await expectGreedy(await v3Model(), greedy, 'kv80', 60)).toBe(33);
  });

  it('kv40 with its slides: the 31 entries whose prompt fits the budget of 32', async () => {
    expect(await expectGreedy(await v3Model(), slide, 'kv40_slide', 60)).toBe(31);
  });

  it('kv64 with its slides: all 33 entries', async () => {
    expect(await expectGreedy(await v3Model(), slide, 'kv64_slide', 60)).toBe(33);
  });
});
