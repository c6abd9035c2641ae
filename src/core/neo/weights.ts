// The GPT-Neo parameters, by role. Small vectors (norms, biases, positions) are always float32;
// matrices keep their stored type (see tensor.ts).
import type { Matrix } from './tensor.js';

export interface LayerNormWeights {
  weight: Float32Array; // (D)
  bias: Float32Array; // (D)
}

export interface NeoLayerWeights {
  ln1: LayerNormWeights;
  q: Matrix; // (D, D) no bias
  k: Matrix; // (D, D) no bias
  v: Matrix; // (D, D) no bias
  /** GPT-Neo has no q/k/v biases; models re-expressed from GPT-2 (GGUF) do. */
  qkvBias?: { q: Float32Array; k: Float32Array; v: Float32Array }; // (D) each
  out: Matrix; // (D, D)
  outBias: Float32Array; // (D)
  ln2: LayerNormWeights;
  fc: Matrix; // (F, D)
  fcBias: Float32Array; // (F)
  proj: Matrix; // (D, F)
  projBias: Float32Array; // (D)
}

export interface NeoWeights {
  wte: Matrix; // (V, D) token embeddings, also the tied classifier
  wpe: Float32Array; // (P, D) position embeddings
  layers: NeoLayerWeights[]; // L
  lnF: LayerNormWeights;
}
