// Hugging Face GPT-Neo config.json and generation_config.json, both ways: → NeoConfig and sampling
// defaults (structural sizes must be present; the rest default as transformers' GPTNeoConfig
// does), and back, as transformers' save_pretrained writes them.
import { FormatError } from '../errors.js';
import { MODEL_CARD_DEFAULTS, type AttentionKind, type GenerationDefaults, type NeoConfig } from '../neo/config.js';
import { describe, jsonObject, parseJson } from '../bytes/json.js';
import type { SafetensorsDtype } from './safetensors.js';

export function parseHfConfig(text: string, file: string): NeoConfig {
  return neoConfigFromJson(jsonObject(parseJson(text, file), file, 'config'), file);
}

/** NeoConfig from an already parsed config.json object. */
export function neoConfigFromJson(raw: Record<string, unknown>, file: string): NeoConfig {
  const int = (key: string, min: number, fallback?: number): number => {
    const v = raw[key] ?? fallback;
    if (v === undefined) throw new FormatError(file, key, `an integer >= ${min}`, 'nothing (missing)');
    if (!Number.isSafeInteger(v) || (v as number) < min) throw new FormatError(file, key, `an integer >= ${min}`, describe(v));
    return v as number;
  };
  if (raw.model_type !== undefined && raw.model_type !== 'gpt_neo') {
    throw new FormatError(file, 'model_type', '"gpt_neo" (only GPT-Neo models are supported)', describe(raw.model_type));
  }
  const activation = raw.activation_function ?? 'gelu_new';
  if (activation !== 'gelu_new') throw new FormatError(file, 'activation_function', '"gelu_new"', describe(activation));

  const vocabSize = int('vocab_size', 1);
  const hiddenSize = int('hidden_size', 1);
  const numLayers = int('num_layers', 1);
  const numHeads = int('num_heads', 1);
  if (hiddenSize % numHeads !== 0) {
    throw new FormatError(file, 'num_heads', `a divisor of hidden_size ${hiddenSize}`, String(numHeads));
  }
  const intermediateSize = int('intermediate_size', 1, 4 * hiddenSize); // null means 4·D
  // attention_types is what transformers reads; a config carrying only the expanded list is read from that.
  const attentionLayers =
    raw.attention_types === undefined && Array.isArray(raw.attention_layers)
      ? expandAttentionTypes([[raw.attention_layers, 1]], numLayers, file)
      : expandAttentionTypes(raw.attention_types, numLayers, file);
  if (raw.attention_layers !== undefined && JSON.stringify(raw.attention_layers) !== JSON.stringify(attentionLayers)) {
    throw new FormatError(file, 'attention_layers', `the expansion of attention_types (${attentionLayers.join(', ')})`, describe(raw.attention_layers));
  }
  const eps = raw.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0 && eps < 1)) throw new FormatError(file, 'layer_norm_epsilon', 'a number in (0, 1)', describe(eps));
  const tie = raw.tie_word_embeddings ?? true;
  if (tie !== true) {
    throw new FormatError(file, 'tie_word_embeddings', 'true (GPT-Neo ties the classifier to the token embeddings)', describe(tie));
  }
  // GPT-2's ids (50256) when the vocabulary is GPT-2's; the last id otherwise.
  const eosId = int('eos_token_id', 0, vocabSize - 1);
  const bosId = int('bos_token_id', 0, eosId);
  for (const [key, id] of [['eos_token_id', eosId], ['bos_token_id', bosId]] as const) {
    if (id >= vocabSize) throw new FormatError(file, key, `an id below vocab_size ${vocabSize}`, String(id));
  }
  return {
    vocabSize,
    hiddenSize,
    numLayers,
    numHeads,
    intermediateSize,
    maxPositions: int('max_position_embeddings', 1),
    windowSize: int('window_size', 1, 256),
    attentionLayers,
    layerNormEpsilon: eps,
    activation: 'gelu_new',
    bosId,
    eosId,
    tieWordEmbeddings: true,
    attentionScale: 1,
  };
}

