// Hugging Face config.json / generation_config.json → NeoConfig and sampling defaults.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { parseGenerationConfig, parseHfConfig } from '../../src/core/formats/hf-config.js';
import { MODEL_CARD_DEFAULTS } from '../../src/core/neo/config.js';
import { HF_STANDIN, TINY_MODEL, sharedPath } from '../helpers/shared.js';

const standin = readFileSync(join(HF_STANDIN(), 'config.json'), 'utf8');
const standinRaw = JSON.parse(standin);
const withKeys = (changes: Record<string, unknown>) => JSON.stringify({ ...standinRaw, ...changes });

describe('config.json', () => {
  it('reads the TinyTalk stand-in', () => {
    expect(parseHfConfig(standin, 'config.json')).toEqual({
      vocabSize: 14019, hiddenSize: 128, numLayers: 8, numHeads: 16,
      intermediateSize: 512, // null → 4 × hidden
      maxPositions: 256, windowSize: 256,
      attentionLayers: ['global', 'local', 'global', 'local', 'global', 'local', 'global', 'local'],
      layerNormEpsilon: 1e-5, activation: 'gelu_new', bosId: 14018, eosId: 14018,
      tieWordEmbeddings: true, attentionScale: 1,
    });
  });

  it('reads the original TinyStories config shipped beside the blob (GPT-2 vocabulary, 2048 positions)', () => {
    const c = parseHfConfig(readFileSync(sharedPath('models', 'tinytalk-q4', 'hf_config.json'), 'utf8'), 'hf_config.json');
    expect(c).toMatchObject({ vocabSize: 50257, maxPositions: 2048, eosId: 50256, bosId: 50256 });
  });

  it('reads the tiny test model (explicit intermediate size, window 8)', () => {
    const c = parseHfConfig(readFileSync(join(TINY_MODEL(), 'config.json'), 'utf8'), 'config.json');
    expect(c).toMatchObject({ hiddenSize: 32, numLayers: 2, intermediateSize: 128, windowSize: 8, attentionLayers: ['global', 'local'], eosId: 299 });
  });

  it('expands several attention_types groups in order', () => {
    const text = withKeys({ attention_types: [[['local'], 2], [['global', 'local', 'local'], 2]], attention_layers: undefined });
    expect(parseHfConfig(text, 'c').attentionLayers).toEqual(['local', 'local', 'global', 'local', 'local', 'global', 'local', 'local']);
  });

  it('applies GPT-Neo defaults for optional keys', () => {
    const { window_size, layer_norm_epsilon, tie_word_embeddings, activation_function, bos_token_id, eos_token_id, ...rest } = standinRaw;
    const c = parseHfConfig(JSON.stringify(rest), 'c');
    expect(c).toMatchObject({ windowSize: 256, layerNormEpsilon: 1e-5, tieWordEmbeddings: true, eosId: 14018, bosId: 14018 });
  });

  it.each([
    ['bad JSON', '{"vocab_size": 14019,', 'JSON'],
    ['an array', '[1]', 'config'],
    ['another activation', withKeys({ activation_function: 'relu' }), 'activation_function'],
    ['another model type', withKeys({ model_type: 'gpt2' }), 'model_type'],
    ['missing hidden_size', withKeys({ hidden_size: undefined }), 'hidden_size'],
    ['a fractional num_layers', withKeys({ num_layers: 8.5 }), 'num_layers'],
    ['heads not dividing hidden', withKeys({ num_heads: 12 }), 'num_heads'],
    ['too few attention layers', withKeys({ attention_types: [[['global', 'local'], 3]] }), 'attention_types'],
    ['an absurd repeat count (refused before expanding)', withKeys({ attention_types: [[['global', 'local'], 2 ** 52]] }), 'attention_types'],
    ['an unknown attention kind', withKeys({ attention_types: [[['global', 'sparse'], 4]] }), 'attention_types'],
    ['attention_layers disagreeing', withKeys({ attention_layers: Array(8).fill('global') }), 'attention_layers'],
    ['untied embeddings', withKeys({ tie_word_embeddings: false }), 'tie_word_embeddings'],
    ['eos outside the vocabulary', withKeys({ eos_token_id: 50256 }), 'eos_token_id'],
    ['a zero epsilon', withKeys({ layer_norm_epsilon: 0 }), 'layer_norm_epsilon'],
  ])('refuses %s', (_, text, field) => {
    let err: unknown;
    try {
      parseHfConfig(text, 'model/config.json');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError).field).toBe(field);
    expect((err as FormatError).message).toMatch(/^model\/config\.json: .*expected/);
  });
});

describe('generation_config.json', () => {
  it('falls back to the model card for keys it does not set (the stand-in sets none)', () => {
    const text = readFileSync(join(HF_STANDIN(), 'generation_config.json'), 'utf8');
    expect(parseGenerationConfig(text, 'g')).toEqual(MODEL_CARD_DEFAULTS);
    expect(MODEL_CARD_DEFAULTS).toEqual({ temperature: 0.7, topK: 40, topP: 1, repetitionPenalty: 1, maxNewTokens: 64 });
  });

  it('reads the sampling keys it sets', () => {
    const text = JSON.stringify({ temperature: 0.8, top_k: 50, top_p: 0.9, repetition_penalty: 1.2, max_new_tokens: 100, do_sample: true });
    expect(parseGenerationConfig(text, 'g')).toEqual({ temperature: 0.8, topK: 50, topP: 0.9, repetitionPenalty: 1.2, maxNewTokens: 100 });
    expect(parseGenerationConfig('{"top_k": 0}', 'g').topK).toBe(0);
  });

  it('do_sample: false means greedy, whatever temperature it also sets', () => {
    expect(parseGenerationConfig('{"do_sample": false, "temperature": 0.9}', 'g').temperature).toBe(0);
    expect(parseGenerationConfig('{"do_sample": true, "temperature": 0.9}', 'g').temperature).toBe(0.9);
  });

  it.each([
    ['{"temperature": -1}', 'temperature'],
    ['{"top_p": 1.5}', 'top_p'],
    ['{"top_k": "40"}', 'top_k'],
    ['{"max_new_tokens": 0}', 'max_new_tokens'],
    ['{"do_sample": "yes"}', 'do_sample'],
    ['not json', 'JSON'],
  ])('refuses %s', (text, field) => {
    expect(() => parseGenerationConfig(text, 'g')).toThrow(FormatError);
    try {
      parseGenerationConfig(text, 'g');
    } catch (e) {
      expect((e as FormatError).field).toBe(field);
    }
  });
});
