// --from-scratch weights follow Hugging Face GPT-Neo's _init_weights: linear and embedding weights
// ~ N(0, 0.02), biases 0, LayerNorm weights 1 and biases 0; the same seed gives the same weights.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { randomParams } from '../../src/core/train/init.js';
import { paramLayout } from '../../src/core/train/params.js';
import { sharedPath } from '../helpers/shared.js';

describe('random initialisation of a config', () => {
  const config = parseHfConfig(readFileSync(sharedPath('golden', 'tiny_model', 'config.json'), 'utf8'), 'config.json');
  const layout = paramLayout(config);
  const p = randomParams(layout, 7);

  it.each(layout.tensors.map((t) => [t.name, t] as const))('%s', (name, t) => {
    const x = p.subarray(t.offset, t.offset + t.size);
    if (/\.ln_(1|2|f)\.weight$/.test(name)) expect(x.every((v) => v === 1)).toBe(true);
    else if (name.endsWith('.bias')) expect(x.every((v) => v === 0)).toBe(true);
    else {
      let s = 0;
      let s2 = 0;
      for (const v of x) {
        s += v;
        s2 += v * v;
      }
      const mean = s / x.length;
      const std = Math.sqrt(s2 / x.length - mean * mean);
      // the smallest matrix here has 1,024 elements: the sample std is within ~5% of 0.02
      expect(Math.abs(mean)).toBeLessThan(0.003);
      expect(std).toBeGreaterThan(0.018);
      expect(std).toBeLessThan(0.022);
    }
  });

  it('is reproducible from the seed and differs between seeds', () => {
    expect(randomParams(layout, 7)).toEqual(p);
    expect(randomParams(layout, 8)[0]).not.toBe(p[0]);
  });
});
