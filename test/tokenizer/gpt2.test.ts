// Full GPT-2 (vocab.json + merges.txt, and tokenizer.json) against two independent implementations
// on thousands of generated strings: tiktoken's gpt2 encoding (OpenAI's Rust tokenizer as WASM) and
// gpt-tokenizer's r50k_base (pure JS). Both give GPT-2's ids.
import fc from 'fast-check';
import { encode as r50kEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { get_encoding } from 'tiktoken';
import { afterAll, describe, expect, it } from 'vitest';
import { BYTE_TO_UNICODE, bytesToGpt2String, GPT2_BYTE_ORDER, gpt2StringToBytes } from '../../src/core/tokenizer/byte-unicode.js';
import { GPT2_TOKENIZER, sharedPath } from '../helpers/shared.js';
import { gpt2Json, gpt2Pair } from './load.js';
import { mixedText } from './strings.js';

const tiktoken = get_encoding('gpt2');
afterAll(() => tiktoken.free());
const tiktokenEncode = (text: string): number[] => Array.from(tiktoken.encode(text));

/**
 * gpt-tokenizer splits with JavaScript's `\s`, which (unlike the Unicode White_Space of GPT-2's
 * Python regex, Hugging Face's Oniguruma and tiktoken's Rust regex) includes U+FEFF and lacks U+0085;
 * it is an oracle only for texts without those two characters.
 */
const JS_WHITESPACE_QUIRKS = /[\ufeff\u0085]/;

const dialogue = () => readFileSync(sharedPath('data', 'synthetic-persona-chat-valid.csv'), 'utf8');
let dialogueIds: number[] | undefined;
/** tiktoken's ids for the dialogue file, computed once for both tokenizers (it takes seconds). */
const dialogueTiktoken = (): number[] => (dialogueIds ??= tiktokenEncode(dialogue()));

const tokenizers = [
  ['tokenizer.json', gpt2Json()],
  ['vocab.json + merges.txt', gpt2Pair()],
] as const;

describe.each(tokenizers)('GPT-2 from %s', (_, tok) => {
  it('has the full vocabulary', () => {
    expect([tok.vocabSize, tok.eosId, tok.defaultMode]).toEqual([50257, 50256, 'gpt2']);
    expect(tok.vocab().merges.length).toBe(50000);
  });

  it('gives the ids of tiktoken and gpt-tokenizer r50k_base, and decodes back to the text', () => {
    let quirky = 0;
    fc.assert(
      fc.property(mixedText, (text) => {
        const ids = tok.encode(text);
        expect(ids).toEqual(tiktokenEncode(text));
        if (JS_WHITESPACE_QUIRKS.test(text)) quirky++;
        else expect(ids).toEqual(r50kEncode(text));
        expect(tok.decode(ids)).toBe(text);
      }),
      { numRuns: 2500, seed: 20261124 },
    );
    expect(quirky).toBeGreaterThan(100); // the White_Space edge cases were exercised
  });

  it('treats U+0085 as whitespace and U+FEFF as a symbol, as GPT-2\'s regex does', () => {
    // Where JavaScript's \s would split differently (see JS_WHITESPACE_QUIRKS).
    for (const text of ['x \ufeffy', 'a \u0085b', 'a \u0085 b', '\ufeff\ufeff  \u0085\u0085 !']) {
      expect(tok.encode(text)).toEqual(tiktokenEncode(text));
    }
    expect(tok.encode('x \ufeffy')).not.toEqual(r50kEncode('x \ufeffy'));
  });

  it('agrees with both on a whole real file (1.8 MB of dialogue)', () => {
    const text = dialogue();
    const ids = tok.encode(text);
    expect(ids).toEqual(dialogueTiktoken());
    expect(ids).toEqual(r50kEncode(text));
    expect(tok.decode(ids)).toBe(text);
  });

  it('splits <|endoftext|> out as EOS wherever it appears', () => {
    expect(tok.encode('<|endoftext|>')).toEqual([50256]);
    expect(tok.encode('a b<|endoftext|> c')).toEqual([...r50kEncode('a b'), 50256, ...r50kEncode(' c')]);
    expect(tok.encode('x<|endoftext|><|endoftext|>y')).toEqual([...r50kEncode('x'), 50256, 50256, ...r50kEncode('y')]);
    expect(tok.decode(tok.encode('x<|endoftext|>y'))).toBe('xy');
    expect(new TextDecoder().decode(tok.piece(50256))).toBe('<|endoftext|>');
  });

  it('can use the device encoding too (no regex: whitespace runs merge)', () => {
    expect(tok.encode('a\n\nb')).toEqual([64, 198, 198, 65]);
    expect(tok.encode('a\n\nb', { mode: 'device' })).toEqual([64, 628, 65]);
  });
});

describe('GPT-2 byte ↔ unicode mapping', () => {
  const vocab = JSON.parse(readFileSync(join(GPT2_TOKENIZER(), 'vocab.json'), 'utf8')) as Record<string, number>;

  it('numbers the byte tokens as vocab.json does', () => {
    for (let b = 0; b < 256; b++) expect(vocab[BYTE_TO_UNICODE[b]!]).toBe(GPT2_BYTE_ORDER.indexOf(b));
    expect(new Set(GPT2_BYTE_ORDER).size).toBe(256);
    expect([vocab['Ġ'], vocab['Ċ']]).toEqual([220, 198]);
    expect(GPT2_BYTE_ORDER[220]).toBe(0x20);
  });

  it('round-trips every vocab.json entry through raw bytes', () => {
    for (const token of Object.keys(vocab)) {
      expect(bytesToGpt2String(gpt2StringToBytes(token)!)).toBe(token);
    }
    expect(gpt2StringToBytes('a b')).toBeNull(); // a raw space is not a GPT-2 spelling
  });
});
