// A fresh model: Hugging Face GPT-Neo's _init_weights (linear and embedding weights ~ N(0, 0.02),
// biases 0, LayerNorm weight 1 and bias 0), seeded.
import { mulberry32, normal } from './rng.js';
import type { ParamLayout } from './params.js';

export function randomParams(layout: ParamLayout, seed: number, std = 0.02): Float32Array {
  const p = new Float32Array(layout.total);
  const gauss = normal(mulberry32(seed));
  for (const t of layout.tensors) {
    const isNorm = /\.ln_(1|2|f)\.weight$/.test(t.name);
    const isWeight = t.name.endsWith('.weight') && !isNorm;
    for (let i = 0; i < t.size; i++) p[t.offset + i] = isNorm ? 1 : isWeight ? gauss() * std : 0;
  }
  return p;
}
