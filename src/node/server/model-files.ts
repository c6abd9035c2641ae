// The files a loaded model was read from, offered at /v1/model-files so the page can run the same
// model in the browser.
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import type { Model } from '../../core/neo/model.js';
import { readHead } from '../files.js';
import type { ModelFile } from './served-model.js';

const HF_TOKENIZER_FILES = ['tokenizer.json', 'vocab.json', 'merges.txt'];

async function existing(paths: string[]): Promise<ModelFile[]> {
  const out: ModelFile[] = [];
  for (const path of paths) {
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile()) out.push({ name: basename(path), path, size: info.size });
  }
  return out;
}

/** The CTK2 blob loadModel paired with a CRDP blob: --tokenizer, else the one beside it (same stem first). */
async function ctk2For(modelPath: string, tokenizer: string | undefined): Promise<string[]> {
  if (tokenizer !== undefined) return [tokenizer];
  const dir = dirname(modelPath);
  const found: string[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const head = await readHead(join(dir, name), 4).catch(() => new Uint8Array());
    if (String.fromCharCode(...head) === 'CTK2') found.push(join(dir, name));
  }
  const stem = (p: string) => basename(p, extname(p));
  const same = found.filter((p) => stem(p) === stem(modelPath));
  return same.length === 1 ? same : found.slice(0, 1);
}

export async function modelFiles(model: Model, tokenizer?: string): Promise<ModelFile[]> {
  const { format, path } = model.source;
  if (format === 'crdp') return existing([path, ...(await ctk2For(path, tokenizer))]);
  if (format === 'hf' || format === 'safetensors') {
    const single = path.endsWith('.safetensors');
    const dir = single ? dirname(path) : path;
    const tokenizerFiles = tokenizer !== undefined ? [tokenizer] : HF_TOKENIZER_FILES.map((f) => join(dir, f));
    return existing([single ? path : join(dir, 'model.safetensors'), join(dir, 'config.json'), join(dir, 'generation_config.json'), ...tokenizerFiles]);
  }
  return []; // GGUF: the page cannot read it
}
