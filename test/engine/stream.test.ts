// Streaming: pieces add up to the one-shot result, characters split across tokens come out whole,
// stop strings cut the text, aborting stops the run.
import { describe, expect, it } from 'vitest';
import { generate, generateStream, type GeneratePiece, type GenerateResult } from '../../src/core/generate/generate.js';
import { UsageError } from '../../src/core/errors.js';
import type { Model } from '../../src/core/neo/model.js';
import { standIn, v2Model } from './models.js';

async function collect(it: AsyncGenerator<GeneratePiece, GenerateResult>): Promise<{ pieces: GeneratePiece[]; result: GenerateResult }> {
  const pieces: GeneratePiece[] = [];
  for (;;) {
    const r = await it.next();
    if (r.done) return { pieces, result: r.value };
    pieces.push(r.value);
  }
}

/** Makes the model say exactly `ids` (then EOS), through the normal generation path. */
function forcing(model: Model, ids: number[]) {
  return (logits: Float32Array, done: readonly number[]): void => {
    const want = done.length < ids.length ? ids[done.length]! : model.config.eosId;
    logits.fill(-Infinity);
    logits[want] = 0;
  };
}

describe('streaming', () => {
  it.each([
    ['reference', { seed: 5, temperature: 0.9, topK: 40, topP: 0.95, minP: 0.02, repetitionPenalty: 1.2 }],
    ['firmware', { seed: 5, temperature: 0.9, firmware: true }],
  ] as const)('%s: the pieces equal the one-shot result', async (kind, o) => {
    const model = kind === 'firmware' ? await v2Model() : await standIn();
    const prompt = 'Summary: a boy and his dog.\nStory:';
    const once = await generate(model, prompt, { ...o, maxTokens: 30 });
    const { pieces, result } = await collect(generateStream(model, prompt, { ...o, maxTokens: 30 }));
    expect(result.ids).toEqual(once.ids);
    expect(result.text).toBe(once.text);
    expect(pieces.filter((p) => p.id >= 0).map((p) => p.id)).toEqual(once.ids);
    expect(pieces.map((p) => p.text).join('')).toBe(once.text);
    expect(once.text).toBe(model.tokenizer.decode(once.ids));
    expect(once.finishReason).toBe('length');
    expect(once.timings.tokensPerSecond).toBeGreaterThan(0);
  });

  it('a character split across tokens prints whole, once complete', async () => {
    const model = await standIn();
    const text = ' I love 😀 and 日本!';
    const ids = model.tokenizer.encode(text);
    expect(ids.length).toBeGreaterThan(text.length / 2); // the emoji and the kanji take several byte tokens
    const { pieces, result } = await collect(generateStream(model, 'User: hi\nBot:', { temperature: 0, processLogits: forcing(model, ids) }));
    expect(result.ids).toEqual(ids);
    expect(result.text).toBe(text);
    expect(result.finishReason).toBe('eos');
    expect(pieces.map((p) => p.text)).toContain('😀'); // the space is a token of its own here
    expect(pieces.some((p) => p.text === '')).toBe(true); // the emoji's first bytes show nothing yet
    expect(pieces.map((p) => p.text).join('')).toBe(text);
    expect(pieces.every((p) => !p.text.includes('\uFFFD'))).toBe(true);
  });

  it('a stop string ends the text before it, also when it spans tokens', async () => {
    const model = await standIn();
    const ids = model.tokenizer.encode(" Sure! Let me think.\nUser: what's next?");
    const o = { temperature: 0, processLogits: forcing(model, ids), stop: ['\nUser'] };
    const { pieces, result } = await collect(generateStream(model, 'User: hi\nBot:', o));
    expect(result.text).toBe(' Sure! Let me think.');
    expect(result.finishReason).toBe('stop');
    expect(pieces.map((p) => p.text).join('')).toBe(' Sure! Let me think.');
    expect(model.tokenizer.decode(result.ids)).toBe(' Sure! Let me think.\nUser');
  });

  it('token limit and context limit set the finish reason', async () => {
    const model = await v2Model();
    const long = await generate(model, 'Once upon a time', { firmware: true, temperature: 0, context: 12, maxTokens: 60 });
    expect(long.finishReason).toBe('context');
    expect(long.promptIds.length + long.ids.length).toBe(12);
    const short = await generate(model, 'Once upon a time', { firmware: true, temperature: 0, maxTokens: 3 });
    expect(short.finishReason).toBe('length');
    expect(short.ids).toHaveLength(3);
  });

  it('a prompt that fills the context is refused clearly', async () => {
    const model = await v2Model();
    await expect(generate(model, 'one two three four five six', { firmware: true, context: 6 })).rejects.toThrow(/context holds 6 positions/);
    const ref = await standIn();
    const long = Array.from({ length: 300 }, (_, i) => (i * 31) % 14000);
    const err = await generate(ref, long, { temperature: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toBe('the prompt has 300 tokens but the context holds 256 positions (at most 255 prompt tokens, to leave room for one new token)');
  });

  it('a context past the model\'s positions is refused clearly', async () => {
    await expect(generate(await standIn(), 'hi', { context: 300 })).rejects.toThrow(
      new UsageError('context must be an integer from 1 to 256 (the model\'s positions), got 300'),
    );
    await expect(generate(await v2Model(), 'hi', { firmware: true, context: 257 })).rejects.toThrow(
      new UsageError('the firmware context must be an integer from 2 to 256 (the model\'s positions), got 257'),
    );
  });

  it('aborting rejects with the signal reason', async () => {
    const model = await standIn();
    const controller = new AbortController();
    const stream = generateStream(model, 'Once upon a time', { maxTokens: 50, signal: controller.signal, seed: 1 });
    await stream.next();
    controller.abort(new Error('stopped by the user'));
    await expect(stream.next()).rejects.toThrow('stopped by the user');
  });
});
