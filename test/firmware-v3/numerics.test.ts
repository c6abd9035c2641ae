// The v3 firmware's arithmetic pieces against hand-computed values and independent oracles: the
// float32 fused multiply-add (vs exact BigInt arithmetic), the int8 activation and int4 KV
// quantizers of firmware-format.md 11.1, and the window policy of 11.2.
import { describe, expect, it } from 'vitest';
import { bf16ToF32 } from '../../src/core/bytes/halfs.js';
import { fmaf } from '../../src/core/firmware/v3/fmaf.js';
import { quantizeKvRow, quantizeQ8 } from '../../src/core/firmware/v3/numerics.js';
import { firmwareV3PromptBudget, firmwareV3Window, slideSizes } from '../../src/core/firmware/v3/window.js';
import { activationArray, setKernelBackend } from '../../src/core/kernels/matmul.js';
import type { NeoConfig } from '../../src/core/neo/config.js';
import { exactFmaf } from '../helpers/exact-fma.js';
import { lcg } from '../helpers/random.js';

const fr = Math.fround;

describe('fmaf', () => {
  it('equals the exact a × b + c rounded once, on random float32 triples', () => {
    const r = lcg(17);
    for (let i = 0; i < 20000; i++) {
      const a = fr((r() - 0.5) * 2 ** Math.floor(r() * 20 - 10));
      const b = fr((r() - 0.5) * 2 ** Math.floor(r() * 20 - 10));
      const c = fr((r() - 0.5) * 2 ** Math.floor(r() * 40 - 20));
      expect(fmaf(a, b, c), `${a} ${b} ${c}`).toBe(exactFmaf(a, b, c));
    }
  });

  it('settles double-rounding midpoints on the right side', () => {
    // a × b = 2^-24 − 2^-70: the float64 sum with 1 + 2^-23 lands exactly on the float32 midpoint
    // 1 + 3·2^-24, and rounding that to even would give 1 + 2^-22; the true sum is just below it
    const a = fr(1 + 2 ** -23), b = fr(2 ** -24 * (1 - 2 ** -23)), c = fr(1 + 2 ** -23);
    expect(exactFmaf(a, b, c)).toBe(c);
    expect(fr(a * b + c)).toBe(fr(1 + 2 ** -22)); // what rounding twice gives
    expect(fmaf(a, b, c)).toBe(c);
    expect(fmaf(-a, b, -c)).toBe(-c);
    // just above a midpoint (a × b = 2^-24 + 2^-47), and exactly on one (ties to even)
    expect(fmaf(a, fr(2 ** -24), 1)).toBe(exactFmaf(a, fr(2 ** -24), 1));
    expect(fmaf(3, fr(2 ** -25), 1)).toBe(exactFmaf(3, fr(2 ** -25), 1));
  });
});

describe('int8 activations (11.1)', () => {
  for (const backend of ['js', 'wasm'] as const) {
    it(`${backend}: s = max|x| / 127, codes rounded half to even, the block's code sum`, () => {
      setKernelBackend(backend);
      const x = activationArray(64);
      // block 0: max 127 → s = 1, inv = 1: halves go to even
      x.set([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 63.5, -126.5, 3.49], 0);
      // block 1: max |x| = 2 (negative) → s = fround(2 / 127), inv = fround(1 / s)
      x.set([1, -2, 0.25], 32);
      const a = { q: activationArray(64, Int8Array), s: activationArray(2), sum: activationArray(2) };
      quantizeQ8(a, x, 2, 32);
      setKernelBackend('wasm');
      expect(Array.from(a.q.subarray(0, 10))).toEqual([127, 0, 2, 2, 0, -2, -2, 64, -126, 3]);
      const inv = fr(1 / fr(2 / 127));
      expect(a.s[1]).toBe(fr(2 / 127));
      expect(Array.from(a.q.subarray(32, 35))).toEqual([Math.round(fr(inv)), -127, Math.round(fr(0.25 * inv))]);
      expect(Array.from(a.sum)).toEqual([127 + 2 + 2 - 2 - 2 + 64 - 126 + 3, a.q[32]! - 127 + a.q[34]!]);
    });
  }
});

describe('int4 KV cache rows (11.1)', () => {
  it('d = bf16(m / −8) of the first largest |x|, codes clamp(rint(x / d), −8, 7) + 8, two per byte', () => {
    const r = new Float32Array(32);
    // largest magnitude −4 first (d = 0.5), then +4 later: +4 / 0.5 = 8 clamps to 7
    r.set([-4, 1.25, 0.75, -0.25, 4, 0.1, 3.3]);
    const codes = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeKvRow(codes, 0, scales, 0, r, 0, 32);
    expect(scales[0]).toBe(0.5);
    // −4/0.5 = −8 → 0; 1.25/0.5 = 2.5 → 2 (even) → 10; 0.75/0.5 = 1.5 → 2 → 10; −0.5 → −0 → 8;
    // 4 → 8 → 7 → 15; 0.2 → 0 → 8; 6.6 → 7 → 15; zeros → 8
    expect(Array.from(codes.subarray(0, 4))).toEqual([0 | (10 << 4), 10 | (8 << 4), 15 | (8 << 4), 15 | (8 << 4)]);
    expect(codes.subarray(4).every((b) => b === 0x88)).toBe(true);
  });

  it('rounds d to bf16 (nearest even) before using it', () => {
    const r = new Float32Array(32);
    r[3] = fr(1.0078125 * 8 * 1.001); // m / −8 is not a bf16
    const codes = new Uint8Array(16);
    const scales = new Float32Array(1);
    quantizeKvRow(codes, 0, scales, 0, r, 0, 32);
    expect(scales[0]).toBe(bf16ToF32(0xbf81)); // −1.0078125: the bf16 nearest to −1.0088
    expect(codes[1]! >> 4).toBe(0); // r[3] / d ≈ −1.001 · 8 → −8
  });

  it('an all-zero group keeps scale −0 and code 8 everywhere', () => {
    const codes = new Uint8Array(16);
    const scales = new Float32Array(1).fill(9);
    quantizeKvRow(codes, 0, scales, 0, new Float32Array(32), 0, 32);
    expect(Object.is(scales[0], -0)).toBe(true);
    expect(codes.every((b) => b === 0x88)).toBe(true);
  });
});

describe('window policy (11.2)', () => {
  const config = (hiddenSize: number, maxPositions: number) => ({ hiddenSize, maxPositions }) as NeoConfig;

  it('80 slots up to dim 128, 72 above, never more than the positions', () => {
    expect(firmwareV3Window(config(128, 256))).toBe(80);
    expect(firmwareV3Window(config(128, 80))).toBe(80);
    expect(firmwareV3Window(config(256, 256))).toBe(72);
    expect(firmwareV3Window(config(96, 64))).toBe(64);
  });

  it('prompt budget window − 8; keep min(window/4, prompt), evict window/4', () => {
    expect([80, 72, 40].map(firmwareV3PromptBudget)).toEqual([72, 64, 32]);
    expect(slideSizes(40, 12)).toEqual({ keep: 10, evict: 10 });
    expect(slideSizes(64, 12)).toEqual({ keep: 12, evict: 16 });
    expect(slideSizes(72, 12)).toEqual({ keep: 12, evict: 18 });
    expect(slideSizes(3, 5)).toEqual({ keep: 0, evict: 1 });
    expect(slideSizes(2, 5).evict).toBe(1);
  });
});
