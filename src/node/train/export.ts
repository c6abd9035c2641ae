// After training, on request: the firmware pair (CRDP Q4 model + CTK2 tokenizer) and a GGUF file,
// written with the same writers as `tinytalk convert`.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { firmwareFiles } from '../../core/export/firmware.js';
import { writeGpt2Gguf, type GgufType } from '../../core/formats/gguf-gpt2.js';
import type { Model } from '../../core/neo/model.js';
import { paramLayout, weightsFromParams } from '../../core/train/params.js';
import { writeFileAtomic } from '../files.js';

/** Writes the version-2 firmware's model and tokenizer blobs into dir; returns their paths. */
export async function exportFirmware(model: Model, params: Float32Array, dir: string): Promise<string[]> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  const { files } = firmwareFiles({ config: model.config, weights, tokenizer: model.tokenizer }, 2, false);
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, bytes] of files) {
    paths.push(join(dir, name));
    await writeFileAtomic(join(dir, name), bytes);
  }
  return paths;
}

export async function exportGguf(model: Model, params: Float32Array, file: string, type: GgufType): Promise<string> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  await writeFileAtomic(file, writeGpt2Gguf({ config: model.config, weights, vocab: model.tokenizer.vocab(), name: 'tinytalk-finetune' }, type));
  return file;
}
