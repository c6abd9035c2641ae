// The models the engine tests share, each loaded once per test file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import type { NeoConfig } from '../../src/core/neo/config.js';
import { neoWeightsFromSafetensors } from '../../src/core/formats/hf-weights.js';
import type { Model } from '../../src/core/neo/model.js';
import type { NeoWeights } from '../../src/core/neo/weights.js';
import { loadModel } from '../../src/node/load.js';
import { DIM256_MODEL, HF_STANDIN, TINY_MODEL, V2_MODEL, V3_MODEL, V3_TOKENIZER } from '../helpers/shared.js';

const cache = new Map<string, Promise<Model>>();

function once(path: string, tokenizer?: string): Promise<Model> {
  let m = cache.get(path);
  if (!m) cache.set(path, (m = loadModel(path, { tokenizer })));
  return m;
}

/** The version-2 firmware blob with its CTK2 tokenizer. */
export const v2Model = (): Promise<Model> => once(V2_MODEL());
/** The version-3 blob (the same weights, another prune, 80 positions) with its tokenizer. */
export const v3Model = (): Promise<Model> => once(V3_MODEL());
/** The random dim-256 v3 blob (TinyTalk 2's geometry) with the v3 tokenizer. */
export const dim256Model = (): Promise<Model> => once(DIM256_MODEL(), V3_TOKENIZER());
/** The float32 Hugging Face stand-in of TinyTalk. */
export const standIn = (): Promise<Model> => once(HF_STANDIN());
/** The random 2-layer GPT-Neo with window 8 (weights only: it has no tokenizer). */
export function tinyModel(): { config: NeoConfig; weights: NeoWeights } {
  const dir = TINY_MODEL();
  const config = parseHfConfig(readFileSync(join(dir, 'config.json'), 'utf8'), 'config.json');
  const st = parseSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))), 'model.safetensors');
  return { config, weights: neoWeightsFromSafetensors(st, config) };
}
