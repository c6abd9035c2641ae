// Assemble a Model from files already in memory (read from disk in Node, fetched in the browser):
// a Hugging Face GPT-Neo checkpoint (config.json + model.safetensors + tokenizer files), or a
// firmware CRDP blob with its CTK2 tokenizer.
import { FormatError } from '../errors.js';
import { readCrdp } from '../formats/crdp.js';
import { loadCtk2 } from '../formats/ctk2.js';
import { neoConfigFromJson, parseGenerationConfig } from '../formats/hf-config.js';
import { jsonObject, parseJson } from '../bytes/json.js';
import { parseSafetensors, safetensorsInfo } from '../formats/safetensors.js';
import { neoWeightsFromSafetensors } from '../formats/hf-weights.js';
import { readGpt2Gguf } from '../formats/gguf-gpt2.js';
import { HF_TOKENIZER_FILES, loadHfTokenizer } from '../tokenizer/hf.js';
import { BpeTokenizer } from '../tokenizer/tokenizer.js';
import type { Tokenizer } from '../neo/tokenizer.js';
import { MODEL_CARD_DEFAULTS } from '../neo/config.js';
import type { Model } from '../neo/model.js';

/** The names of a Hugging Face GPT-Neo checkpoint's files, by the field of HfFiles holding each. */
export const HF_FILES = {
  config: 'config.json',
  safetensors: 'model.safetensors',
  generationConfig: 'generation_config.json',
  ...HF_TOKENIZER_FILES,
} as const;

/** The files of a Hugging Face GPT-Neo checkpoint, as text or bytes. */
export interface HfFiles {
  /** config.json */
  config: string;
  /** model.safetensors */
  safetensors: Uint8Array;
  /** tokenizer.json (preferred), or vocab.json + merges.txt */
  tokenizerJson?: string;
  vocabJson?: string;
  mergesTxt?: string;
  /** generation_config.json */
  generationConfig?: string;
  /** A tokenizer from elsewhere (e.g. a CTK2 blob); replaces the tokenizer files. */
  tokenizer?: Tokenizer;
}

/**
 * path: the checkpoint directory (files named config.json, model.safetensors, … in it), or the
 * path of a .safetensors file (its companion files sit in the same directory).
 */
export function modelFromHfFiles(files: HfFiles, path: string): Model {
  const single = path.endsWith('.safetensors');
  const dir = single ? path.slice(0, Math.max(0, path.lastIndexOf('/'), path.lastIndexOf('\\'))) || '.' : path;
  const name = (f: string): string => `${dir}/${f}`;
  const configFile = name(HF_FILES.config);
  const rawConfig = jsonObject(parseJson(files.config, configFile), configFile, 'config');
  const config = neoConfigFromJson(rawConfig, configFile);
  const stFile = single ? path : name(HF_FILES.safetensors);
  const st = parseSafetensors(files.safetensors, stFile);
  const weights = neoWeightsFromSafetensors(st, config);

  const tokenizer = files.tokenizer ?? hfTokenizer(files, dir);
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new FormatError(configFile, 'vocab_size', `at least the tokenizer's ${tokenizer.vocabSize} tokens`, String(config.vocabSize));
  }
  const generation =
    files.generationConfig === undefined
      ? { ...MODEL_CARD_DEFAULTS }
      : parseGenerationConfig(files.generationConfig, name(HF_FILES.generationConfig));
  return {
    source: { format: single ? 'safetensors' : 'hf', path },
    config,
    weights,
    tokenizer,
    generation,
    tensors: safetensorsInfo(st),
    rawConfig,
  };
}

function hfTokenizer(files: HfFiles, dir: string): Tokenizer {
  if (files.tokenizerJson !== undefined) return loadHfTokenizer({ tokenizerJson: files.tokenizerJson }, `${dir}/${HF_FILES.tokenizerJson}`);
  if (files.vocabJson !== undefined && files.mergesTxt !== undefined) {
    return loadHfTokenizer({ vocabJson: files.vocabJson, mergesTxt: files.mergesTxt }, dir);
  }
  throw new FormatError(dir, 'tokenizer', 'tokenizer.json, or vocab.json and merges.txt', 'neither');
}

/**
 * A firmware model blob (CRDP v2/v3) with its CTK2 tokenizer blob, or with another tokenizer of the
 * same vocabulary (e.g. the pruned tokenizer.json of the Hugging Face checkpoint).
 */
export function modelFromCrdp(modelBytes: Uint8Array, tokenizerBlob: Uint8Array | Tokenizer, path: string, tokenizerPath: string): Model {
  const crdp = readCrdp(modelBytes, path);
  const tokenizer = tokenizerBlob instanceof Uint8Array ? loadCtk2(tokenizerBlob, tokenizerPath) : tokenizerBlob;
  const { vocabSize, eosId } = crdp.config;
  if (tokenizer.vocabSize !== vocabSize) {
    throw new FormatError(tokenizerPath, 'vocab_size', `${vocabSize} (the model's, ${path})`, String(tokenizer.vocabSize));
  }
  if (tokenizer.eosId !== eosId) throw new FormatError(tokenizerPath, 'eos_id', `${eosId} (the last id)`, String(tokenizer.eosId));
  return {
    source: { format: 'crdp', version: crdp.header.version, path },
    config: crdp.config,
    weights: crdp.weights,
    tokenizer,
    generation: { ...MODEL_CARD_DEFAULTS },
    tensors: crdp.tensors,
    rawConfig: crdp.rawConfig,
  };
}

/** A Model from a gpt2 GGUF file (its tokenizer encodes as GPT-2 does, as llama.cpp's would). */
export function modelFromGguf(bytes: Uint8Array, path: string): Model {
  const g = readGpt2Gguf(bytes, path);
  return {
    source: { format: 'gguf', version: g.version, path },
    config: g.config,
    weights: g.weights,
    tokenizer: new BpeTokenizer(g.vocab, 'gpt2'),
    generation: { ...MODEL_CARD_DEFAULTS },
    tensors: g.tensors,
    rawConfig: g.rawConfig,
  };
}
