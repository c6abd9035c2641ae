// Prompt building and history trimming against the firmware's rules (firmware-format.md 5.2-5.4)
// and the firmware engine's multi-turn prompt ids (generate_firmware_greedy.json).
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ChatHistory } from '../../src/core/chat/history.js';
import { FIRMWARE_HIST_MAX } from '../../src/core/firmware/settings.js';
import type { Exchange } from '../../src/core/formats/dialogue.js';
import { chatPrompt, promptBudget, rawPrompt, storyPrompt, type PromptRules } from '../../src/core/chat/prompt.js';
import { loadCtk2 } from '../../src/core/formats/ctk2.js';
import { sharedJson, sharedPath, V2_TOKENIZER } from '../helpers/shared.js';

const tok = loadCtk2(new Uint8Array(readFileSync(V2_TOKENIZER())), V2_TOKENIZER());
const EOS = 14018;
const rules = (budget: number, firmware = true): PromptRules => ({ encode: (t) => tok.encode(t, { mode: 'device' }), eosId: EOS, budget, firmware });

interface GoldenEntry {
  kind: string;
  prompt: string;
  kv80: { prompt_ids: number[]; ids: number[]; text: string };
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'generate_firmware_greedy.json').entries;

/** A golden multi-turn prompt `User: u\nBot: b<|endoftext|>\n…User: x\nBot:` as history + message. */
function splitConversation(prompt: string): { history: Exchange[]; text: string } {
  const parts = prompt.split('<|endoftext|>\n');
  const history = parts.slice(0, -1).map((p) => {
    const m = /^User: (.*)\nBot:(.*)$/s.exec(p)!;
    return { user: m[1]!, bot: m[2]! };
  });
  return { history, text: /^User: (.*)\nBot:$/s.exec(parts.at(-1)!)![1]! };
}

describe('prompt budget (5.2)', () => {
  it.each([
    [44, 35],
    [-1, 79],
    [4, 75],
    [72, 8],
    [75, 8],
  ])('max reply %i → %i prompt tokens', (maxReply, budget) => {
    expect(promptBudget(80, maxReply)).toBe(budget);
  });
});

describe('chat prompt (5.3)', () => {
  const first = golden.find((e) => e.prompt === 'User: hi! how are you today?\nBot:')!;
  const history: Exchange[] = [{ user: 'hi! how are you today?', bot: first.kv80.text }];
  const current = [7815, 25, 642, 318, 533, 1382, 30, 198, 9961, 25];

  it('reproduces the computed example: budget 35 drops the exchange, 79 keeps it', () => {
    expect(chatPrompt(history, 'what is your name?', rules(promptBudget(80, 44)))).toEqual({ ids: current, kept: 0, dropped: 1, cut: false });
    const kept = chatPrompt(history, 'what is your name?', rules(promptBudget(80, -1)));
    // The exchange's 24 tokens are the firmware's prompt ids followed by its reply ids.
    expect(kept.ids).toEqual([...first.kv80.prompt_ids, ...first.kv80.ids, EOS, 198, ...current]);
    expect(kept.ids).toHaveLength(36);
    expect(kept.kept).toBe(1);
  });

  it('keeps an exchange at exactly the budget and drops it one token below', () => {
    expect(chatPrompt(history, 'what is your name?', rules(36)).kept).toBe(1);
    expect(chatPrompt(history, 'what is your name?', rules(35)).kept).toBe(0);
  });

  it.each(golden.filter((e) => e.kind === 'multi').map((e) => [e.prompt, e] as const))('gives the firmware engine\'s ids for %j', (_, e) => {
    const { history: h, text } = splitConversation(e.prompt);
    expect(chatPrompt(h, text, rules(79)).ids).toEqual(e.kv80.prompt_ids);
  });

  it('keeps the newest exchanges when older ones do not fit', () => {
    const e = golden.filter((g) => g.kind === 'multi').at(-1)!; // two past exchanges, 50 tokens
    const { history: h, text } = splitConversation(e.prompt);
    const ids = e.kv80.prompt_ids;
    const secondStart = ids.indexOf(EOS) + 2; // after the first exchange's EOS and newline
    const r = chatPrompt(h, text, rules(ids.length - 1));
    expect(r).toMatchObject({ kept: 1, dropped: 1, cut: false });
    expect(r.ids).toEqual(ids.slice(secondStart));
  });

  it('cuts a message over the budget the device\'s way (firmware) and refuses it otherwise', () => {
    const text = 'i like to play with my friends in the park and then we go home and eat a big dinner together';
    const seg = tok.encode(`User: ${text}\nBot:`, { mode: 'device' });
    expect(seg.length).toBeGreaterThan(20);
    const r = chatPrompt(history, text, rules(20));
    expect(r.ids).toEqual([...seg.slice(0, 16), 198, 9961, 25]);
    expect(r.cut).toBe(true);
    expect(chatPrompt(history, text, rules(20, false))).toMatchObject({ ids: [], tooLong: { tokens: seg.length, budget: 20 } });
  });
});

