// Runs the version-3 golden entries (../shared/golden/v3, README there) through generate() and
// checks each against what the v3 firmware engine's host build said: prompt ids, ids, finish
// reason, text (bytes where they are not UTF-8), slides and the first step's float32 top-5.
import { expect } from 'vitest';
import { generate, type GenerateOptions } from '../../src/core/generate/generate.js';
import type { Model } from '../../src/core/neo/model.js';

export interface V3Run {
  prompt_ids: number[];
  ids: number[];
  finish_reason: string;
  text: string;
  text_hex?: string;
  first_top5_f32?: Array<[number, number]>;
  slides?: Array<{ keep: number; evict: number; pos: number; abspos: number }>;
}

export interface V3Entry {
  kind?: string;
  prompt: string;
  [run: string]: V3Run | string | undefined;
}

const hex = (bytes: Uint8Array[]): string => bytes.map((b) => Buffer.from(b).toString('hex')).join('');

/** Generates `entry.prompt` with `options` and expects the golden run `want`, field by field. */
export async function expectRun(model: Model, prompt: string, want: V3Run, options: GenerateOptions, where: string): Promise<void> {
  let first: Float32Array | undefined;
  const r = await generate(model, prompt, {
    firmware: true,
    ...options,
    processLogits: (logits, ids) => {
      if (ids.length === 0) first = logits.slice();
    },
  });
  expect(r.promptIds, where).toEqual(want.prompt_ids);
  expect(r.ids, where).toEqual(want.ids);
  expect(r.finishReason, where).toBe(want.finish_reason);
  expect(r.text, where).toBe(want.text);
  if (want.text_hex) expect(hex(r.ids.map((id) => model.tokenizer.piece(id))), where).toBe(want.text_hex);
  expect(r.slides, where).toEqual(want.slides ?? []);
  // float32 logits printed with %.9g: the same float32, bit for bit
  for (const [id, value] of want.first_top5_f32 ?? []) expect(first![id], `${where} logit ${id}`).toBe(Math.fround(value));
}

/** Every entry that has run `key`: greedy with that run's window. */
export async function expectGreedy(model: Model, entries: V3Entry[], key: string, maxTokens: number, extra: GenerateOptions = {}): Promise<number> {
  const context = Number(/^kv(\d+)/.exec(key)![1]);
  let n = 0;
  for (const e of entries) {
    const want = e[key] as V3Run | undefined;
    if (!want) continue;
    await expectRun(model, e.prompt, want, { temperature: 0, maxTokens, context, ...extra }, `${key} ${JSON.stringify(e.prompt)}`);
    n++;
  }
  return n;
}

/** Seeded sampling (seed 1234, temperature 0.8): top-p 0.9 as the firmware's default, and 1.0. */
export async function expectSampled(model: Model, entries: V3Entry[], maxTokens: number, extra: GenerateOptions = {}): Promise<void> {
  for (const e of entries) {
    const where = JSON.stringify(e.prompt);
    // the v3 firmware's defaults: temperature 0.8, top-p 0.9
    await expectRun(model, e.prompt, e['top_p_0.9'] as V3Run, { seed: 1234, maxTokens, ...extra }, `top-p 0.9 ${where}`);
    await expectRun(model, e.prompt, e['top_p_1.0'] as V3Run, { seed: 1234, temperature: 0.8, topP: 1, maxTokens, ...extra }, `top-p 1 ${where}`);
  }
}
