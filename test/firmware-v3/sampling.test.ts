// The v3 sampler against the v3 engine's seeded runs (seed 1234, temperature 0.8): top-p 0.9
// (the firmware's default, so no option given) and 1.0 (the full multinomial walk of v2).
import { describe, expect, it } from 'vitest';
import { FirmwareV3Sampler } from '../../src/core/sample/firmware-v3-sampler.js';
import { generate } from '../../src/core/generate/generate.js';
import { sharedJson } from '../helpers/shared.js';
import { v2Model, v3Model } from '../engine/models.js';
import { expectSampled, type V3Entry } from './goldens.js';

const sampled = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'sample_firmware_seed1234_tinytalk1_v3.json').entries;

describe('v3 firmware sampling', () => {
  it('gives the 5 sampled runs with top-p 0.9 and with 1.0', async () => {
    await expectSampled(await v3Model(), sampled, 40);
  });

  it('draws only inside the nucleus, in proportion', () => {
    // probabilities 0.4, 0.3, 0.2, 0.1 (temperature 1): top-p 0.5 keeps the first two (0.7 ≥ 0.5)
    const counts = [0, 0, 0, 0];
    for (let seed = 1; seed <= 4000; seed++) {
      const s = new FirmwareV3Sampler(1, 0.5, seed);
      counts[s.sample(Float32Array.from([0.4, 0.3, 0.2, 0.1], Math.log))]!++;
    }
    expect(counts[2]! + counts[3]!).toBe(0);
    expect(counts[0]! / counts[1]!).toBeGreaterThan(1.2); // 4 : 3 expected
    expect(counts[0]! / counts[1]!).toBeLessThan(1.5);
  });

  it('takes the nucleus among the 64 most likely tokens only (a later equal token never replaces one)', () => {
    // 100 equally likely tokens: the first 64 fill the array and hold 0.64 < 0.9, so all 64 stay
    const seen = new Set<number>();
    for (let seed = 1; seed <= 2000; seed++) seen.add(new FirmwareV3Sampler(1, 0.9, seed).sample(new Float32Array(100)));
    expect(Math.max(...seen)).toBeLessThan(64);
    expect(seen.size).toBeGreaterThan(60);
  });

  it('refuses top-p on v2 arithmetic (the v2 firmware has none) and top-k on either', async () => {
    await expect(generate(await v2Model(), 'hi', { firmware: true, topP: 0.9 })).rejects.toThrow(/top-p is the v3 firmware's/);
    await expect(generate(await v3Model(), 'hi', { firmware: true, topK: 5 })).rejects.toThrow(/temperature, top-p and seed/);
    await expect(generate(await v3Model(), 'hi', { firmware: true, topP: 1.5 })).rejects.toThrow(/top-p must be in \(0, 1\]/);
  });
});
