// Hugging Face GPT-Neo config.json and generation_config.json → NeoConfig and sampling defaults.
// Structural sizes must be present; the rest default as transformers' GPTNeoConfig does.
import { FormatError } from '../errors.js';
import { MODEL_CARD_DEFAULTS, type AttentionKind, type GenerationDefaults, type NeoConfig } from '../neo/config.js';
import { describe, jsonObject, parseJson } from '../bytes/json.js';

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
