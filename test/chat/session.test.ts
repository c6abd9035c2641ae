// ChatSession in firmware mode against the firmware engine's own runs: greedy replies at kv80,
// multi-turn prompts built from history, and seeded sampling (seed 1234, temperature 0.8).
import { describe, expect, it } from 'vitest';
import { FIRMWARE_INPUT_MAX } from '../../src/core/firmware/settings.js';
import { ChatSession, type ReplyResult } from '../../src/core/chat/session.js';
import { generate } from '../../src/core/generate/generate.js';
import { loadModel } from '../../src/node/load.js';
import { sharedJson, V2_MODEL } from '../helpers/shared.js';

interface Run {
  prompt_ids: number[];
  ids: number[];
  text: string;
  finish_reason: string;
}
interface GoldenEntry {
  kind: string;
  prompt: string;
  kv80: Run;
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'generate_firmware_greedy.json').entries;
const sampled = sharedJson<{ entries: { prompt: string; prompt_ids: number[]; text: string }[] }>('golden', 'sample_firmware_seed1234.json').entries;
const model = await loadModel(V2_MODEL());

async function say(session: ChatSession, text: string): Promise<ReplyResult & { streamed: string }> {
  const it = session.reply(text);
  let streamed = '';
  for (;;) {
    const r = await it.next();
    if (r.done) return { ...r.value, streamed };
    streamed += r.value;
  }
}

describe('firmware chat session', () => {
  it('gives the firmware engine\'s greedy replies to its chat prompts', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: 60 });
    // Every other one of the 25 keeps this file quick; the CLI test runs others.
    for (const e of golden.filter((g, i) => g.kind === 'chat' && i % 2 === 0)) {
      session.newChat();
      const r = await say(session, /^User: (.*)\nBot:$/s.exec(e.prompt)![1]!);
      expect(r.promptIds, e.prompt).toEqual(e.kv80.prompt_ids);
      expect(r.ids, e.prompt).toEqual(e.kv80.ids);
      expect(r.text).toBe(e.kv80.text);
      expect(r.streamed).toBe(e.kv80.text);
      expect(r.finishReason).toBe(e.kv80.finish_reason);
      expect(session.history.exchanges).toEqual([{ user: /^User: (.*)\n/.exec(e.prompt)![1], bot: e.kv80.text }]);
    }
  });

  it('continues a remembered conversation as the firmware engine did (unlimited reply, budget 79)', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: -1 });
    for (const e of golden.filter((g) => g.kind === 'multi')) {
      session.newChat();
      const parts = e.prompt.split('<|endoftext|>\n');
      for (const p of parts.slice(0, -1)) {
        const m = /^User: (.*)\nBot:(.*)$/s.exec(p)!;
        session.history.push(m[1]!, m[2]!);
      }
      const r = await say(session, /^User: (.*)\nBot:$/s.exec(parts.at(-1)!)![1]!);
      expect(r.promptIds).toEqual(e.kv80.prompt_ids);
      expect(r.ids).toEqual(e.kv80.ids);
      expect(r.text).toBe(e.kv80.text);
    }
  });

  it('with seed 1234 at temperature 0.8 samples what the device sampled, in chat, story and raw modes', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0.8, seed: 1234, maxReply: 40 });
    for (const e of sampled) {
      session.newChat();
      const chat = /^User: (.*)\nBot:$/s.exec(e.prompt);
      const story = /^Summary: (.*)\nStory:$/s.exec(e.prompt);
      session.set({ mode: chat ? 'chat' : story ? 'story' : 'raw' });
      const r = await say(session, chat?.[1] ?? story?.[1] ?? e.prompt);
      expect(r.promptIds, e.prompt).toEqual(e.prompt_ids);
      expect(r.text, e.prompt).toBe(e.text);
    }
    expect(session.history.exchanges).toHaveLength(1); // story and raw turns are not remembered
  });

  it('stops at the 80-position window and says so', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: -1, mode: 'story' });
    const e = golden.find((g) => g.kind === 'story')!;
    const r = await say(session, /^Summary: (.*)\nStory:$/s.exec(e.prompt)![1]!);
    expect(r.finishReason).toBe('context');
    expect(r.promptIds.length + r.ids.length).toBe(80);
    expect(r.ids.slice(0, e.kv80.ids.length)).toEqual(e.kv80.ids); // the golden run stopped at 60 tokens
  });

  it('stops a reply when the signal aborts and remembers what was said', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: 60 });
    const ac = new AbortController();
    const it = session.reply('hi! how are you today?', ac.signal);
    const first = await it.next();
    ac.abort(new Error('stop'));
    let r = await it.next();
    while (!r.done) r = await it.next();
    expect(r.value.finishReason).toBe('interrupted');
    expect(first.value).toBe(' I');
    expect(r.value.text.startsWith(' I')).toBe(true);
    expect(session.history.exchanges).toHaveLength(1);
  });

  it('takes a message as the device\'s keyboard would: printable ASCII, at most 201 characters', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: 60 });
    const hi = golden.find((g) => g.prompt === 'User: hi! how are you today?\nBot:')!;
    const r = await say(session, 'hi!\t how are you today?\u00e9\u{1F600}');
    expect(r.input).toBe('hi! how are you today?');
    expect(r.promptIds).toEqual(hi.kv80.prompt_ids);
    expect(r.text).toBe(hi.kv80.text);
    expect(session.history.exchanges[0]!.user).toBe('hi! how are you today?');
    expect(session.prepare('a'.repeat(300)).ids).toEqual(session.prepare('a'.repeat(FIRMWARE_INPUT_MAX)).ids);
    await expect(say(session, '\u00e9\u00e9')).rejects.toThrow(/only printable ASCII/);
    expect(() => new ChatSession(model, { maxReply: -2 })).toThrow(/-1 for no limit; got -2/);
  });

  it('unsafe mode (-2) wraps around the window like the device, then starts a new conversation', async () => {
    const session = new ChatSession(model, { firmware: true, temperature: 0, maxReply: -2 });
    // Four remembered golden exchanges (three fit beside the message): a 71-token prompt whose
    // greedy reply runs into the window's end (the engine's plain run stops there).
    for (const g of golden.filter((e) => e.kind === 'chat').slice(0, 4)) session.history.push(/^User: (.*)\nBot:$/s.exec(g.prompt)![1]!, g.kv80.text);
    const text = 'hi! how are you today?';
    const n = session.prepare(text).ids.length;
    expect(n).toBe(71);
    expect((await generate(model, session.prepare(text).ids, { firmware: true, temperature: 0, maxTokens: 80 })).finishReason).toBe('context');
    const ac = new AbortController();
    const it = session.reply(text, ac.signal);
    let pieces = 0;
    let r = await it.next();
    for (; !r.done; r = await it.next()) if (++pieces === 40) ac.abort(new Error('enough'));
    const res = r.value;
    expect(res.wrapped).toBe(true);
    expect(res.ids.length).toBeGreaterThan(80 - n);
    // The firmware engine's own unsafe run from the same prompt gives the same tokens.
    const engine = await generate(model, res.promptIds, { firmware: true, temperature: 0, wrap: true, maxTokens: res.ids.length });
    expect(res.ids).toEqual(engine.ids.slice(0, res.ids.length));
    expect(session.history.exchanges).toHaveLength(0);
  });
});
