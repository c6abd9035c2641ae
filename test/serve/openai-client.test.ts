// The official `openai` npm client against the server: answers equal the PyTorch float32 greedy goldens.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../../src/node/server/server.js';
import { sharedJson } from '../helpers/shared.js';
import { golden, serveShared } from './helpers.js';

let server: RunningServer;
let client: OpenAI;
const entries = golden();
const chats = entries.filter((e) => e.kind === 'chat');
const userText = (prompt: string) => /^User: (.*)\nBot:$/s.exec(prompt)![1]!;

beforeAll(async () => {
  server = await serveShared();
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: 'unused', maxRetries: 0 });
});
afterAll(() => server?.close());

describe('the openai client', () => {
  it('lists the model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['tinytalk']);
  });

  it('chat, not streamed: a user message becomes `User: …\\nBot:` and greedy decoding matches PyTorch', async () => {
    for (const e of chats.slice(0, 3)) {
      const r = await client.chat.completions.create({
        model: 'tinytalk',
        messages: [{ role: 'user', content: userText(e.prompt) }],
        temperature: 0,
        max_tokens: 40,
      });
      expect(r.object).toBe('chat.completion');
      expect(r.choices[0]!.message).toMatchObject({ role: 'assistant', content: e.text });
      expect(r.choices[0]!.finish_reason).toBe('stop'); // the golden stopped at EOS
      expect(r.usage).toMatchObject({ prompt_tokens: e.prompt_ids.length, completion_tokens: e.greedy_ids.length });
      const timings = (r as unknown as { timings: Record<string, number> }).timings;
      expect(timings.time_to_first_token_ms).toBeGreaterThan(0);
      expect(timings.generation_ms).toBeGreaterThanOrEqual(0);
      expect(timings.tokens_per_second).toBeGreaterThan(0);
    }
  });

  it('chat: a system message becomes a plain first line; a stop string cuts the reply', async () => {
    // A line whose device encoding (the firmware golden) is also the GPT-2 regex encoding: plain words.
    const line = sharedJson<{ entries: { text: string; ids: number[] }[] }>('golden', 'tokenizer_firmware.json').entries.find((x) =>
      /^[A-Za-z ,.?]+$/.test(x.text),
    )!;
    const e = chats[1]!;
    const r = await client.chat.completions.create({
      model: 'tinytalk',
      messages: [
        { role: 'system', content: line.text },
        { role: 'user', content: userText(e.prompt) },
      ],
      temperature: 0,
      max_tokens: 40,
    });
    expect(r.usage?.prompt_tokens).toBe(line.ids.length + 1 + e.prompt_ids.length); // + the newline
    expect(r.choices[0]!.message.content!.length).toBeGreaterThan(0);
    const cut = e.text.indexOf(' ', 3);
    const stopped = await client.chat.completions.create({
      model: 'tinytalk',
      messages: [{ role: 'user', content: userText(e.prompt) }],
      temperature: 0,
      max_tokens: 40,
      stop: e.text.slice(cut, cut + 4),
    });
    expect(stopped.choices[0]).toMatchObject({ message: { content: e.text.slice(0, cut) }, finish_reason: 'stop' });
  });

  it('chat, streamed: deltas add up to the golden reply, then finish_reason, usage and [DONE]', async () => {
    const e = chats[3]!;
    const stream = await client.chat.completions.create({
      model: 'tinytalk',
      messages: [{ role: 'user', content: userText(e.prompt) }],
      temperature: 0,
      max_tokens: 40,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: (string | null)[] = [];
    let usage: OpenAI.CompletionUsage | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      if (chunk.usage) usage = chunk.usage;
      for (const c of chunk.choices) {
        text += c.delta.content ?? '';
        finishes.push(c.finish_reason);
      }
    }
    expect(text).toBe(e.text);
    expect(chunks).toBeGreaterThan(e.greedy_ids.length / 2); // streamed, not one piece
    expect(finishes.filter((f) => f !== null)).toEqual(['stop']);
    expect(usage).toMatchObject({ prompt_tokens: e.prompt_ids.length, completion_tokens: e.greedy_ids.length });
  });

  it('multi-turn chat: history is joined by EOS and a newline as in training', async () => {
    const e = entries.find((x) => x.kind === 'multi-turn' && x.prompt_ids.length < 40)!;
    // 'User: hi!\nBot:  Hi! How are you?<|endoftext|>\nUser: i am good. what do you like to do?\nBot:'
    const [, u1, b1, u2] = /^User: (.*)\nBot:(.*)<\|endoftext\|>\nUser: (.*)\nBot:$/s.exec(e.prompt)!;
    const r = await client.chat.completions.create({
      model: 'tinytalk',
      messages: [
        { role: 'user', content: u1! },
        { role: 'assistant', content: b1! },
        { role: 'user', content: u2! },
      ],
      temperature: 0,
      max_tokens: 40,
    });
    expect(r.usage?.prompt_tokens).toBe(e.prompt_ids.length);
    expect(r.choices[0]!.message.content).toBe(e.text);
  });

  it('completions: raw text, streamed and not, with max_tokens → finish_reason length', async () => {
    const e = entries.find((x) => x.kind === 'raw')!;
    const r = await client.completions.create({ model: 'tinytalk', prompt: e.prompt, temperature: 0, max_tokens: 40 });
    expect(r.choices[0]).toMatchObject({ text: e.text, finish_reason: 'length' });
    expect(r.usage).toMatchObject({ prompt_tokens: 4, completion_tokens: 40, total_tokens: 44 });
    const stream = await client.completions.create({ model: 'tinytalk', prompt: e.prompt, temperature: 0, max_tokens: 40, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text).toBe(e.text);
  });

  it('completions: a stop string cuts the text before it', async () => {
    const e = entries.find((x) => x.kind === 'story')!;
    const cut = e.text.indexOf(' girl'); // " Once upon a time, there was a| girl named Lily."
    const r = await client.completions.create({ model: 'tinytalk', prompt: e.prompt, temperature: 0, max_tokens: 40, stop: [' girl', 'zzz'] });
    expect(r.choices[0]).toMatchObject({ text: e.text.slice(0, cut), finish_reason: 'stop' });
  });

  it('the context end stops generation (finish_reason length) where PyTorch did', async () => {
    const e = entries.find((x) => x.kind === 'long')!;
    const r = await client.completions.create({ model: 'tinytalk', prompt: e.prompt_ids, temperature: 0, max_tokens: 40 });
    expect(r.choices[0]).toMatchObject({ text: e.text, finish_reason: 'length' });
    expect(r.usage?.completion_tokens).toBe(e.greedy_ids.length);
  });

  it('sampling with a seed is repeatable; top_k 1 is greedy', async () => {
    const ask = (extra: object) =>
      client.chat.completions.create({ model: 'tinytalk', messages: [{ role: 'user', content: 'tell me about your day' }], max_tokens: 24, ...extra });
    const a = await ask({ temperature: 1.2, seed: 42 });
    const b = await ask({ temperature: 1.2, seed: 42 });
    expect(a.choices[0]!.message.content).toBe(b.choices[0]!.message.content);
    const greedy = await ask({ temperature: 0 });
    const topK1 = await client.chat.completions.create({
      model: 'tinytalk',
      messages: [{ role: 'user', content: 'tell me about your day' }],
      max_tokens: 24,
      temperature: 1.5,
      // top_k and min_p are not in OpenAI's types but are sent as given (llama.cpp's extensions)
      ...({ top_k: 1, min_p: 0.05 } as object),
    });
    expect(topK1.choices[0]!.message.content).toBe(greedy.choices[0]!.message.content);
  });

  it('top_p near 0 and min_p 1 keep only the best token: hot sampling gives the greedy golden', async () => {
    const e = chats[2]!;
    for (const extra of [{ top_p: 1e-6 }, { min_p: 1 }]) {
      const r = await client.chat.completions.create({
        model: 'tinytalk',
        messages: [{ role: 'user', content: userText(e.prompt) }],
        max_tokens: 40,
        temperature: 1.8,
        top_k: 0,
        ...(extra as object),
      } as OpenAI.ChatCompletionCreateParamsNonStreaming);
      expect(r.choices[0]!.message.content).toBe(e.text);
    }
  });
});
