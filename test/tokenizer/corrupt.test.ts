// Broken tokenizer files get a FormatError naming the file and the field, never a crash or a hang.
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { loadCtk2, parseCtk2 } from '../../src/core/formats/ctk2.js';
import { loadHfTokenizer } from '../../src/core/tokenizer/hf.js';
import { HF_STANDIN, V2_TOKENIZER } from '../helpers/shared.js';
import { bytesOf } from './load.js';

function formatError(load: () => unknown): FormatError {
  try {
    load();
  } catch (err) {
    expect(err).toBeInstanceOf(FormatError);
    return err as FormatError;
  }
  throw new Error('expected a FormatError, but it loaded');
}

describe('corrupt CTK2 blobs', () => {
  const good = bytesOf(V2_TOKENIZER());
  const V = 14019, N = 13762;
  const PIECES = 532 + 6 * N;
  /** A copy of the blob with some edits made through a DataView. */
  const edit = (change: (view: DataView, bytes: Uint8Array) => void, length = good.length): Uint8Array => {
    const bytes = good.slice(0, length);
    change(new DataView(bytes.buffer), bytes);
    return bytes;
  };
  const merge = (m: number, k: number) => 532 + 6 * m + 2 * k;

  it.each<[string, Uint8Array, string]>([
    ['an empty file', new Uint8Array(0), 'header'],
    ['a file shorter than the header', good.slice(0, 531), 'header'],
    ['a wrong magic', edit((v) => v.setUint32(0, 0x50445243, true)), 'magic'],
    ['vocab_size 256 (no room for EOS)', edit((v) => v.setInt32(4, 256, true)), 'vocab_size'],
    ['vocab_size beyond u16 ids', edit((v) => v.setInt32(4, 70000, true)), 'vocab_size'],
    ['a negative vocab_size', edit((v) => v.setInt32(4, -1, true)), 'vocab_size'],
    ['max_token_length 0', edit((v) => v.setInt32(8, 0, true)), 'max_token_length'],
    ['eos_id outside the vocabulary', edit((v) => v.setInt32(12, V, true)), 'eos_id'],
    ['n_merges larger than the vocabulary', edit((v) => v.setInt32(16, 0x7fffffff, true)), 'n_merges'],
    ['a negative n_merges', edit((v) => v.setInt32(16, -3, true)), 'n_merges'],
    ['a merge table cut short', good.slice(0, 50_000), 'merges'],
    ['byte_ids with a repeated id', edit((v) => v.setUint16(22, v.getUint16(20, true), true)), 'byte_ids[1]'],
    ['byte_ids outside the vocabulary', edit((v) => v.setUint16(20 + 2 * 65, 60000, true)), 'byte_ids[65]'],
    ['byte_ids pointing at the wrong bytes', edit((v) => {
      const [a, b] = [v.getUint16(20 + 2 * 65, true), v.getUint16(20 + 2 * 66, true)];
      v.setUint16(20 + 2 * 65, b, true);
      v.setUint16(20 + 2 * 66, a, true);
    }), 'byte_ids[65]'],
    ['a merge result outside the vocabulary', edit((v) => v.setUint16(merge(5, 2), 65000, true)), 'merges[5]'],
    ['merges out of (a, b) order', edit((v, bytes) => bytes.copyWithin(merge(0, 0), merge(1, 0), merge(2, 0))), 'merges[1]'],
    ['a merge whose result is not the joined pieces', edit((v) => v.setUint16(merge(0, 2), 300, true)), 'merges[0]'],
    ['a negative piece length', edit((v) => v.setInt32(PIECES, -5, true)), 'pieces[0].length'],
    ['a huge piece length', edit((v) => v.setInt32(PIECES, 0x7fffffff, true)), 'pieces[0].length'],
    ['pieces cut short', good.slice(0, 200_000), 'pieces['],
  ])('rejects %s', (_, bytes, field) => {
    const err = formatError(() => parseCtk2(bytes, 'tok.bin'));
    expect(err.file).toBe('tok.bin');
    expect(err.field.startsWith(field)).toBe(true);
    expect(err.message).toMatch(/^tok\.bin: .+: expected /);
  });

  it('accepts trailing bytes after the pieces, as the device does', () => {
    const longer = new Uint8Array(good.length + 7);
    longer.set(good);
    expect(loadCtk2(longer, 'tok.bin').vocabSize).toBe(V);
  });

  it('never crashes or hangs on random damage', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(PIECES + 200), fc.nat(255)), { minLength: 1, maxLength: 8 }),
        fc.nat(good.length),
        (flips, length) => {
          const bytes = edit((_, b) => flips.forEach(([at, value]) => (b[at] = value)), length);
          try {
            const tok = loadCtk2(bytes, 'tok.bin');
            expect(tok.decode(tok.encode('User: hello there!\nBot:'))).toBe('User: hello there!\nBot:');
          } catch (err) {
            expect(err).toBeInstanceOf(FormatError);
          }
        },
      ),
      { numRuns: 150, seed: 3 },
    );
  });
});

