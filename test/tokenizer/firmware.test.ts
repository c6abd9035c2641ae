// The device encoding of CTK2 blobs against the firmware engine's own output
// (golden/tokenizer_firmware.json) and the measured values of firmware-format.md section 2.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCtk2 } from '../../src/core/formats/ctk2.js';
import { bytesToGpt2String } from '../../src/core/tokenizer/byte-unicode.js';
import { GPT2_TOKENIZER, sharedJson, V2_TOKENIZER, V3_TOKENIZER } from '../helpers/shared.js';
import { bytesOf, ctk2V2, ctk2V3 } from './load.js';

const tok = ctk2V2();
const text = (id: number) => new TextDecoder().decode(tok.piece(id));

describe('device encoding of tok_neo.bin', () => {
  const golden = sharedJson<{ entries: Array<{ text: string; ids: number[] }> }>('golden', 'tokenizer_firmware.json');

  it('matches the firmware engine on every golden entry', () => {
    expect(golden.entries.length).toBe(300);
    const mismatches = golden.entries.filter((e) => JSON.stringify(tok.encode(e.text)) !== JSON.stringify(e.ids));
    expect(mismatches).toEqual([]);
  });

  it('is the default mode of a CTK2 tokenizer', () => {
    expect(tok.defaultMode).toBe('device');
    expect(tok.encode('a\n\nb')).toEqual(tok.encode('a\n\nb', { mode: 'device' }));
  });

  // firmware-format.md 2.3, "Test vectors".
  it.each([
    ['User: hi! how are you today?\nBot:', '7815 25 10520 0 698 389 345 1795 30 198 9961 25'],
    ['Summary: a girl finds a lost cat.\nStory:', '10298 25 257 2360 5379 257 2399 3285 13 198 7323 25'],
    ['\nBot:', '198 9961 25'],
    ['\nStory:', '198 7323 25'],
    ['\n', '198'],
    ['Hello  world   foo', '8633 220 978 220 220 277 2079'],
    ["It's 2024! naïve café 日本", '1007 338 1135 17 19 0 7603 127 107 303 13116 220 162 245 98 162 250 105'],
    ['User: Hi\nBot: Hello there!', '7815 25 8736 198 9961 25 9430 610 0'],
    ['   ', '220 220 220'],
  ])('test vector %j', (input, ids) => {
    expect(tok.encode(input)).toEqual(ids.split(' ').map(Number));
  });

  it('merges across what the GPT-2 regex would split (2.3)', () => {
    expect(tok.encode('a\n\nb')).toEqual([64, 626, 65]);
    expect(tok.encode('a\n\nb', { mode: 'gpt2' })).toEqual([64, 198, 198, 65]);
  });

  it('stops at the first 0x00 byte, like the C string the device gets', () => {
    expect(tok.encode('Bot:\u0000User:')).toEqual([9961, 25]);
  });

  it('gives the prompt ids of the firmware generation goldens, EOS-joined turns included', () => {
    type Run = { prompt_ids: number[] };
    const gen = sharedJson<{ entries: Array<{ kind: string; prompt: string; kv80: Run; kv256: Run }> }>(
      'golden',
      'generate_firmware_greedy.json',
    );
    expect(gen.entries.filter((e) => e.prompt.includes('<|endoftext|>')).length).toBeGreaterThan(0);
    for (const e of gen.entries) {
      expect(tok.encode(e.prompt)).toEqual(e.kv80.prompt_ids);
      expect(tok.encode(e.prompt)).toEqual(e.kv256.prompt_ids);
    }
  });

  it('splits out a literal <|endoftext|> as EOS and encodes the pieces on their own', () => {
    expect(tok.encode('<|endoftext|><|endoftext|>')).toEqual([14018, 14018]);
    expect(tok.encode('Bot:<|endoftext|>\n')).toEqual([...tok.encode('Bot:'), 14018, ...tok.encode('\n')]);
  });
});

