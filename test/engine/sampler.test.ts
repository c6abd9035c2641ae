// The reference sampler's filters on hand-made distributions, and the xorshift64* stream.
import { describe, expect, it } from 'vitest';
import { XorShift64Star } from '../../src/core/sample/rng.js';
import { Sampler, type SamplingOptions } from '../../src/core/sample/sampler.js';
import { StopText } from '../../src/core/generate/stop.js';

const base: SamplingOptions = { temperature: 1, topK: 0, topP: 1, minP: 0, repetitionPenalty: 1, seed: 42 };

/** Ids drawn in `n` draws (fresh logits each time: the sampler modifies them). */
function draws(logits: number[], o: Partial<SamplingOptions>, n = 2000, seen: number[] = []): Map<number, number> {
  const s = new Sampler({ ...base, ...o }, logits.length);
  s.observe(seen);
  const counts = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const id = s.sample(Float32Array.from(logits));
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

const logp = (ps: number[]): number[] => ps.map(Math.log);

describe('sampler', () => {
  it('temperature 0 is argmax with the lowest id on ties', () => {
    expect([...draws([1, 3, 3, 2], { temperature: 0 }, 5).keys()]).toEqual([1]);
  });

  it('samples in proportion to the probabilities', () => {
    const c = draws(logp([0.5, 0.3, 0.2]), {}, 20000);
    expect(c.get(0)! / 20000).toBeCloseTo(0.5, 1);
    expect(c.get(2)! / 20000).toBeCloseTo(0.2, 1);
  });

  it.each([
    ['top-k 2', { topK: 2 }, [0, 1]],
    ['top-p 0.6 (0.5 alone is below it)', { topP: 0.6 }, [0, 1]],
    ['top-p 0.5 (0.5 reaches it)', { topP: 0.5 }, [0]],
    ['min-p 0.5 (0.2 < 0.25)', { minP: 0.5 }, [0, 1]],
    ['min-p 0.3 (0.2 ≥ 0.15)', { minP: 0.3 }, [0, 1, 2]],
  ] as const)('%s keeps ids %j', (_, o, kept) => {
    expect([...draws(logp([0.5, 0.3, 0.2, 0.0]), o).keys()].sort()).toEqual(kept);
  });

  it('repetition penalty divides positive and multiplies negative logits of seen ids (HF)', () => {
    // id 0: 2 → 1 (below id 1's 1.5); id 2: −1 → −4 (below id 3's −2)
    expect([...draws([2, 1.5, -1, -2], { temperature: 0, repetitionPenalty: 2 }, 1, [0]).keys()]).toEqual([1]);
    const s = new Sampler({ ...base, temperature: 0, repetitionPenalty: 4 }, 4);
    s.observe([2, 0, 1]);
    expect(s.sample(Float32Array.from([2, 1.5, -1, 0.6]))).toBe(3); // 0.5, 0.375, −4, 0.6
  });

  it('refuses out-of-range options', () => {
    expect(() => new Sampler({ ...base, topP: 0 }, 4)).toThrow(/top-p/);
    expect(() => new Sampler({ ...base, temperature: -1 }, 4)).toThrow(/temperature/);
  });
});

describe('xorshift64*', () => {
  it('follows the recurrence computed independently with BigInt', () => {
    const mask = (1n << 64n) - 1n;
    let s = 1234n;
    const r = new XorShift64Star(1234);
    for (let i = 0; i < 100; i++) {
      s ^= s >> 12n;
      s = (s ^ (s << 25n)) & mask;
      s ^= s >> 27n;
      expect(r.nextU32()).toBe(Number(((s * 0x2545f4914f6cdd1dn) & mask) >> 32n));
    }
  });

  it('seed 0 means 0xC0FFEE', () => {
    const a = new XorShift64Star(0);
    const b = new XorShift64Star(0xc0ffee);
    expect(a.nextU32()).toBe(b.nextU32());
  });
});

describe('stop strings', () => {
  it('hold back a possible start and never release the stop string', () => {
    const s = new StopText(['\nUser', 'END']);
    expect(s.push('Hello')).toEqual({ text: 'Hello', stopped: false });
    expect(s.push(' there\nU')).toEqual({ text: ' there', stopped: false });
    expect(s.push('s')).toEqual({ text: '', stopped: false });
    expect(s.push('a')).toEqual({ text: '\nUsa', stopped: false });
    expect(s.push('!E')).toEqual({ text: '!', stopped: false });
    expect(s.push('NDmore')).toEqual({ text: '', stopped: true });
  });
});
