// Our GGUF files in llama.cpp itself (node-llama-cpp 3.21.1, its prebuilt CPU build): the
// tokenizer against the golden ids and tinytalk's, greedy continuations against the PyTorch golden
// file — identical for F32/F16; for Q8_0/Q4_0, where llama.cpp quantizes the activations to 8 bits,
// the agreement is printed and held to the floors docs/convert.md states.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type LlamaContext, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGpt2Gguf, type GgufType } from '../../src/core/formats/gguf-gpt2.js';
import type { Model } from '../../src/core/neo/model.js';
import { standIn } from '../engine/models.js';
import { sharedJson } from '../helpers/shared.js';

interface GoldenEntry {
  kind: string;
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'hf_forward_f32.json').entries;
const tricky = sharedJson<{ entries: { text: string }[] }>('golden', 'tokenizer_firmware.json').entries.map((e) => e.text);
const CONTEXT = 256;

/** Least agreement with the float32 reference: identical continuations of 12, and reference tokens reproduced before the first difference. */
const FLOORS: Record<GgufType, { identical: number; tokens: number }> = {
  f32: { identical: 12, tokens: 1 },
  f16: { identical: 12, tokens: 1 },
  q8_0: { identical: 8, tokens: 0.9 },
  q4_0: { identical: 6, tokens: 0.85 },
};

let model: Model;
let llama: Llama;
let dir: string;

beforeAll(async () => {
  model = await standIn();
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-llama-'));
  // the CPU build shipped in @node-llama-cpp/linux-x64 (or the platform's package): never a download or a compile
  llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
});
afterAll(async () => {
  await llama?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function open(type: GgufType): Promise<{ gguf: LlamaModel; context: LlamaContext }> {
  const path = join(dir, `tinytalk-${type}.gguf`);
  writeFileSync(path, writeGpt2Gguf({ config: model.config, weights: model.weights, vocab: model.tokenizer.vocab() }, type));
  const gguf = await llama.loadModel({ modelPath: path });
  // one thread: llama.cpp's threads wait for each other spinning, which on a busy two-core machine
  // turns a second of work into minutes
  const context = await gguf.createContext({ contextSize: CONTEXT, threads: 1 });
  return { gguf, context };
}

/** Greedy ids after the prompt, as the golden file decodes: stop before EOS, after 40 tokens or at the context end. */
async function greedy(gguf: LlamaModel, context: LlamaContext, prompt: number[]): Promise<number[]> {
  const sequence = context.getSequence();
  const out: number[] = [];
  const most = Math.min(40, CONTEXT - prompt.length);
  try {
    for await (const token of sequence.evaluate(prompt as Token[], { temperature: 0 })) {
      if (token === gguf.tokens.eos) break;
      out.push(token);
      if (out.length === most) break;
    }
  } finally {
    sequence.dispose();
  }
  return out;
}

describe.each(['f32', 'f16', 'q8_0', 'q4_0'] as const)('llama.cpp on our %s GGUF', (type) => {
  it('tokenizes like the golden file and tinytalk, and decodes greedily like the float32 reference', async () => {
    const { gguf, context } = await open(type);
    try {
      expect(gguf.tokens.eos).toBe(model.tokenizer.eosId);
      for (const e of golden) expect(gguf.tokenize(e.prompt, true)).toEqual(e.prompt_ids);
      for (const t of tricky) expect(gguf.tokenize(t, true), t).toEqual(model.tokenizer.encode(t, { mode: 'gpt2' }));
      let identical = 0;
      let reproduced = 0;
      let total = 0;
      const differ: string[] = [];
      for (const e of golden) {
        const ids = await greedy(gguf, context, e.prompt_ids);
        let p = 0;
        while (p < e.greedy_ids.length && ids[p] === e.greedy_ids[p]) p++;
        reproduced += p;
        total += e.greedy_ids.length;
        if (ids.length === e.greedy_ids.length && p === ids.length) identical++;
        else differ.push(`${e.kind} after ${p}`);
      }
      const share = reproduced / total;
      console.log(
        `llama.cpp ${type}: ${identical}/12 greedy continuations identical, ${(100 * share).toFixed(1)}% of reference tokens before the first difference` +
          (differ.length ? ` (differ: ${differ.join(', ')})` : ''),
      );
      expect(identical).toBeGreaterThanOrEqual(FLOORS[type].identical);
      expect(share).toBeGreaterThanOrEqual(FLOORS[type].tokens);
    } finally {
      await context.dispose();
      await gguf.dispose();
    }
  });
});
