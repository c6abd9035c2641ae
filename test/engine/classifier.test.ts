// The classifier (hidden → vocabulary, the largest matrix) runs only for positions whose logits
// are read: the last prompt position of a prefill, every position only when asked for.
import { describe, expect, it, vi } from 'vitest';
import type { Matrix } from '../../src/core/neo/tensor.js';

const rowsThrough = new Map<Matrix, number>(); // classifier rows computed per matrix
vi.mock('../../src/core/kernels/matmul.js', async (original) => {
  const m = await original<typeof import('../../src/core/kernels/matmul.js')>();
  return {
    ...m,
    matmul: (y: Float32Array, x: Float32Array, w: Matrix, n: number, bias?: Float32Array) => {
      rowsThrough.set(w, (rowsThrough.get(w) ?? 0) + n);
      m.matmul(y, x, w, n, bias);
    },
  };
});

const { Transformer } = await import('../../src/core/model/transformer.js');
const { tinyModel } = await import('./models.js');
const { placeWeights } = await import('../../src/core/kernels/place.js');

describe('classifier work', () => {
  it('a prefill of 30 tokens classifies one row, a decode step one per sequence, allLogits all', () => {
    const model = tinyModel();
    const engine = new Transformer(model, { chunk: 8, maxBatch: 2 }); // the prompt in 4 passes
    const weights = placeWeights(model.weights); // the matrices the engine reads (placed once)
    const wte = weights.wte;
    const ids = Array.from({ length: 30 }, (_, i) => (i * 7 + 3) % 300);
    rowsThrough.clear();
    const a = engine.newSequence();
    const last = engine.prefill(a, ids).slice();
    expect(rowsThrough.get(wte)).toBe(1);
    expect(rowsThrough.get(weights.layers[0]!.q)).toBe(30); // the body did see every row
    const all = engine.forward(ids);
    expect(rowsThrough.get(wte)).toBe(31);
    expect(Array.from(last)).toEqual(Array.from(all.subarray(29 * 300))); // and it is the last row's
    const b = engine.newSequence();
    engine.prefill(b, ids.slice(0, 5));
    engine.decode([a, b], [1, 2]);
    expect(rowsThrough.get(wte)).toBe(34);
  });
});
