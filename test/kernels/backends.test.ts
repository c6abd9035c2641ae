// The whole float32 engine on the shipped Q4 blob with the WebAssembly kernels (weights as stored
// and placed as float32, one and two threads) against the same engine on the plain-JS kernels:
// every position's logits agree to within float rounding, and so do the greedy choices.
import { afterAll, describe, expect, it } from 'vitest';
import { setKernelBackend } from '../../src/core/kernels/matmul.js';
import { placeWeights } from '../../src/core/kernels/place.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { loadModel } from '../../src/node/load.js';
import { startKernelThreads } from '../../src/node/threads/pool.js';
import { V2_MODEL } from '../helpers/shared.js';

describe('WebAssembly and plain-JS kernels in the engine', () => {
  afterAll(() => setKernelBackend('wasm'));

  it('give the same logits on the v2 blob to within float rounding', async () => {
    const model = await loadModel(V2_MODEL());
    const ids = model.tokenizer.encode('User: hi! what do you like to do on a rainy day?\nBot: I like to read');
    const V = model.config.vocabSize;
    setKernelBackend('js');
    const want = new Transformer(model).forward(ids);
    setKernelBackend('wasm');
    const runs: Array<[string, Float32Array]> = [
      ['stored', new Transformer({ ...model, weights: placeWeights(model.weights) }).forward(ids)],
      ['float32', new Transformer({ ...model, weights: placeWeights(model.weights, { float32: true }) }).forward(ids)],
    ];
    const threads = await startKernelThreads(2);
    runs.push(['float32, 2 threads', new Transformer({ ...model, weights: placeWeights(model.weights, { float32: true }) }).forward(ids)]);
    await threads.close();
    for (const [name, got] of runs) {
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      expect(worst, name).toBeLessThan(2e-4); // logits reach ±23; measured about 2e-5 (float32 vs float64 sums)
      for (let t = 0; t < ids.length; t++) {
        const row = (a: Float32Array) => Array.from(a.subarray(t * V, (t + 1) * V));
        const top = (r: number[]) => r.indexOf(Math.max(...r));
        expect(top(row(got)), `${name}, position ${t}`).toBe(top(row(want)));
      }
    }
  });
});