describe('CTK2 blob contents (firmware-format.md 2.1)', () => {
  const blob = parseCtk2(bytesOf(V2_TOKENIZER()), V2_TOKENIZER());

  it('reads the header', () => {
    expect([blob.vocabSize, blob.maxTokenLength, blob.eosId, blob.merges.length]).toEqual([14019, 17, 14018, 13762]);
    expect([tok.vocabSize, tok.eosId]).toEqual([14019, 14018]);
  });

  it('reads byte_ids and the merge table in file order', () => {
    expect(Array.from(blob.byteIds.subarray(0, 3))).toEqual([188, 189, 190]);
    expect([blob.byteIds[0x20], blob.byteIds[0x0a], blob.byteIds[0x41], blob.byteIds[0x21]]).toEqual([220, 198, 32, 0]);
    expect(blob.merges[0]).toEqual([0, 0, 2858]);
  });

  it.each([
    [0, '!'], [1, '"'], [32, 'A'], [198, '\n'], [220, ' '], [256, ' t'], [257, ' a'], [1000, 'ug'],
    [626, '\n\n'], [4009, ' Once'], [7815, 'User'], [9961, 'Bot'], [10298, 'Summary'], [7323, 'Story'],
    [25, ':'], [14017, ' gazed'], [14018, '<|endoftext|>'],
  ])('piece %i is %j', (id, piece) => {
    expect(text(id)).toBe(piece);
  });

  it('decodes EOS to nothing and the 0x00 piece as the device prints it (2.4)', () => {
    expect(tok.decode([9961, 25, 14018])).toBe('Bot:');
    expect(tok.decode([9961, 188, 25])).toBe('Bot:');
    expect(Array.from(tok.piece(188))).toEqual([0]);
  });

  it('maps pruned ids back to GPT-2 ids through the byte→unicode spelling (2.2)', () => {
    const gpt2 = JSON.parse(readFileSync(join(GPT2_TOKENIZER(), 'vocab.json'), 'utf8')) as Record<string, number>;
    const pairs = [[7815, 12982], [9961, 20630], [10298, 22093], [7323, 11605], [626, 628], [4009, 4874], [14018, 50256]];
    for (const [pruned, full] of pairs) expect(gpt2[bytesToGpt2String(tok.piece(pruned!))]).toBe(full);
    const recovered = blob.pieces.map((p) => gpt2[bytesToGpt2String(p)]!);
    expect(recovered.slice(0, 256)).toEqual(Array.from({ length: 256 }, (_, i) => i));
    expect(recovered.every((id, i) => i === 0 || id > recovered[i - 1]!)).toBe(true);
  });

  it('exposes the vocabulary with merges in rank (result id) order', () => {
    const v = tok.vocab();
    expect(v.pieces.length).toBe(14019);
    expect(v.merges.length).toBe(13762);
    expect(v.merges[0]).toEqual([220, 83, 256]); // " " + "t" → " t", GPT-2's first merge
    expect(v.merges.every((m, i) => i === 0 || m[2] > v.merges[i - 1]![2])).toBe(true);
    expect(Array.from(v.byteIds)).toEqual(Array.from(blob.byteIds));
  });
});

describe('the v3 calculator blob TINYTLK.TOK (section 11)', () => {
  const v3 = ctk2V3();
  const blob = parseCtk2(bytesOf(V3_TOKENIZER()), V3_TOKENIZER());

  it('reads its own prune', () => {
    expect([v3.vocabSize, v3.eosId, blob.merges.length]).toEqual([12062, 12061, 11805]);
  });

  it('encodes the same pieces as the v2 blob on chat text (both are pruned GPT-2)', () => {
    const golden = sharedJson<{ entries: Array<{ text: string; ids: number[] }> }>('golden', 'tokenizer_firmware.json');
    for (const { text: line } of golden.entries.slice(0, 50)) {
      const ours = v3.encode(line);
      expect(v3.decode(ours)).toBe(line);
      // Each v3 token is one v2 token or splits into v2 tokens; the pieces concatenate the same way.
      expect(ours.map((id) => bytesToGpt2String(v3.piece(id))).join('')).toBe(
        tok.encode(line).map((id) => bytesToGpt2String(tok.piece(id))).join(''),
      );
    }
  });
});
