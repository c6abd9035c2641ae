// Paths into ../shared (beside the project root). Tests that need it fail loudly when it is missing.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared');

/** Absolute path of a file under ../shared; throws (never skips) when it is not there. */
export function sharedPath(...parts: string[]): string {
  const p = join(SHARED, ...parts);
  if (!existsSync(p)) {
    throw new Error(`missing ${p}: the tests read TinyTalk's models and goldens from ../shared beside the project`);
  }
  return p;
}

export function sharedJson<T = any>(...parts: string[]): T {
  return JSON.parse(readFileSync(sharedPath(...parts), 'utf8')) as T;
}

export const V2_MODEL = () => sharedPath('models', 'tinytalk-q4', 'model_neo_q4.bin');
export const V2_TOKENIZER = () => sharedPath('models', 'tinytalk-q4', 'tok_neo.bin');
export const V3_MODEL = () => sharedPath('models', 'tinytalk-q4-v3', 'TINYTLK.BIN');
export const V3_TOKENIZER = () => sharedPath('models', 'tinytalk-q4-v3', 'TINYTLK.TOK');
/** Random weights in TinyTalk 2's geometry (dim 256), a v3 blob; its tokenizer is V3_TOKENIZER. */
export const DIM256_MODEL = () => sharedPath('models', 'tinytalk2-shape-random-v3', 'MODEL.BIN');
export const HF_STANDIN = () => sharedPath('hub', 'TheREZOR', 'TinyTalk');
export const TINY_MODEL = () => sharedPath('golden', 'tiny_model');
export const GPT2_TOKENIZER = () => sharedPath('tokenizers', 'gpt2');
