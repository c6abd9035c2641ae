// attendRow (WASM SIMD when its arrays live in the kernel memory, plain JS otherwise) against a
// float64 oracle written from the definition: per head softmax(scale · q·Kᵀ) · V.
import { describe, expect, it } from 'vitest';
import { attendRow } from '../../src/core/kernels/attention.js';
import { activationArray } from '../../src/core/kernels/matmul.js';

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

function fill(a: Float32Array, seed: number, scale: number): Float32Array {
  let s = seed;
  for (let i = 0; i < a.length; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    a[i] = (s / 2 ** 31 - 0.5) * scale;
  }
  return a;
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
});
