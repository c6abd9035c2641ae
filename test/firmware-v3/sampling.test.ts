// The v3 sampler against the v3 engine's seeded runs (seed 1234, temperature 0.8): top-p 0.9
// (the firmware's default, so no option given) and 1.0 (the full multinomial walk of v2).
import { describe, expect, it } from 'vitest';
import { generate } from '../../src/core/generate/generate.js';
import { sharedJson } from '../helpers/shared.js';
import { v2Model, v3Model } from '../engine/models.js';
import { expectSampled, type V3Entry } from './goldens.js';

const sampled = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'sample_firmware_seed1234_tinytalk1_v3.json').entries;

describe('v3 firmware sampling', () => {
  it('gives the 5 sampled runs with top-p 0.9 and with 1.0', async () => {
    await expectSampled(await v3Model(), sampled, 40);
  });

  it('refuses top-p on v2 arithmetic (the v2 firmware has none) and top-k on either', async () => {
    await expect(generate(await v2Model(), 'hi', { firmware: true, topP: 0.9 })).rejects.toThrow(/top-p is the v3 firmware's/);
    await expect(generate(await v3Model(), 'hi', { firmware: true, topK: 5 })).rejects.toThrow(/temperature, top-p and seed/);
    await expect(generate(await v3Model(), 'hi', { firmware: true, topP: 1.5 })).rejects.toThrow(/top-p must be in \(0, 1\]/);
  });
});