describe('story and raw prompts (5.4)', () => {
  it('formats a story prompt as the firmware engine did', () => {
    for (const e of golden.filter((g) => g.kind === 'story')) {
      const summary = /^Summary: (.*)\nStory:$/s.exec(e.prompt)![1]!;
      expect(storyPrompt(summary, rules(35)).ids).toEqual(e.kv80.prompt_ids);
    }
  });

  it('falls back when the story prompt is over the budget, quirk included', () => {
    const summary = tok.encode('Summary: a girl finds a lost cat.', { mode: 'device' }); // 9 tokens
    expect(summary).toHaveLength(9);
    expect(storyPrompt('a girl finds a lost cat.', rules(10))).toMatchObject({ ids: [...summary.slice(0, 6), 198, 7323, 25], cut: true });
    expect(storyPrompt('a girl finds a lost cat.', rules(8)).ids).toEqual([198, 7323, 25]);
    expect(storyPrompt('a girl finds a lost cat.', rules(8, false)).tooLong).toEqual({ tokens: 12, budget: 8 });
  });

  it('encodes raw text as it is, and nothing when it is over the budget', () => {
    expect(rawPrompt('Once upon a time', rules(35)).ids).toEqual([5490, 2218, 257, 638]);
    expect(rawPrompt('Once upon a time', rules(3, true))).toMatchObject({ ids: [], cut: true });
    expect(rawPrompt('Once upon a time', rules(3, false)).tooLong).toEqual({ tokens: 4, budget: 3 });
  });
});

describe('history', () => {
  it('keeps at most HIST_MAX exchanges on the device and never an empty reply', () => {
    const h = new ChatHistory(FIRMWARE_HIST_MAX);
    for (let i = 0; i < 6; i++) h.push(`u${i}`, i === 5 ? '' : ` b${i}`);
    expect(h.exchanges.map((e) => e.user)).toEqual(['u1', 'u2', 'u3', 'u4']);
  });

  it('never exceeds the budget and always keeps the newest exchanges that fit (property)', () => {
    const lines = readFileSync(sharedPath('data', 'chat_val.txt'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/^(User|Bot): /, '').replace('<|endoftext|>', ''))
      .filter((l) => l.length > 0 && l.length < 200)
      .slice(0, 400);
    const line = fc.constantFrom(...lines);
    fc.assert(
      fc.property(
        fc.array(fc.record({ user: line, bot: line.map((l) => ` ${l}`) }), { maxLength: 8 }),
        line,
        fc.integer({ min: 8, max: 255 }),
        fc.boolean(),
        (history, text, budget, firmware) => {
          const r = rules(budget, firmware);
          const p = chatPrompt(history, text, r);
          if (p.tooLong) return;
          expect(p.ids.length).toBeLessThanOrEqual(budget);
          expect(p.kept + p.dropped).toBe(history.length);
          if (p.cut) return;
          // The prompt is the newest `kept` exchanges, in order, then the message...
          const decoded = tok.decode(p.ids.filter((id) => id !== EOS));
          const kept = history.slice(history.length - p.kept);
          expect(decoded).toBe([...kept.map((e) => `User: ${e.user}\nBot:${e.bot}\n`), `User: ${text}\nBot:`].join(''));
          // ...and the next older exchange would not have fitted.
          if (p.dropped > 0) {
            const older = history[p.dropped - 1]!;
            expect(p.ids.length + r.encode(`User: ${older.user}\nBot:${older.bot}`).length + 2).toBeGreaterThan(budget);
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});
