// A GPT-2 re-expression of GPT-Neo (what tinytalk's GGUF files hold: scores scaled by
// 1/sqrt(head_dim) with that factor's inverse folded into q, and q/k/v biases of zeros) turned
// back into GPT-Neo's own form, which the Hugging Face checkpoint, the firmware blob, the firmware
// engine and the trainer hold: no attention scaling, no q/k/v biases. So tinytalk's own exports
// convert back; only non-zero biases, which GPT-Neo has no place for, are refused.
import { UsageError } from '../errors.js';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from '../bytes/halfs.js';
import type { NeoConfig } from '../neo/config.js';
import type { Matrix, ScaleType } from '../neo/tensor.js';
import type { NeoLayerWeights, NeoWeights } from '../neo/weights.js';

export interface NeoForm {
  config: NeoConfig;
  weights: NeoWeights;
}

const toFloat = (type: ScaleType) => (type === 'bf16' ? bf16ToF32 : f16ToF32);
const fromFloat = (type: ScaleType) => (type === 'bf16' ? f32ToBf16 : f32ToF16);

/**
 * w × s in w's own type. A quantized matrix keeps its codes and scales its block scales: for
 * TinyTalk's GGUF this undoes the writer's scaling up to the scale's rounding, which re-quantizing
 * to the firmware's bf16 scales absorbs.
 */
function scaled(w: Matrix, s: number): Matrix {
  switch (w.type) {
    case 'f32':
      return { ...w, data: w.data.map((x) => Math.fround(x * s)) };
    case 'f16':
    case 'bf16': {
      const [get, put] = [toFloat(w.type), fromFloat(w.type)];
      return { ...w, data: w.data.map((h) => put(get(h) * s)) };
    }
    case 'q4_0':
    case 'q8_0': {
      const [get, put] = [toFloat(w.scaleType), fromFloat(w.scaleType)];
      return { ...w, scales: w.scales.map((h) => put(get(h) * s)) };
    }
  }
}

/** The model without attention scaling or q/k/v biases; the same objects when it has neither. */
export function neoForm(config: NeoConfig, weights: NeoWeights): NeoForm {
  const s = config.attentionScale;
  if (s === 1 && weights.layers.every((l) => !l.qkvBias)) return { config, weights };
  weights.layers.forEach((l, i) => {
    if (l.qkvBias && [l.qkvBias.q, l.qkvBias.k, l.qkvBias.v].some((b) => b.some((x) => x !== 0))) {
      throw new UsageError(`layer ${i} has non-zero q/k/v biases, which GPT-Neo (and so the firmware) has no place for`);
    }
  });
  const layers = weights.layers.map(({ qkvBias: _zeros, ...l }): NeoLayerWeights => (s === 1 ? l : { ...l, q: scaled(l.q, s) }));
  return { config: { ...config, attentionScale: 1 }, weights: { ...weights, layers } };
}
