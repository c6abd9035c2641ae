// attendRow (WASM SIMD when its arrays live in the kernel memory, plain JS otherwise) against a
// float64 oracle written from the definition: per head softmax(scale · q·Kᵀ) · V.
import { describe, expect, it } from 'vitest';
import { attendRow, attendRows } from '../../src/core/kernels/attention.js';
import { activationArray } from '../../src/core/kernels/matmul.js';
import { fill } from '../helpers/random.js';

function oracle(q: Float32Array, K: Float32Array, V: Float32Array, ko: number, span: number, D: number, H: number, scale: number): number[] {
  const hs = D / H;
  const out: number[] = [];
  for (let h = 0; h < H; h++) {
    const s = Array.from({ length: span }, (_, j) => {
      let dot = 0;
      for (let d = 0; d < hs; d++) dot += q[h * hs + d]! * K[ko + j * D + h * hs + d]!;
      return dot * scale;
    });
    const max = Math.max(...s);
    const e = s.map((x) => Math.exp(x - max));
    const sum = e.reduce((a, b) => a + b, 0);
    for (let d = 0; d < hs; d++) out.push(e.reduce((acc, p, j) => acc + (p / sum) * V[ko + j * D + h * hs + d]!, 0));
  }
  return out;
}

describe('attendRow', () => {
  // (D, H, span, keys before the window): TinyTalk's head size 8, a wider head, one key, a long window
  const cases: Array<[number, number, number, number]> = [
    [128, 16, 1, 0],
    [128, 16, 37, 5],
    [64, 4, 200, 0],
    [32, 4, 9, 3],
  ];
  for (const place of ['kernel memory', 'plain arrays'] as const) {
    it.each(cases)(`${place}: D %i, %i heads, %i keys after %i`, (D, H, span, skip) => {
      const alloc = (n: number) => (place === 'kernel memory' ? activationArray(n) : new Float32Array(n));
      const rows = span + skip;
      // scores of several units apart, so the softmax is peaked and the test sensitive
      const q = fill(alloc(D), 1 + D, 4);
      const K = fill(alloc(rows * D), 2 + span, 2);
      const V = fill(alloc(rows * D), 3 + H, 1);
      const out = alloc(2 * D);
      const scores = alloc(rows);
      attendRow(out, D, q, 0, K, V, skip * D, span, D, H, 1, scores);
      const want = oracle(q, K, V, skip * D, span, D, H, 1);
      for (let i = 0; i < D; i++) expect(Math.abs(out[D + i]! - want[i]!)).toBeLessThan(2e-6);
      expect(out.subarray(0, D).every((x) => x === 0)).toBe(true);
    });
  }

  it('applies the score scale (GPT-2: 1/sqrt(head size))', () => {
    const D = 16, H = 2;
    const q = fill(activationArray(D), 5, 3);
    const K = fill(activationArray(4 * D), 6, 3);
    const V = fill(activationArray(4 * D), 7, 1);
    const out = activationArray(D);
    attendRow(out, 0, q, 0, K, V, 0, 4, D, H, 1 / Math.sqrt(8), activationArray(4));
    const want = oracle(q, K, V, 0, 4, D, H, 1 / Math.sqrt(8));
    for (let i = 0; i < D; i++) expect(Math.abs(out[i]! - want[i]!)).toBeLessThan(2e-6);
  });

  for (const place of ['kernel memory', 'plain arrays'] as const) {
    it(`attendRows, ${place}: rows of different sequences, windows and spans`, () => {
      const alloc = (n: number) => (place === 'kernel memory' ? activationArray(n) : new Float32Array(n));
      const D = 128, H = 16, keys = 50;
      const seqs = [0, 1].map((s) => ({ k: fill(alloc(keys * D), 10 + s, 2), v: fill(alloc(keys * D), 20 + s, 1) }));
      // (sequence, first key, span) per row: a decode batch, a sliding window, one key
      const rows: Array<[number, number, number]> = [[0, 0, 50], [1, 7, 30], [0, 49, 1], [1, 0, 12]];
      const q = fill(alloc(rows.length * D), 30, 4);
      const out = alloc(rows.length * D);
      const first = Int32Array.from(rows, ([, f]) => f * D);
      const span = Int32Array.from(rows, ([, , s]) => s);
      attendRows(out, q, rows.map(([s]) => seqs[s]!), first, span, rows.length, D, H, 0.5, alloc(keys));
      rows.forEach(([s, f, n], i) => {
        const want = oracle(q.subarray(i * D, (i + 1) * D), seqs[s]!.k, seqs[s]!.v, f * D, n, D, H, 0.5);
        for (let d = 0; d < D; d++) expect(Math.abs(out[i * D + d]! - want[d]!)).toBeLessThan(2e-6);
      });
    });
  }
});
