// The random dim-256 v3 blob (TinyTalk 2's geometry: window 72, a KV scale group spanning two
// heads, ~10 slides per prompt, the position stop at 255) against the v3 engine's host build
// (golden/v3/random_dim256): 33 greedy runs of 240 tokens and 10 seeded ones of 120.
import { describe, expect, it } from 'vitest';
import { sharedJson } from '../helpers/shared.js';
import { dim256Model } from '../engine/models.js';
import { expectGreedy, expectSampled, type V3Entry } from './goldens.js';

const file = (name: string): V3Entry[] => sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'random_dim256', name).entries;

describe('dim 256: the v3 firmware window, slides and position stop', () => {
  const greedy = file('generate_firmware_greedy_random_dim256.json');
  for (const [part, from, to] of [['first', 0, 11], ['second', 11, 22], ['third', 22, 33]] as const) {
    it(`greedy kv72, ${part} third of the 33 entries (ids, finish, text, slides, first-step top-5)`, async () => {
      expect(await expectGreedy(await dim256Model(), greedy.slice(from, to), 'kv72', 240)).toBe(to - from);
    });
  }

  it('seeded sampling with top-p 0.9 and 1.0 (38 slides among them)', async () => {
    await expectSampled(await dim256Model(), file('sample_firmware_seed1234_random_dim256.json'), 120);
  });
});
