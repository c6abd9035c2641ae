// KV-cache decoding against full recomputation, batched decoding against one sequence at a time,
// and the firmware engine's batched prompt pass against its token-by-token loop (bit for bit).
import { describe, expect, it } from 'vitest';
import { FirmwareEngine } from '../../src/core/firmware/firmware-engine.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { tinyModel, v2Model } from './models.js';

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

// 40 positions: longer than the window of 8, so the local layer's mask is exercised while decoding
const ids = Array.from({ length: 40 }, (_, i) => (i * 37 + 11) % 299);

describe('float32 engine', () => {
  it('one-token decode steps give the logits of a full recomputation', () => {
    const model = tinyModel();
    const engine = new Transformer(model, { chunk: 7 }); // several prompt passes too
    const V = model.config.vocabSize;
    const full = engine.forward(ids); // (40, V)
    const seq = engine.newSequence();
    const last = engine.prefill(seq, ids.slice(0, 10));
    expect(maxDiff(last, full.subarray(9 * V, 10 * V))).toBeLessThan(1e-5);
    for (let t = 10; t < ids.length; t++) {
      const l = engine.decode([seq], [ids[t]!]);
      expect(maxDiff(l, full.subarray(t * V, (t + 1) * V)), `position ${t}`).toBeLessThan(1e-5);
    }
    expect(seq.length).toBe(40);
  });

  it('a batch of sequences decodes as each would alone', () => {
    const model = tinyModel();
    const V = model.config.vocabSize;
    const engine = new Transformer(model, { maxBatch: 3 });
    const prompts = [ids.slice(0, 5), ids.slice(7, 20), ids.slice(3, 4)];
    const batch = prompts.map((p) => {
      const s = engine.newSequence();
      engine.prefill(s, p);
      return s;
    });
    const alone = prompts.map((p) => {
      const s = engine.newSequence();
      engine.prefill(s, p);
      return s;
    });
    for (let step = 0; step < 12; step++) {
      const tokens = [step + 1, 2 * step + 3, 298 - step];
      const together = engine.decode(batch, tokens).slice();
      tokens.forEach((tok, b) => {
        const one = engine.decode([alone[b]!], [tok]);
        expect(maxDiff(together.subarray(b * V, (b + 1) * V), one), `step ${step} sequence ${b}`).toBeLessThan(1e-5);
      });
    }
  });

  it('rewinding a sequence reuses its cache like a fresh one', () => {
    const model = tinyModel();
    const engine = new Transformer(model);
    const seq = engine.newSequence();
    engine.prefill(seq, ids.slice(0, 20));
    engine.rewind(seq, 6);
    const again = engine.prefill(seq, ids.slice(6, 12)).slice();
    const fresh = engine.prefill(engine.newSequence(), ids.slice(0, 12));
    expect(maxDiff(again, fresh)).toBeLessThan(1e-5);
  });
});

describe('firmware engine', () => {
  it('a batched prompt pass equals feeding the tokens one at a time, bit for bit, also past the window', async () => {
    const model = await v2Model();
    const engine = new FirmwareEngine(model, { context: 16 });
    const prompt = [7815, 25, 10520, 0, 698, 389, 345, 1795, 30, 198, 9961, 25, 314, 1080, 1710, 867, 11, 4602, 345, 13];
    const batched = engine.prefill(engine.newSequence(), prompt, { allLogits: true });
    const seq = engine.newSequence();
    const V = model.config.vocabSize;
    engine.prefill(seq, prompt.slice(0, 1));
    for (let t = 1; t < prompt.length; t++) {
      const l = engine.decode([seq], [prompt[t]!]);
      expect(Array.from(l), `position ${t}`).toEqual(Array.from(batched.subarray(t * V, (t + 1) * V)));
    }
    expect(seq.length).toBe(16); // clamped to the window
  });

  it('batched decode equals decoding each sequence alone', async () => {
    const model = await v2Model();
    const V = model.config.vocabSize;
    const engine = new FirmwareEngine(model, { maxBatch: 2 });
    const a = [engine.newSequence(), engine.newSequence()];
    const b = [engine.newSequence(), engine.newSequence()];
    for (const [i, p] of [[7815, 25], [10298, 25, 257]].entries()) {
      engine.prefill(a[i]!, p);
      engine.prefill(b[i]!, p);
    }
    const together = engine.decode(a, [10520, 2360]).slice();
    expect(Array.from(together.subarray(0, V))).toEqual(Array.from(engine.decode([b[0]!], [10520])));
    expect(Array.from(together.subarray(V))).toEqual(Array.from(engine.decode([b[1]!], [2360])));
  });
});

describe('bad arguments get clear errors from both engines', () => {
  it.each(['float32', 'firmware'] as const)('%s', async (kind) => {
    const engine = kind === 'firmware' ? new FirmwareEngine(await v2Model(), { context: 16, maxBatch: 2 }) : new Transformer(tinyModel(), { maxBatch: 2 });
    const V = engine.config.vocabSize;
    const s = engine.newSequence();
    engine.prefill(s, [1, 2]);
    expect(() => engine.prefill(engine.newSequence(), [V])).toThrow(new RegExp(`token id ${V} is outside the vocabulary \\(0\\.\\.${V - 1}\\)`));
    expect(() => engine.prefill(engine.newSequence(), [])).toThrow(/at least one token/);
    expect(() => engine.decode([], [])).toThrow(/decode takes 1 to 2 sequences and one token each, got 0 and 0/);
    expect(() => engine.decode([s], [1, 2])).toThrow(/got 1 and 2/);
    expect(() => engine.decode([s, s], [1, 2])).toThrow(/the same sequence twice/);
    expect(() => engine.rewind(s, 3)).toThrow(/cannot rewind a sequence of 2 positions to 3/);
    const other = kind === 'firmware' ? new FirmwareEngine(await v2Model(), { context: 8 }) : new Transformer(tinyModel(), { context: 8 });
    expect(() => engine.decode([other.newSequence()], [1])).toThrow(/not made by this engine/);
    expect(s.length).toBe(2); // nothing above touched it
  });
});
