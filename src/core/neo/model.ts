// A loaded model: what was read, from where, ready for the engine.
import type { Tokenizer } from './tokenizer.js';
import type { GenerationDefaults, NeoConfig } from './config.js';
import type { NeoWeights } from './weights.js';

/** One tensor as the file stores it, for `tinytalk inspect`. */
export interface TensorInfo {
  name: string;
  shape: number[];
  type: string; // F32, F16, BF16, Q4_0 (bf16 scale), ...
  bytes: number;
}

export interface ModelSource {
  format: 'hf' | 'safetensors' | 'crdp' | 'gguf';
  /** CRDP version (2 or 3), GGUF version, ... */
  version?: number;
  /** File or directory it was read from (a name in the browser). */
  path: string;
}

export interface Model {
  source: ModelSource;
  config: NeoConfig;
  weights: NeoWeights;
  tokenizer: Tokenizer;
  generation: GenerationDefaults;
  tensors: TensorInfo[];
  /** Every key of the original config file, for inspect (HF config.json or the CRDP header). */
  rawConfig: Record<string, unknown>;
}

/** Values stored in the model's tensors (the parameter count inspect reports). */
export function parameterCount(tensors: readonly TensorInfo[]): number {
  return tensors.reduce((sum, t) => sum + t.shape.reduce((a, d) => a * d, 1), 0);
}