describe('corrupt Hugging Face tokenizer files', () => {
  const file = join(HF_STANDIN(), 'tokenizer.json');
  const source = readFileSync(file, 'utf8');
  const parsed = () => JSON.parse(source) as { model: Record<string, any>; added_tokens: any[]; pre_tokenizer: any };
  const load = (json: unknown) => loadHfTokenizer({ tokenizerJson: typeof json === 'string' ? json : JSON.stringify(json) }, 'tokenizer.json');

  it.each<[string, () => unknown, string]>([
    ['text that is not JSON', () => source.slice(0, 5000), 'JSON'],
    ['a JSON array', () => '[]', 'tokenizer.json'],
    ['no model', () => ({ ...parsed(), model: undefined }), 'model'],
    ['no model.vocab', () => { const t = parsed(); delete t.model['vocab']; return t; }, 'model.vocab'],
    ['no model.merges', () => { const t = parsed(); delete t.model['merges']; return t; }, 'model.merges'],
    ['a merge of an unknown token', () => { const t = parsed(); t.model['merges'].push(['Ġzzqx', 'y']); return t; }, 'model.merges[13762]'],
    ['a merge whose result is unknown', () => { const t = parsed(); t.model['merges'].push(['Ġ', 'Ġ']); return t; }, 'model.merges[13762]'],
    ['a merge that is not a pair', () => { const t = parsed(); t.model['merges'][3] = 'abc'; return t; }, 'model.merges[3]'],
    ['a repeated merge', () => { const t = parsed(); t.model['merges'].push(t.model['merges'][0]); return t; }, 'model.merges[13762]'],
    ['a token not in GPT-2 byte spelling', () => { const t = parsed(); t.model['vocab']['a b'] = 14019; return t; }, 'model.vocab["a b"]'],
    ['a token id used twice', () => { const t = parsed(); t.model['vocab']['Ġzzqx'] = 5; return t; }, 'model.vocab["Ġzzqx"]'],
    ['a gap in the ids', () => { const t = parsed(); t.model['vocab']['Ġzzqx'] = 20000; return t; }, 'model.vocab'],
    ['a missing byte token', () => { const t = parsed(); delete t.model['vocab']['Ġ']; return t; }, 'model.vocab'],
    ['no <|endoftext|>', () => { const t = parsed(); delete t.model['vocab']['<|endoftext|>']; t.added_tokens = []; return t; }, 'added_tokens'],
    ['another model type', () => { const t = parsed(); t.model['type'] = 'WordPiece'; return t; }, 'model.type'],
    ['another pre-tokenizer', () => ({ ...parsed(), pre_tokenizer: { type: 'Whitespace' } }), 'pre_tokenizer.type'],
    ['a pre-tokenizer without the regex split', () => ({ ...parsed(), pre_tokenizer: { ...parsed().pre_tokenizer, use_regex: false } }), 'pre_tokenizer.use_regex'],
    ['BPE dropout', () => { const t = parsed(); t.model['dropout'] = 0.1; return t; }, 'model.dropout'],
    ['a word suffix', () => { const t = parsed(); t.model['end_of_word_suffix'] = '</w>'; return t; }, 'model.end_of_word_suffix'],
  ])('rejects tokenizer.json with %s', (_, make, field) => {
    const err = formatError(() => load(make()));
    expect(err.file).toBe('tokenizer.json');
    expect(err.field).toBe(field);
  });

  it('accepts the older "a b" merge strings', () => {
    const t = parsed();
    t.model['merges'] = t.model['merges'].map((m: string[]) => m.join(' '));
    expect(load(t).encode('User: hi! how are you today?\nBot:')).toEqual([7815, 25, 10520, 0, 698, 389, 345, 1795, 30, 198, 9961, 25]);
  });

  const vocabJson = readFileSync(join(HF_STANDIN(), 'vocab.json'), 'utf8');
  const mergesTxt = readFileSync(join(HF_STANDIN(), 'merges.txt'), 'utf8');
  it.each<[string, string, string, string, string]>([
    ['vocab.json that is not JSON', '{"a": 1', mergesTxt, 'dir/vocab.json', 'JSON'],
    ['a merges.txt line with three tokens', vocabJson, `${mergesTxt}a b c\n`, 'dir/merges.txt', 'line 13764'],
    ['a merges.txt merge of unknown tokens', vocabJson, `${mergesTxt}Ġzzqx y\n`, 'dir/merges.txt', 'line 13764'],
  ])('rejects %s', (_, vocab, merges, errFile, field) => {
    const err = formatError(() => loadHfTokenizer({ vocabJson: vocab, mergesTxt: merges }, 'dir'));
    expect([err.file, err.field]).toEqual([errFile, field]);
  });

  it('asks for tokenizer.json or both vocab.json and merges.txt', () => {
    expect(formatError(() => loadHfTokenizer({ vocabJson }, 'dir')).field).toBe('tokenizer');
  });

  it('loads the vocab.json + merges.txt pair like tokenizer.json', () => {
    const pair = loadHfTokenizer({ vocabJson, mergesTxt }, 'dir');
    const json = load(source);
    const text = 'Summary: a girl finds a lost cat.\nStory: Once upon a time';
    expect(pair.encode(text)).toEqual(json.encode(text));
    expect(pair.vocab().merges).toEqual(json.vocab().merges);
  });
});
