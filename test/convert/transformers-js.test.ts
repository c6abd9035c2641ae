// The ONNX folder in transformers.js (`@huggingface/transformers`, remote models disabled): its
// tokenizer against the golden ids and tinytalk's, its greedy text-generation against the PyTorch
// golden text and tinytalk's own generate, each weight variant's agreement (printed, with floors),
// and the Node snippet of docs/convert.md run as written.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, env, pipeline, type TextGenerationPipeline } from '@huggingface/transformers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onnxFolderFiles } from '../../src/core/export/onnx/folder.js';
import type { OnnxWeights } from '../../src/core/export/onnx/weights.js';
import { generate } from '../../src/core/generate/generate.js';
import type { Model } from '../../src/core/neo/model.js';
import { writeDirectoryAtomic } from '../../src/node/write-dir.js';
import { standIn } from '../engine/models.js';
import { ROOT, sharedJson } from '../helpers/shared.js';

interface GoldenEntry {
  kind: string;
  prompt: string;
  prompt_ids: number[];
  text: string;
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'hf_forward_f32.json').entries;
const tricky = sharedJson<{ entries: { text: string }[] }>('golden', 'tokenizer_firmware.json').entries.map((e) => e.text);
const CONTEXT = 256;

let model: Model;
let dir: string;
const folders = new Map<OnnxWeights, string>();

beforeAll(async () => {
  env.allowRemoteModels = false;
  model = await standIn();
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-tjs-'));
  for (const weights of ['fp32', 'fp16', 'q8', 'q4'] as const) {
    const folder = join(dir, `tinytalk-${weights}`);
    await writeDirectoryAtomic(folder, onnxFolderFiles(model, weights));
    folders.set(weights, folder);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One onnxruntime thread: the model is small, and spinning worker threads only slow a busy two-core machine down. */
const load = async (folder: string) =>
  (await pipeline('text-generation', folder, { session_options: { intraOpNumThreads: 1, interOpNumThreads: 1 } })) as TextGenerationPipeline;

/** Greedy replies of transformers.js for the 12 golden prompts, as the golden file decodes them. */
async function greedyTexts(generator: TextGenerationPipeline): Promise<string[]> {
  const out: string[] = [];
  for (const e of golden) {
    const options = { max_new_tokens: Math.min(40, CONTEXT - e.prompt_ids.length), do_sample: false, return_full_text: false };
    const [r] = (await generator(e.prompt, options)) as { generated_text: string }[];
    out.push(r!.generated_text);
  }
  return out;
}

describe('transformers.js on the fp32 folder', () => {
  it('tokenizes like the golden file and like tinytalk (12 prompts, 300 tricky texts)', async () => {
    const tokenizer = await AutoTokenizer.from_pretrained(folders.get('fp32')!);
    for (const e of golden) expect(tokenizer.encode(e.prompt)).toEqual(e.prompt_ids);
    for (const t of [...golden.map((e) => e.prompt), ...tricky]) expect(tokenizer.encode(t), t).toEqual(model.tokenizer.encode(t, { mode: 'gpt2' }));
  });

  it('generates greedily the golden text, which is also tinytalk generate’s, for all 12 prompts', async () => {
    const generator = await load(folders.get('fp32')!);
    const texts = await greedyTexts(generator);
    for (const [i, e] of golden.entries()) {
      expect(texts[i], e.prompt).toBe(e.text);
      const ours = await generate(model, e.prompt, { temperature: 0, maxTokens: 40 });
      expect(ours.text).toBe(texts[i]);
    }
  });
});

describe('transformers.js on the other variants (onnxruntime defaults: q8/q4 with 8-bit activations)', () => {
  it.each([
    ['fp16', 11],
    ['q8', 7],
    ['q4', 7],
  ] as const)('%s: every chat reply identical, and at least %i of 12 greedy texts', async (weights, floor) => {
    const generator = await load(folders.get(weights)!);
    const texts = await greedyTexts(generator);
    const same = golden.filter((e, i) => texts[i] === e.text);
    console.log(`transformers.js ${weights}: ${same.length}/12 greedy texts identical to float32 (differ: ${golden.filter((e, i) => texts[i] !== e.text).map((e) => e.kind).join(', ') || 'none'})`);
    for (const [i, e] of golden.entries()) if (e.kind !== 'story' && e.kind !== 'raw') expect(texts[i], e.prompt).toBe(e.text);
    expect(same.length).toBeGreaterThanOrEqual(floor);
  });
});

describe('docs/convert.md', () => {
  it('its Node snippet, run as written next to a converted folder, prints the golden reply', () => {
    const doc = readFileSync(join(ROOT, 'docs', 'convert.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### transformers.js in Node'));
    const snippet = /```js\n([\s\S]*?)```/.exec(section)![1]!;
    const work = join(dir, 'snippet');
    mkdirSync(work);
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
    symlinkSync(folders.get('fp32')!, join(work, 'tinytalk-onnx'));
    writeFileSync(join(work, 'snippet.mjs'), snippet);
    const r = spawnSync(process.execPath, ['snippet.mjs'], { cwd: work, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${golden[0]!.text}\n`);
  });
});
