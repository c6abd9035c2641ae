// Training data: the three input formats, the 7.2 segment-by-segment encoding (checked against the
// PyTorch reference's batch), packing and the report.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../src/core/errors.js';
import { loadHfTokenizer } from '../../src/core/tokenizer/hf.js';
import {
  IGNORE_LABEL, csvSpeakers, dataReport, encodeSample, packSequences, parseCsv, parseData, parseTrainingText, splitValidation,
} from '../../src/core/train/data.js';
import { HF_STANDIN, sharedJson, sharedPath } from '../helpers/shared.js';

const tok = loadHfTokenizer({ tokenizerJson: readFileSync(join(HF_STANDIN(), 'tokenizer.json'), 'utf8') }, 'tokenizer.json');
const chatVal = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8');

describe('training text (chat_val.txt)', () => {
  const parsed = parseTrainingText(chatVal);

  // the shared file holds 672 records (614 chats, counted with Python's split("\n\n")), not section 9's 772
  it('reads every record: 614 chats and 58 stories, none skipped', () => {
    expect(parsed.samples.length).toBe(672);
    expect(parsed.samples.filter((s) => s.kind === 'chat').length).toBe(614);
    expect(parsed.skipped).toEqual({});
  });

  it('encodes samples 0 and 5 exactly as the reference batch (first 64 tokens)', () => {
    const ref = sharedJson('golden', 'tinytalk_grads.json');
    [0, 5].forEach((s, row) => {
      const e = encodeSample(parsed.samples[s]!, tok);
      expect(e.ids.slice(0, 64)).toEqual(ref.input_ids[row]);
      expect(e.labels.slice(0, 64)).toEqual(ref.labels[row]);
    });
  });

  it('masks a story record up to and including "\\nStory:"', () => {
    const story = parsed.samples.find((s) => s.kind === 'story' && s.prompt !== '')!;
    const e = encodeSample(story, tok);
    const prompt = story.kind === 'story' ? tok.encode(story.prompt) : [];
    expect(e.labels.slice(0, prompt.length).every((l) => l === IGNORE_LABEL)).toBe(true);
    expect(e.labels.slice(prompt.length)).toEqual(e.ids.slice(prompt.length));
    expect(e.ids[e.ids.length - 1]).toBe(tok.eosId);
  });

  it('reports about 55% of the tokens carrying loss (the recipe\'s estimate)', () => {
    const packed = packSequences(parsed.samples.map((s) => encodeSample(s, tok)), 256, tok.eosId);
    const r = dataReport(parsed, packed);
    expect(r.samples).toBe(672);
    expect(r.lossShare).toBeGreaterThan(0.45);
    expect(r.lossShare).toBeLessThan(0.65);
    expect(r.blocks).toBe(Math.ceil(r.tokens / 256));
  });
});

describe('JSONL chat exports', () => {
  it('pairs user and assistant messages, drops system prompts, skips samples without a reply', () => {
    const text = [
      JSON.stringify({ messages: [{ role: 'system', content: 'be nice' }, { role: 'user', content: 'Hi  there\n' }, { role: 'assistant', content: 'Hello!' }, { role: 'user', content: 'Bye' }] }),
      JSON.stringify({ messages: [{ role: 'user', content: 'anyone?' }] }),
      'not json',
      '',
    ].join('\n');
    const p = parseData(text, 'chats.jsonl');
    expect(p.samples).toEqual([{ kind: 'chat', exchanges: [{ user: 'Hi there', bot: 'Hello!' }] }]);
    expect(p.skipped).toEqual({ 'no user message followed by an assistant reply': 1, 'line is not valid JSON': 1 });
    const e = encodeSample(p.samples[0]!, tok);
    expect(e.ids).toEqual([...tok.encode('User: Hi there\nBot:'), ...tok.encode(' Hello!'), tok.eosId]);
  });

  it('names the file and field for an unknown role', () => {
    const bad = JSON.stringify({ messages: [{ role: 'tool', content: 'x' }] });
    expect(() => parseData(bad, 'x.jsonl')).toThrow(FormatError);
    expect(() => parseData(bad, 'x.jsonl')).toThrow(/x\.jsonl: line 1: messages\[\]\.role/);
  });
});