/** [[["global","local"], 4]] → global, local, global, local, … (8 layers); counted before expanding. */
function expandAttentionTypes(value: unknown, numLayers: number, file: string): AttentionKind[] {
  const expected = 'a list of [[kinds...], repeat] with kinds "global" or "local"';
  if (!Array.isArray(value) || value.length === 0) throw new FormatError(file, 'attention_types', expected, describe(value));
  let count = 0;
  for (const item of value) {
    const ok =
      Array.isArray(item) &&
      item.length === 2 &&
      Array.isArray(item[0]) &&
      item[0].length > 0 &&
      item[0].every((k: unknown) => k === 'global' || k === 'local') &&
      Number.isSafeInteger(item[1]) &&
      item[1] >= 1;
    if (!ok) throw new FormatError(file, 'attention_types', expected, JSON.stringify(item));
    count += item[0].length * item[1];
  }
  // A lying repeat count is refused here, before it can allocate a huge list.
  if (count !== numLayers) throw new FormatError(file, 'attention_types', `one entry per layer (num_layers = ${numLayers})`, `${count} layers`);
  return value.flatMap(([kinds, repeat]: [AttentionKind[], number]) => Array.from({ length: repeat }, () => kinds).flat());
}

/** generation_config.json: the sampling keys it sets; the model card's defaults for the rest. */
export function parseGenerationConfig(text: string, file: string): GenerationDefaults {
  const raw = jsonObject(parseJson(text, file), file, 'generation config');
  const num = (key: string, fallback: number, ok: (v: number) => boolean, expected: string): number => {
    const v = raw[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'number' || !ok(v)) throw new FormatError(file, key, expected, describe(v));
    return v;
  };
  const d = MODEL_CARD_DEFAULTS;
  const doSample = raw.do_sample;
  if (doSample !== undefined && doSample !== null && typeof doSample !== 'boolean') throw new FormatError(file, 'do_sample', 'true or false', describe(doSample));
  const temperature = num('temperature', d.temperature, (v) => v >= 0, 'a number >= 0');
  return {
    // do_sample: false is how Hugging Face says greedy; our greedy is temperature 0
    temperature: doSample === false ? 0 : temperature,
    topK: num('top_k', d.topK, (v) => Number.isSafeInteger(v) && v >= 0, 'an integer >= 0'),
    topP: num('top_p', d.topP, (v) => v > 0 && v <= 1, 'a number in (0, 1]'),
    repetitionPenalty: num('repetition_penalty', d.repetitionPenalty, (v) => v > 0, 'a number > 0'),
    maxNewTokens: num('max_new_tokens', d.maxNewTokens, (v) => Number.isSafeInteger(v) && v >= 1, 'an integer >= 1'),
  };
}

// ---- writing ------------------------------------------------------------------------------------

const TORCH_DTYPE: Record<SafetensorsDtype, string> = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' };

/** attention_types in HF's compressed form: the shortest repeating unit and its count. */
function attentionTypes(layers: readonly string[]): [string[], number][] {
  const L = layers.length;
  for (let p = 1; p <= L; p++) {
    if (L % p === 0 && layers.every((t, i) => t === layers[i % p])) return [[layers.slice(0, p), L / p]];
  }
  return [[[...layers], 1]];
}

/** config.json for a GPT-Neo model of vocabSize rows stored as dtype, as transformers writes it. */
export function hfConfigJson(c: NeoConfig, vocabSize: number, dtype: SafetensorsDtype): Record<string, unknown> {
  return {
    activation_function: c.activation,
    architectures: ['GPTNeoForCausalLM'],
    attention_dropout: 0,
    attention_layers: c.attentionLayers,
    attention_types: attentionTypes(c.attentionLayers),
    bos_token_id: c.bosId,
    embed_dropout: 0,
    eos_token_id: c.eosId,
    hidden_size: c.hiddenSize,
    initializer_range: 0.02,
    intermediate_size: c.intermediateSize === 4 * c.hiddenSize ? null : c.intermediateSize,
    layer_norm_epsilon: c.layerNormEpsilon,
    max_position_embeddings: c.maxPositions,
    model_type: 'gpt_neo',
    num_heads: c.numHeads,
    num_layers: c.numLayers,
    resid_dropout: 0,
    tie_word_embeddings: true,
    dtype: TORCH_DTYPE[dtype], // transformers ≥ 4.56 reads dtype, older ones torch_dtype
    torch_dtype: TORCH_DTYPE[dtype],
    use_cache: true,
    vocab_size: vocabSize,
    window_size: c.windowSize,
  };
}

/** generation_config.json: the ids, and the sampling defaults when the model has them. */
export function generationConfigJson(c: NeoConfig, g: GenerationDefaults | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = { bos_token_id: c.bosId, eos_token_id: c.eosId };
  if (g) {
    Object.assign(out, { do_sample: g.temperature > 0, temperature: g.temperature, top_k: g.topK, top_p: g.topP, max_new_tokens: g.maxNewTokens });
    if (g.repetitionPenalty !== 1) out.repetition_penalty = g.repetitionPenalty;
  }
  return out;
}
