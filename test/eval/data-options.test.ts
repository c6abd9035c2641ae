// `tinytalk eval` on the data a user has, through the built command: the same data options as
// `train` (--rows, --bot-speaker), files without dialogue refused with what they hold, a line
// saying what was scored (counted here from the file itself), and --json fields that are
// snake_case and exactly the ones its help lists.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tinytalk } from '../helpers/cli.js';
import { sharedPath, V2_MODEL } from '../helpers/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'tinytalk-eval-data-'));
const persona = () => sharedPath('data', 'synthetic-persona-chat-valid.csv');
const write = (name: string, text: string) => {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
};

describe('eval: files that hold no dialogue', () => {
  it.each([
    ['notes.txt', 'hello world\n', 'plain text, neither "User:"/"Bot:" lines nor a "Story:" record'],
    ['alice-bob.txt', 'Alice: hi!\nBob: hello, how are you?\nAlice: fine, thanks.\nBob: good.\n', 'lines start with "Alice:", not "User:"/"Bot:"'],
  ])('%s is refused, saying what it holds', (name, text, what) => {
    const file = write(name, text);
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `tinytalk: no User:/Bot: exchanges found in ${file} (skipped: 1 × ${what}). Give training text (User: … / Bot: … lines, ` +
        'a blank line between conversations), a .jsonl of {"messages": [...]}, or a .csv of conversations with --bot-speaker naming the bot\n',
    );
  });
});

describe('eval: the data options of train', () => {
  it('--bot-speaker names the bot of a CSV; an absent one is named in the error', () => {
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', persona(), '--rows', '0:3', '--bot-speaker', 'User 1', '--json']);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ samples: 3, chats: 3, stories: 0 });
    const absent = tinytalk(['eval', '--model', V2_MODEL(), '--data', persona(), '--bot-speaker', 'Alice']);
    expect(absent.status).toBe(1);
    expect(absent.stderr).toMatch(/conversation column: expected a column with lines starting "Alice:" \(the --bot-speaker\), found none\n$/);
  });

  it('--rows picks conversations: rows 0:3 score as many tokens as a file of those three conversations', () => {
    const rows = JSON.parse(tinytalk(['eval', '--model', V2_MODEL(), '--data', persona(), '--rows', '0:3', '--json']).stdout);
    // the same conversations cut out by hand: the header line and the first three quoted records
    const text = readFileSync(persona(), 'utf8');
    const starts = [...text.matchAll(/^"/gm)].map((m) => m.index!).filter((i) => /^"[^"]*","[^"]*","User 1:/.test(text.slice(i)));
    const cut = write('three.csv', text.slice(0, starts[3]));
    const whole = JSON.parse(tinytalk(['eval', '--model', V2_MODEL(), '--data', cut, '--json']).stdout);
    expect(rows.samples).toBe(3);
    expect([rows.tokens, rows.loss]).toEqual([whole.tokens, whole.loss]);
  });
});

describe('eval: what it scored', () => {
  it('says how many chats and stories it scored, as the records of the file count them', () => {
    const text = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8');
    const first = text.split('\n\n').filter((r) => r.trim() !== '').slice(0, 30);
    const chats = first.filter((r) => r.startsWith('User: ')).length;
    expect(chats).toBeGreaterThan(0);
    expect(chats).toBeLessThan(30);
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', sharedPath('data', 'chat_val.txt'), '--limit', '30']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`scored: the bot replies of ${chats} chats and the story text of ${30 - chats} stories\n`);
  });

  it('--json: snake_case fields, exactly those its help lists', () => {
    const r = tinytalk(['eval', '--model', V2_MODEL(), '--data', persona(), '--rows', '0:2', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const keys = Object.keys(JSON.parse(r.stdout));
    for (const k of keys) expect(k).toMatch(/^[a-z]+(_[a-z]+)*$/);
    const help = tinytalk(['eval', '--help']).stdout.replace(/\s+/g, ' ');
    const listed = /--json print \{([^}]*)\}/.exec(help)![1]!.split(',').map((k) => k.trim().replace(/"/g, ''));
    expect(keys.sort()).toEqual(listed.sort());
  });
});