describe('CSV conversations (synthetic persona chat)', () => {
  const csv = readFileSync(sharedPath('data', 'synthetic-persona-chat-valid.csv'), 'utf8');

  it('parses quoted multi-line cells', () => {
    expect(parseCsv('a,b\n"x, ""y""\nz",2\n', 'f.csv')).toEqual([['a', 'b'], ['x, "y"\nz', '2']]);
  });

  it('takes the conversation column and makes the chosen speaker the bot', () => {
    const p = parseData(csv, 'persona.csv', { botSpeaker: 'User 2' });
    expect(p.samples.length).toBeGreaterThan(100);
    const first = p.samples[0]!;
    expect(first.kind).toBe('chat');
    if (first.kind === 'chat') {
      expect(first.exchanges[0]).toEqual({ user: 'Hi!', bot: 'Hello!' });
      expect(first.exchanges[1]!.bot).toBe('I like to move objects with my mind.');
    }
    const swapped = parseData(csv, 'persona.csv', { botSpeaker: 'User 1' }).samples[0]!;
    if (swapped.kind === 'chat') expect(swapped.exchanges[0]).toEqual({ user: 'Hello!', bot: 'What is your favorite thing to do?' });
  });

  it('finds the speakers of the conversation column, in the order they first speak', () => {
    const rows = parseCsv(csv, 'persona.csv').slice(1);
    const speaksIn = (name: string) => rows.filter((r) => r[2]!.split('\n').some((l) => l.startsWith(`${name}:`))).length;
    expect(csvSpeakers(csv, 'persona.csv')).toEqual([
      { name: 'User 1', conversations: speaksIn('User 1') },
      { name: 'User 2', conversations: speaksIn('User 2') },
    ]);
  });

  it('leaves out a name heard in under a tenth of the conversations (a colon inside a turn)', () => {
    const chats = Array.from({ length: 12 }, (_, i) => `"Alice: hi ${i}\nBob: hello${i === 3 ? '\nNote: a wrapped line' : ''}"`);
    expect(csvSpeakers(`id,chat\n${chats.map((c, i) => `${i},${c}`).join('\n')}\n`, 'two.csv')).toEqual([
      { name: 'Alice', conversations: 12 },
      { name: 'Bob', conversations: 12 },
    ]);
  });

  it('rejects a bot speaker that never speaks', () => {
    expect(() => parseData(csv, 'persona.csv', { botSpeaker: 'Alice' })).toThrow(/persona\.csv: conversation column/);
  });
});

describe('packing and splitting', () => {
  it('concatenates in order, pads the last block with unlabelled EOS, counts shifted loss tokens', () => {
    const packed = packSequences([{ ids: [1, 2, 3], labels: [-100, 2, 3] }, { ids: [4, 5], labels: [4, -100] }], 4, 9);
    expect(Array.from(packed.ids)).toEqual([1, 2, 3, 4, 5, 9, 9, 9]);
    expect(Array.from(packed.labels)).toEqual([-100, 2, 3, 4, -100, -100, -100, -100]);
    expect(packed.tokens).toBe(5);
    expect(packed.lossTokens).toBe(3); // 2, 3, 4; block 2's first label is never scored
  });

  it('holds out every k-th sample', () => {
    const { train, val } = splitValidation([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], 0.2);
    expect(val).toEqual([4, 9]);
    expect(train).toEqual([0, 1, 2, 3, 5, 6, 7, 8]);
    expect(splitValidation([0, 1, 2], 0.2)).toEqual({ train: [0, 1], val: [2] });
  });
});
