// The files a loaded model was read from, offered at /v1/model-files so the page can run the same
// model in the browser: the ones the loader took (the pairing rule of core/load/pairing.ts).
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SNIFF_BYTES } from '../../core/formats/sniff.js';
import { HF_FILES } from '../../core/load/model.js';
import { tokenizerFor } from '../../core/load/pairing.js';
import { HF_TOKENIZER_FILES } from '../../core/tokenizer/hf.js';
import type { Model } from '../../core/neo/model.js';
import { readHead } from '../files.js';
import type { ModelFile } from './served-model.js';

async function existing(paths: string[]): Promise<ModelFile[]> {
  const out: ModelFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) out.push({ name: basename(path), path, size: info.size });
  }
  return out;
}

/** The CTK2 blob loadModel paired with a CRDP blob: --tokenizer, else the one beside it. */
async function ctk2For(modelPath: string, tokenizer: string | undefined): Promise<string[]> {
  if (tokenizer !== undefined) return [tokenizer];
  const dir = dirname(modelPath);
  const beside = await Promise.all(
    (await readdir(dir)).map(async (name) => ({ name: join(dir, name), head: await readHead(join(dir, name), SNIFF_BYTES).catch(() => new Uint8Array()) })),
  );
  const choice = tokenizerFor(modelPath, beside);
  return 'found' in choice ? [choice.found] : [];
}

export async function modelFiles(model: Model, tokenizer?: string): Promise<ModelFile[]> {
  const { format, path } = model.source;
  if (format === 'crdp') return existing([path, ...(await ctk2For(path, tokenizer))]);
  if (format === 'hf' || format === 'safetensors') {
    const single = path.endsWith('.safetensors');
    const dir = single ? dirname(path) : path;
    const tokenizerFiles = tokenizer !== undefined ? [tokenizer] : Object.values(HF_TOKENIZER_FILES).map((f) => join(dir, f));
    return existing([single ? path : join(dir, HF_FILES.safetensors), join(dir, HF_FILES.config), join(dir, HF_FILES.generationConfig), ...tokenizerFiles]);
  }
  return []; // GGUF: the page cannot read it
}
