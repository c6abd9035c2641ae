// Encoding work grows with the input length, not its square. Timings on a shared machine are too
// noisy to assert on, so the merge loop's pair lookups are counted instead: a loop that rescans
// the text after each merge does O(n) lookups per merge, the heap does a handful per byte.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BpeTokenizer } from '../../src/core/tokenizer/tokenizer.js';
import { sharedPath } from '../helpers/shared.js';
import { ctk2V2, gpt2Json } from './load.js';

const chat = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8').slice(0, 200_000);
const device = ctk2V2() as BpeTokenizer;
const gpt2 = gpt2Json() as BpeTokenizer;

/** Pair lookups per input byte for one encode, and how many merges it made. */
function work(tok: BpeTokenizer, text: string, mode: 'gpt2' | 'device') {
  const bytes = new TextEncoder().encode(text.replaceAll('<|endoftext|>', '')).length;
  const before = tok.stats.pairLookups;
  const ids = tok.encode(text, { mode });
  const eos = text.split('<|endoftext|>').length - 1;
  return { perByte: (tok.stats.pairLookups - before) / bytes, merges: bytes - (ids.length - eos) };
}

describe('encoding is not quadratic', () => {
  it.each([
    ['200 kB of dialogue', device, chat],
    ['a repeated pair', device, 'ab'.repeat(100_000)],
    ['a run of newlines', device, '\n'.repeat(200_000)],
    ['a run of dashes (full GPT-2)', gpt2, '-'.repeat(200_000)],
  ])('device mode merges %s as one whole in a few lookups per byte', (_, tok, text) => {
    const { perByte, merges } = work(tok, text, 'device');
    expect(merges).toBeGreaterThan(text.length / 3); // it really merged a lot
    expect(perByte).toBeLessThanOrEqual(6);
  });

  it.each([
    ['one huge word', 'abcdefghij'.repeat(20_000)],
    ['one huge run of newlines (a single regex word)', `${'\n'.repeat(200_000)}x`],
  ])('gpt2 mode does the same on %s', (_, text) => {
    const { perByte, merges } = work(gpt2, text, 'gpt2');
    expect(merges).toBeGreaterThan(text.length / 3); // it really merged a lot
    expect(perByte).toBeLessThanOrEqual(6);
  });

  it('gpt2 mode looks each repeated word up in its cache', () => {
    work(gpt2, chat, 'gpt2');
    expect(work(gpt2, chat, 'gpt2').perByte).toBe(0);
  });
});
