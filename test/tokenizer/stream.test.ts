// Streaming decode: token by token through a StreamDecoder gives exactly the one-shot decode, and a
// character split over several tokens never prints as U+FFFD or as half a character.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Tokenizer } from '../../src/core/neo/tokenizer.js';
import { ctk2V2, gpt2Json, standIn } from './load.js';
import { mixedText } from './strings.js';

function streamed(tok: Tokenizer, ids: number[]): string[] {
  const d = tok.decoder();
  return [...ids.map((id) => d.push(id)), d.flush()];
}

describe.each([
  ['CTK2 tok_neo.bin (device)', ctk2V2()],
  ['pruned tokenizer.json', standIn()],
  ['GPT-2 tokenizer.json', gpt2Json()],
])('%s', (_, tok) => {
  it('streams exactly the one-shot decode of generated text', () => {
    fc.assert(
      fc.property(mixedText, (text) => {
        const ids = tok.encode(text);
        const parts = streamed(tok, ids);
        expect(parts.join('')).toBe(tok.decode(ids));
        // ... which is the text itself (the device reads text as a C string: up to a 0x00 byte).
        if (!text.includes('\0')) expect(parts.join('')).toBe(text);
        // Never half a character: every chunk is well-formed UTF-16 with no replacement character.
        for (const part of parts) expect(part).not.toMatch(/\uFFFD|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/);
      }),
      { numRuns: 500, seed: 7 },
    );
  });

  it.each(['emoji 😀👍🏽 party 🎉', '日本語のテキスト', 'naïve café 🏳️‍🌈 Ωμέγα'])('holds back split characters in %j', (text) => {
    const ids = tok.encode(text);
    const parts = streamed(tok, ids);
    expect(parts.join('')).toBe(text);
    expect(parts.some((p) => p === '')).toBe(true); // some token ended inside a character
    expect(parts.join('')).not.toContain('\uFFFD');
  });

  it('turns an unfinished character into U+FFFD on flush', () => {
    const [first] = tok.encode('日'); // 日 is 3 bytes, more than one token in all three
    const d = tok.decoder();
    expect(d.push(first!)).toBe('');
    expect(d.flush()).toBe('\uFFFD');
    expect(tok.decode([first!])).toBe('\uFFFD');
  });

  it('prints nothing for EOS and keeps going', () => {
    expect(streamed(tok, [...tok.encode('Hi'), tok.eosId, ...tok.encode('!')]).join('')).toBe('Hi!');
  });

  it('keeps a leading U+FEFF (text, not a byte-order mark)', () => {
    expect(streamed(tok, tok.encode('\ufeffok')).join('')).toBe('\ufeffok');
    expect(tok.decode(tok.encode('\ufeffok'))).toBe('\ufeffok');
  });
});
