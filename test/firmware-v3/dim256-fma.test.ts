// --fma on the random dim-256 v3 blob against the fused build (golden/v3/random_dim256/variants).
import { describe, expect, it } from 'vitest';
import { sharedJson } from '../helpers/shared.js';
import { dim256Model } from '../engine/models.js';
import { expectGreedy, expectSampled, type V3Entry } from './goldens.js';

const file = (name: string): V3Entry[] => sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'random_dim256', 'variants', 'fma_contract', name).entries;

describe('dim 256 with fused multiply-adds equals the fma_contract build', () => {
  const greedy = file('generate_firmware_greedy_random_dim256.json');
  for (const [part, from, to] of [['first', 0, 11], ['second', 11, 22], ['third', 22, 33]] as const) {
    it(`greedy kv72, ${part} third of the 33 entries`, async () => {
      expect(await expectGreedy(await dim256Model(), greedy.slice(from, to), 'kv72', 240, { fma: true })).toBe(to - from);
    });
  }

  it('seeded sampling with top-p 0.9 and 1.0', async () => {
    await expectSampled(await dim256Model(), file('sample_firmware_seed1234_random_dim256.json'), 120, { fma: true });
  });
});
