// The int8 KV-cache row quantizer of firmware-format.md 3.4 on hand-computed rows: one float32
// scale max|r|/127, codes rounded to nearest with ties to even (C's lrintf), not Math.round.
import { describe, expect, it } from 'vitest';
import { quantizeRow } from '../../src/core/firmware/numerics.js';

describe('int8 KV-cache row', () => {
  it('rounds halves to even in both directions', () => {
    const r = Float32Array.from([127, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 63.5, -127, 3.49]); // scale 1
    const q = new Int8Array(12);
    expect(quantizeRow(q, 1, r, 0, r.length)).toBe(1);
    expect(Array.from(q)).toEqual([0, 127, 0, 2, 2, 0, -2, -2, 64, -127, 3, 0]);
  });

  it('scales by max|r| / 127 in float32, and an all-zero row has scale 0', () => {
    const r = Float32Array.from([0.3, -1, 0.25]);
    const q = new Int8Array(3);
    const scale = quantizeRow(q, 0, r, 0, 3);
    expect(scale).toBe(Math.fround(1 / 127));
    // 0.3 × 127 = 38.1 → 38; 0.25 × 127 = 31.75 → 32
    expect(Array.from(q)).toEqual([38, -127, 32]);
    expect(quantizeRow(q, 0, new Float32Array(3), 0, 3)).toBe(0);
    expect(Array.from(q)).toEqual([0, 0, 0]);
  });
});
