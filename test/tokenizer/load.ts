// The tokenizers the tests compare, loaded once per test file from ../shared.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCtk2 } from '../../src/core/formats/ctk2.js';
import { loadHfTokenizer } from '../../src/core/tokenizer/hf.js';
import { GPT2_TOKENIZER, HF_STANDIN, V2_TOKENIZER, V3_TOKENIZER } from '../helpers/shared.js';

export const bytesOf = (path: string): Uint8Array => new Uint8Array(readFileSync(path));

export const ctk2V2 = () => loadCtk2(bytesOf(V2_TOKENIZER()), V2_TOKENIZER());
export const ctk2V3 = () => loadCtk2(bytesOf(V3_TOKENIZER()), V3_TOKENIZER());

/** The stand-in checkpoint's pruned tokenizer.json (same 14,019 tokens as tok_neo.bin). */
export const standIn = () => {
  const file = join(HF_STANDIN(), 'tokenizer.json');
  return loadHfTokenizer({ tokenizerJson: readFileSync(file, 'utf8') }, file);
};

/** Full GPT-2 from tokenizer.json. */
export const gpt2Json = () => {
  const file = join(GPT2_TOKENIZER(), 'tokenizer.json');
  return loadHfTokenizer({ tokenizerJson: readFileSync(file, 'utf8') }, file);
};

/** Full GPT-2 from vocab.json + merges.txt. */
export const gpt2Pair = () =>
  loadHfTokenizer(
    {
      vocabJson: bytesOf(join(GPT2_TOKENIZER(), 'vocab.json')),
      mergesTxt: bytesOf(join(GPT2_TOKENIZER(), 'merges.txt')),
    },
    GPT2_TOKENIZER(),
  );
