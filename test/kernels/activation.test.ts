// gelu (WASM SIMD in the kernel memory, plain JS otherwise) against gelu_new in float64,
// 0.5·x·(1 + tanh(u)) = x / (1 + e^(−2u)), u = √(2/π)·(x + 0.044715·x³): the second form keeps
// its precision where 1 + tanh(u) would cancel to 0 (x below about −7).
import { describe, expect, it } from 'vitest';
import { gelu } from '../../src/core/kernels/activation.js';
import { activationArray } from '../../src/core/kernels/matmul.js';

const u = (x: number) => Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3);
const oracle = (x: number) => x / (1 + Math.exp(-2 * u(x)));

describe('gelu', () => {
  // a dense sweep over where gelu bends, tails where it is x or 0, and the odd-length remainder
  const xs = [...Array.from({ length: 4001 }, (_, i) => (i - 2000) / 200), -30, -12.5, 1e-8, -1e-8, 0, 25, 60, 3.4e38];
  for (const place of ['kernel memory', 'plain arrays'] as const) {
    it(`${place}: agrees with float64 gelu_new to a few float32 ulps`, () => {
      const x = place === 'kernel memory' ? activationArray(xs.length + 3) : new Float32Array(xs.length + 3);
      x.set(xs);
      x.fill(7, xs.length);
      gelu(x, xs.length);
      // a few ulps of the value, more where e^(−2u) amplifies the rounding of u (float32 kernel),
      // plus what the far negative tail loses (the kernel: subnormals; geluNew: 1 + tanh(u) cancels)
      const absolute = place === 'kernel memory' ? 1e-35 : 1e-15;
      for (let i = 0; i < xs.length; i++) {
        const v = Math.fround(xs[i]!);
        const want = oracle(v);
        expect(Math.abs(x[i]! - want)).toBeLessThanOrEqual(2.4e-7 * (2 + Math.abs(2 * u(v))) * Math.abs(want) + absolute);
      }
      expect(Array.from(x.subarray(xs.length))).toEqual([7, 7, 7]); // nothing past n is touched
    });
  }

  it('keeps NaN and the infinities as gelu_new does', () => {
    const x = activationArray(5);
    x.set([NaN, Infinity, -Infinity, 1, -1]);
    gelu(x, 3);
    expect(Number.isNaN(x[0])).toBe(true);
    expect(x[1]).toBe(Infinity);
    expect(Number.isNaN(x[2])).toBe(true); // −∞ · 0, as in float64
  });
});
