// The v3 blob's tokenizer (TINYTLK.TOK) against the v3 engine's encoder on the 300 texts of
// golden/v3/tokenizer_firmware_tinytalk1_v3.json: the pruned ids, and their GPT-2 ids through
// each piece's bytes and GPT-2's vocab.json.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bytesToGpt2String } from '../../src/core/tokenizer/byte-unicode.js';
import { GPT2_TOKENIZER, sharedJson } from '../helpers/shared.js';
import { v3Model } from '../engine/models.js';

const golden = sharedJson<{ entries: Array<{ text: string; ids: number[]; gpt2_ids: number[] }> }>('golden', 'v3', 'tokenizer_firmware_tinytalk1_v3.json').entries;

describe('v3 tokenizer', () => {
  it('encodes the 300 texts to the golden ids, which decode back to the text', async () => {
    const tok = (await v3Model()).tokenizer;
    const vocab = JSON.parse(readFileSync(join(GPT2_TOKENIZER(), 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(golden).toHaveLength(300);
    for (const e of golden) {
      const ids = tok.encode(e.text, { mode: 'device' });
      expect(ids, e.text).toEqual(e.ids);
      expect(ids.map((id) => vocab[bytesToGpt2String(tok.piece(id))]), e.text).toEqual(e.gpt2_ids);
      expect(tok.decode(ids)).toBe(e.text);
    }
  });
});
