// ChatSession on v3 blobs in firmware mode: the v3 firmware's window, prompt budget (window − 8),
// sampler defaults (temperature 0.8, top-p 0.9) and sliding window, against the v3 goldens.
import { describe, expect, it } from 'vitest';
import { runChatCommand } from '../../src/core/chat/commands.js';
import { ChatSession, type ReplyResult } from '../../src/core/chat/session.js';
import { sharedJson } from '../helpers/shared.js';
import { dim256Model, v2Model, v3Model } from '../engine/models.js';
import type { V3Entry, V3Run } from './goldens.js';

async function say(session: ChatSession, text: string): Promise<ReplyResult> {
  const it = session.reply(text);
  for (;;) {
    const r = await it.next();
    if (r.done) return r.value;
  }
}

/** A golden prompt as a conversation: its past exchanges remembered afresh, then its last message sent. */
async function sayPrompt(session: ChatSession, prompt: string): Promise<ReplyResult> {
  session.newChat();
  const parts = prompt.split('<|endoftext|>\n');
  for (const p of parts.slice(0, -1)) {
    const m = /^User: (.*)\nBot:(.*)$/s.exec(p)!;
    session.history.push(m[1]!, m[2]!);
  }
  return say(session, userText(parts.at(-1)!));
}

const greedy = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'generate_firmware_greedy_tinytalk1_v3.json').entries;
const sampled = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'sample_firmware_seed1234_tinytalk1_v3.json').entries;
const dim256 = sharedJson<{ entries: V3Entry[] }>('golden', 'v3', 'random_dim256', 'generate_firmware_greedy_random_dim256.json').entries;
const userText = (prompt: string): string => /^User: (.*)\nBot:$/s.exec(prompt)![1]!;

describe('v3 firmware chat', () => {
  it('takes the v3 firmware\'s settings from the blob', async () => {
    const s = new ChatSession(await v3Model(), { firmware: true });
    expect(s.settings).toMatchObject({ firmwareVersion: 3, fma: false, context: 80, temperature: 0.8, topP: 0.9, maxReply: 44 });
    expect(s.budget).toBe(72); // the window less 8, whatever the reply limit
    s.set({ maxReply: -1 });
    expect(s.budget).toBe(72);
    const big = new ChatSession(await dim256Model(), { firmware: true });
    expect([big.settings.context, big.budget]).toEqual([72, 64]);
    const v2 = new ChatSession(await v2Model(), { firmware: true });
    expect(v2.settings).toMatchObject({ firmwareVersion: 2, context: 80 });
    expect(v2.settings.topP).toBeUndefined();
    expect(new ChatSession(await v2Model(), { firmware: true, firmwareVersion: 3 }).settings).toMatchObject({ firmwareVersion: 3, topP: 0.9 });
  });

  it('replies greedily as the v3 engine did, single and multi-turn', async () => {
    const session = new ChatSession(await v3Model(), { firmware: true, temperature: 0, maxReply: 60 });
    for (const e of greedy.filter((g, i) => g.kind === 'multi' || (g.kind === 'chat' && i % 3 === 0))) {
      const want = e.kv80 as V3Run;
      const r = await sayPrompt(session, e.prompt);
      expect(r.promptIds, e.prompt).toEqual(want.prompt_ids);
      expect(r.ids, e.prompt).toEqual(want.ids);
      expect(r.text).toBe(want.text);
      expect(r.finishReason).toBe(want.finish_reason);
    }
  });

  it('samples with the firmware\'s defaults (temperature 0.8, top-p 0.9) what the v3 engine sampled', async () => {
    const session = new ChatSession(await v3Model(), { firmware: true, seed: 1234, maxReply: 40 });
    for (const e of sampled.filter((g) => g.prompt.startsWith('User: '))) {
      session.newChat();
      const r = await say(session, userText(e.prompt));
      expect(r.ids, e.prompt).toEqual((e['top_p_0.9'] as V3Run).ids);
    }
    session.set({ topP: 1 });
    session.newChat();
    const e = sampled[0]!;
    expect((await say(session, userText(e.prompt))).ids).toEqual((e['top_p_1.0'] as V3Run).ids);
  });

  it('slides the window through a long reply (dim 256: window 72) and stops at the position table\'s end', async () => {
    const session = new ChatSession(await dim256Model(), { firmware: true, temperature: 0, maxReply: -1 });
    // the multi-turn entries run into position 255 ("context"), after 10 or 11 slides
    for (const e of dim256.filter((g) => g.kind === 'multi').slice(0, 2)) {
      const want = e.kv72 as V3Run;
      const r = await sayPrompt(session, e.prompt);
      expect(r.promptIds, e.prompt).toEqual(want.prompt_ids);
      expect(r.ids, e.prompt).toEqual(want.ids);
      expect(r.finishReason).toBe('context');
      expect(r.slides).toBe(want.slides!.length);
      expect(r.wrapped).toBe(false);
    }
  });

  it('has no unsafe mode on v3, and no top-p on v2', async () => {
    const model = await v3Model();
    expect(() => new ChatSession(model, { firmware: true, maxReply: -2 })).toThrow(/the v3 firmware has no unsafe mode/);
    const v2 = new ChatSession(await v2Model(), { firmware: true });
    expect(() => runChatCommand(v2, '/topp 0.5')).toThrow(/v2 firmware samples without top-p/);
    const v3 = new ChatSession(model, { firmware: true });
    expect(runChatCommand(v3, '/topp 0.5')?.message).toBe('top-p: 0.5');
    expect(() => runChatCommand(v3, '/topp 0')).toThrow(/top-p must be in \(0, 1\]/);
  });
});
