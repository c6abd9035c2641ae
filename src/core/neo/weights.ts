// The GPT-Neo parameters, by role. Small vectors (norms, biases, positions) are always float32;
// matrices keep their stored type (see tensor.ts). The same shape, with other element types,
// describes where the trainer keeps each parameter in its flat buffer (offsets).
import type { Matrix } from './tensor.js';

/** A LayerNorm's parameters: y = (x − mean) / sqrt(var + eps) · weight + bias. */
export interface LayerNorm<V> {
  weight: V; // (D)
  bias: V; // (D)
}

/** One block's parameters; M is how a matrix is held, V how a vector is. */
export interface NeoLayer<M, V> {
  ln1: LayerNorm<V>;
  q: M; // (D, D) no bias
  k: M; // (D, D) no bias
  v: M; // (D, D) no bias
  out: M; // (D, D)
  outBias: V; // (D)
  ln2: LayerNorm<V>;
  fc: M; // (F, D)
  fcBias: V; // (F)
  proj: M; // (D, F)
  projBias: V; // (D)
}

/** The whole model's parameters; M is how a matrix is held, V how a vector is. */
export interface NeoModel<M, V, Layer extends NeoLayer<M, V> = NeoLayer<M, V>> {
  wte: M; // (V, D) token embeddings, also the tied classifier
  wpe: V; // (P, D) position embeddings
  layers: Layer[]; // L
  lnF: LayerNorm<V>;
}

export type LayerNormWeights = LayerNorm<Float32Array>;

export interface NeoLayerWeights extends NeoLayer<Matrix, Float32Array> {
  /** GPT-Neo has no q/k/v biases; models re-expressed from GPT-2 (GGUF) do. */
  qkvBias?: { q: Float32Array; k: Float32Array; v: Float32Array }; // (D) each
}

export type NeoWeights = NeoModel<Matrix, Float32Array, NeoLayerWeights>;
