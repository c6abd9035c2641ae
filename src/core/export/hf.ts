// A Hugging Face GPT-Neo checkpoint, built in memory: config.json, model.safetensors (F32, F16 or
// BF16), tokenizer.json, vocab.json, merges.txt, tokenizer_config.json, special_tokens_map.json and
// generation_config.json, laid out as transformers' save_pretrained writes them (tied lm_head
// left out). The trainer saves its checkpoints with it; `tinytalk convert --to hf` writes it out;
// the ONNX export reuses everything but the weights.
import { jsonText } from '../bytes/json.js';
import { generationConfigJson, hfConfigJson } from '../formats/hf-config.js';
import { neoTensors } from '../formats/hf-weights.js';
import { writeSafetensors, type SafetensorsDtype } from '../formats/safetensors.js';
import { HF_FILES } from '../load/model.js';
import type { GenerationDefaults, NeoConfig } from '../neo/config.js';
import type { Tokenizer } from '../neo/tokenizer.js';
import type { NeoWeights } from '../neo/weights.js';
import { hfTokenizerFiles } from '../tokenizer/hf.js';

export interface HfExportable {
  config: NeoConfig;
  weights: NeoWeights;
  tokenizer: Tokenizer;
  generation?: GenerationDefaults;
}

export interface HfExportOptions {
  /** Storage type of every tensor (default F32). */
  dtype?: SafetensorsDtype;
}

/** file name → bytes, for a Hugging Face GPT-Neo directory. */
export function hfCheckpointFiles(model: HfExportable, options: HfExportOptions = {}): Map<string, Uint8Array> {
  const dtype = options.dtype ?? 'F32';
  const files = hfConfigFiles(model, dtype);
  files.set(HF_FILES.safetensors, writeSafetensors(neoTensors(model.config, model.weights, dtype)));
  return files;
}

/**
 * Everything of the directory but the weights: config.json (with `configExtras` added),
 * generation_config.json and the tokenizer files. Also the frame of the ONNX export.
 */
export function hfConfigFiles(model: HfExportable, dtype: SafetensorsDtype, configExtras: Record<string, unknown> = {}): Map<string, Uint8Array> {
  const { config } = model;
  const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
  const files = new Map<string, Uint8Array>();
  files.set(HF_FILES.config, utf8(jsonText({ ...hfConfigJson(config, model.weights.wte.rows, dtype), ...configExtras })));
  files.set(HF_FILES.generationConfig, utf8(jsonText(generationConfigJson(config, model.generation))));
  for (const [name, text] of hfTokenizerFiles(model.tokenizer.vocab(), config.maxPositions)) files.set(name, utf8(text));
  return files;
}
