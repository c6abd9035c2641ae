// --rows FROM:TO: a record range of a CSV, JSONL or training-text file gives the same samples as a
// file holding only those records (cut independently of the parser), ranges are read strictly,
// and a range past the end of the file names the file and its record count.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, UsageError } from '../../src/core/errors.js';
import { parseData } from '../../src/core/train/data.js';
import { parseRowRange } from '../../src/core/train/rows.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedPath } from '../helpers/shared.js';
import { personaSlice } from './helpers.js';

describe('parseRowRange', () => {
  it.each([
    ['0:300', { from: 0, to: 300 }],
    ['900:1000', { from: 900, to: 1000 }],
    ['900:', { from: 900, to: undefined }],
    [':20', { from: 0, to: 20 }],
    [' 5 : 6 ', { from: 5, to: 6 }],
  ])('%s', (spec, range) => expect(parseRowRange(spec)).toEqual(range));

  it.each(['', ':', '3', '5:5', '6:5', '-1:4', '1.5:3', 'a:b', '0:300:5'])('refuses "%s"', (spec) => {
    expect(() => parseRowRange(spec)).toThrow(UsageError);
  });
});

describe('record ranges of data files', () => {
  it('CSV: rows 20:24 are the conversations of a file cut to those rows', () => {
    const csv = readFileSync(sharedPath('data', 'synthetic-persona-chat-valid.csv'), 'utf8');
    const cut = personaSlice(20, 24);
    expect(parseData(csv, 'persona.csv', { rows: { from: 20, to: 24 } })).toEqual(parseData(readFileSync(cut, 'utf8'), cut));
    expect(parseData(csv, 'persona.csv', { rows: { from: 995 } }).samples).toHaveLength(5);
  });

  it('training text: records counted after dropping empty pieces', () => {
    const text = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8');
    const records = text.split('\n\n').filter((r) => r.trim() !== '');
    const cut = records.slice(10, 13).join('\n\n');
    expect(parseData(text, 'chat_val.txt', { rows: { from: 10, to: 13 } })).toEqual(parseData(cut, 'chat_val.txt'));
  });

  it('JSONL: non-blank lines', () => {
    const line = (u: string, a: string) => JSON.stringify({ messages: [{ role: 'user', content: u }, { role: 'assistant', content: a }] });
    const text = ['', line('a', 'b'), '', line('c', 'd'), line('e', 'f'), ''].join('\n');
    const r = parseData(text, 'x.jsonl', { rows: { from: 1, to: 3 } });
    expect(r.samples).toEqual([
      { kind: 'chat', exchanges: [{ user: 'c', bot: 'd' }] },
      { kind: 'chat', exchanges: [{ user: 'e', bot: 'f' }] },
    ]);
  });

  it('a range past the end names the file and how many records it has', () => {
    const csv = readFileSync(sharedPath('data', 'synthetic-persona-chat-valid.csv'), 'utf8');
    expect(() => parseData(csv, 'persona.csv', { rows: { from: 990, to: 1010 } })).toThrow(
      new FormatError('persona.csv', 'rows 990:1010', "a range within the file's 1000 conversations"),
    );
  });

  it('train and eval take --rows on the command line and refuse a malformed one', () => {
    const data = sharedPath('data', 'synthetic-persona-chat-valid.csv');
    const bad = tinytalk(['eval', '--model', HF_STANDIN(), '--data', data, '--rows', '10-20']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/--rows.*expected FROM:TO/);
    const out = join(mkdtempSync(join(tmpdir(), 'tinytalk-rows-')), 'run');
    const past = tinytalk(['train', '--model', HF_STANDIN(), '--data', data, '--rows', '0:2000', '--out', out]);
    expect(past.status).toBe(1);
    expect(past.stderr).toMatch(/synthetic-persona-chat-valid\.csv: rows 0:2000: expected a range within the file's 1000 conversations/);
  });
});
