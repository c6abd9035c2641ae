// After training, on request: the firmware pair (CRDP Q4 model + CTK2 tokenizer) and a GGUF file,
// written with the convert helper's writers.
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { writeCrdp } from '../../core/formats/crdp.js';
import { writeCtk2 } from '../../core/formats/ctk2.js';
import { writeGpt2Gguf, type GgufType } from '../../core/formats/gguf-gpt2.js';
import type { Model } from '../../core/neo/model.js';
import { paramLayout, weightsFromParams } from '../../core/train/params.js';
import { writeFileAtomic } from '../files.js';

/** Writes model_neo_q4.bin and tok_neo.bin into dir; returns their paths. */
export async function exportFirmware(model: Model, params: Float32Array, dir: string): Promise<string[]> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  await mkdir(dir, { recursive: true });
  const files: [string, Uint8Array][] = [
    [join(dir, 'model_neo_q4.bin'), writeCrdp(model.config, weights, 2)],
    [join(dir, 'tok_neo.bin'), writeCtk2(model.tokenizer.vocab())],
  ];
  for (const [path, bytes] of files) await writeFileAtomic(path, bytes);
  return files.map(([p]) => p);
}

export async function exportGguf(model: Model, params: Float32Array, file: string, type: GgufType): Promise<string> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  await writeFileAtomic(file, writeGpt2Gguf({ config: model.config, weights, vocab: model.tokenizer.vocab(), name: 'tinytalk-finetune' }, type));
  return file;
}
