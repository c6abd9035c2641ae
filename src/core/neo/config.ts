// The GPT-Neo hyper-parameters every part of tinytalk is driven by (never TinyTalk's sizes hard-coded).

export type AttentionKind = 'global' | 'local';

export interface NeoConfig {
  vocabSize: number;
  hiddenSize: number; // D
  numLayers: number; // L
  numHeads: number; // head size = D / numHeads
  intermediateSize: number; // F (config's null means 4·D)
  maxPositions: number; // P: position-embedding rows = hard context cap
  windowSize: number; // local layers see keys j with i − windowSize < j ≤ i
  attentionLayers: AttentionKind[]; // one entry per layer, expanded from HF's attention_types
  layerNormEpsilon: number;
  activation: 'gelu_new';
  bosId: number;
  eosId: number;
  tieWordEmbeddings: boolean; // TinyTalk: true (classifier = wte)
  /** Multiplies q·k before the softmax: 1 for GPT-Neo (it has no 1/sqrt(head_dim)); 1/sqrt(head_dim) for GPT-2. */
  attentionScale: number;
}

/** Sampling defaults: the model card's unless generation_config.json says otherwise. */
export interface GenerationDefaults {
  temperature: number;
  topK: number;
  topP: number;
  repetitionPenalty: number;
  maxNewTokens: number;
}

export const MODEL_CARD_DEFAULTS: GenerationDefaults = {
  temperature: 0.7,
  topK: 40,
  topP: 1,
  repetitionPenalty: 1,
  maxNewTokens: 64,
};
