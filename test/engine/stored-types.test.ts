// Weights in their stored type: the engine run on float16, bfloat16, Q4_0 (bf16 and fp16 scales)
// and Q8_0 matrices gives the logits of the same engine on float32 copies decoded here, on their
// own, from the stored bits (not through the kernels' dequantizer).
import { describe, expect, it } from 'vitest';
import { quantizeQ4, quantizeQ8 } from '../../src/core/formats/quant.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../../src/core/bytes/halfs.js';
import { Transformer } from '../../src/core/model/transformer.js';
import type { NeoLayerWeights, NeoWeights } from '../../src/core/neo/weights.js';
import type { F32Matrix, Matrix } from '../../src/core/neo/tensor.js';
import { tinyModel } from './models.js';

type Kind = 'f16' | 'bf16' | 'q4_0/bf16' | 'q4_0/f16' | 'q8_0/f16';

function store(m: Matrix, kind: Kind): Matrix {
  if (m.type !== 'f32') throw new Error('the tiny model is float32');
  const { rows, cols, data } = m;
  switch (kind) {
    case 'f16':
      return { type: 'f16', rows, cols, data: Uint16Array.from(data, f32ToF16) };
    case 'bf16':
      return { type: 'bf16', rows, cols, data: Uint16Array.from(data, f32ToBf16) };
    case 'q4_0/bf16':
      return quantizeQ4(data, rows, cols, 'bf16');
    case 'q4_0/f16':
      return quantizeQ4(data, rows, cols, 'f16');
    case 'q8_0/f16':
      return quantizeQ8(data, rows, cols, 'f16');
  }
}

/** The float32 values the stored bits stand for, decoded from tensor.ts's layout description. */
function decode(m: Matrix): F32Matrix {
  const { rows, cols } = m;
  const out = new Float32Array(rows * cols);
  switch (m.type) {
    case 'f32':
      out.set(m.data);
      break;
    case 'f16':
    case 'bf16':
      m.data.forEach((h, i) => (out[i] = m.type === 'f16' ? f16ToF32(h) : bf16ToF32(h)));
      break;
    case 'q4_0':
    case 'q8_0': {
      const half = m.scaleType === 'f16' ? f16ToF32 : bf16ToF32;
      for (let b = 0; b < m.scales.length; b++) {
        const d = half(m.scales[b]!);
        for (let j = 0; j < 32; j++) {
          const code = m.type === 'q8_0' ? m.codes[b * 32 + j]! : ((m.nibbles[b * 16 + (j % 16)]! >> (j < 16 ? 0 : 4)) & 15) - 8;
          out[b * 32 + j] = d * code;
        }
      }
    }
  }
  return { type: 'f32', rows, cols, data: out };
}

function mapMatrices(w: NeoWeights, f: (m: Matrix) => Matrix): NeoWeights {
  const layer = (l: NeoLayerWeights): NeoLayerWeights => ({ ...l, q: f(l.q), k: f(l.k), v: f(l.v), out: f(l.out), fc: f(l.fc), proj: f(l.proj) });
  return { ...w, wte: f(w.wte), layers: w.layers.map(layer) };
}

describe('weights stay in their stored type', () => {
  const tiny = tinyModel();
  const ids = Array.from({ length: 24 }, (_, i) => (i * 53 + 7) % 300);

  it.each(['f16', 'bf16', 'q4_0/bf16', 'q4_0/f16', 'q8_0/f16'] as const)('%s: logits equal float32 on the decoded values', (kind) => {
    const stored = mapMatrices(tiny.weights, (m) => store(m, kind));
    expect(stored.layers[1]!.fc.type).toBe(kind.split('/')[0]);
    const got = new Transformer({ config: tiny.config, weights: stored }).forward(ids);
    const want = new Transformer({ config: tiny.config, weights: mapMatrices(stored, decode) }).forward(ids);
    const plain = new Transformer(tiny).forward(ids);
    let worst = 0;
    let moved = 0; // how far the storage moved the logits: the comparison must be finer than that
    for (let i = 0; i < got.length; i++) {
      worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
      moved = Math.max(moved, Math.abs(plain[i]! - want[i]!));
    }
    expect(worst).toBeLessThan(2e-5);
    expect(moved).toBeGreaterThan(20 * worst);
  });
});
