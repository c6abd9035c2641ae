// --fma against the build whose multiply-adds are fused, as the ESP32's are
// (golden/v3/variants/fma_contract): greedy at 80, 40 and 64 slots, and seeded sampling.
import { describe, expect, it } from 'vitest';
import { sharedJson } from '../helpers/shared.js';
import { v3Model } from '../engine/models.js';
import { expectGreedy, expectSampled, type V3Entry } from './goldens.js';

const variant = (file: string): V3Entry[] => sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'variants', 'fma_contract', file).entries;

describe('fused multiply-adds equal the fma_contract build', () => {
  it('greedy at kv80: all 33 entries', async () => {
    expect(await expectGreedy(await v3Model(), variant('generate_firmware_greedy_tinytalk1_v3.json'), 'kv80', 60, { fma: true })).toBe(33);
  });

  it('greedy with slides at kv40 and kv64', async () => {
    const entries = variant('generate_firmware_slide_tinytalk1_v3.json');
    expect(await expectGreedy(await v3Model(), entries, 'kv40_slide', 60, { fma: true })).toBe(31);
    expect(await expectGreedy(await v3Model(), entries, 'kv64_slide', 60, { fma: true })).toBe(33);
  });

  it('seeded sampling, top-p 0.9 and 1.0', async () => {
    await expectSampled(await v3Model(), variant('sample_firmware_seed1234_tinytalk1_v3.json'), 40, { fma: true });
  });

  it('differs from the host build where the goldens say the builds differ', async () => {
    // the variant files disagree with the main ones on 9 of 33 greedy texts: fma is not a no-op
    const main = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'generate_firmware_greedy_tinytalk1_v3.json').entries;
    const fused = variant('generate_firmware_greedy_tinytalk1_v3.json');
    const differing = main.filter((e, i) => JSON.stringify((e.kv80 as { ids: number[] }).ids) !== JSON.stringify((fused[i]!.kv80 as { ids: number[] }).ids));
    expect(differing.length).toBeGreaterThan(0);
    await expect(expectGreedy(await v3Model(), differing, 'kv80', 60, { fma: true })).rejects.toThrow();
  });
});
