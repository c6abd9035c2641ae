// Batched decoding (the server's continuous batching) against each sequence decoded alone, bit
// for bit: every product over placed weights runs the GEMM, which sums each output the same way
// whatever the number of rows, so a batch of 6 (a 4-token tile and two single rows) changes no bit.
import { describe, expect, it } from 'vitest';
import { Transformer } from '../../src/core/model/transformer.js';
import { placeWeights } from '../../src/core/kernels/place.js';
import { v2Model } from './models.js';

describe('batched decoding', () => {
  for (const float32 of [false, true]) {
    it(`6 sequences in one decode() give each one's logits alone, bit for bit (${float32 ? 'float32' : 'stored Q4'} weights)`, async () => {
      const model = await v2Model();
      const weights = placeWeights(model.weights, { float32 });
      const engine = new Transformer({ config: model.config, weights }, { maxBatch: 6, context: 64 });
      const V = model.config.vocabSize;
      const prompts = [[7815, 25], [10298, 25, 257], [464], [40, 588, 345, 11], [9961, 25, 314, 1080], [13, 198]];
      const prefilled = () =>
        prompts.map((p) => {
          const s = engine.newSequence();
          engine.prefill(s, p);
          return s;
        });
      const batch = prefilled();
      const alone = prefilled();
      for (let step = 0; step < 4; step++) {
        const tokens = prompts.map((_, b) => (step * 977 + b * 131 + 5) % V);
        const together = engine.decode(batch, tokens).slice();
        tokens.forEach((tok, b) => {
          const one = engine.decode([alone[b]!], [tok]);
          expect(Array.from(together.subarray(b * V, (b + 1) * V)), `step ${step} sequence ${b}`).toEqual(Array.from(one));
        });
      }
    });
  }
});
