// Hugging Face export: a directory written from the v2 firmware blob loads back through our HF
// reader with the blob's logits, and its tokenizer files and tensors equal the stand-in's (made
// from the same blob by an independent reference tool). Also: F16/BF16, the GPT-2 fold undone,
// atomic directory writes, and the CLI.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpt2Gguf, writeGpt2Gguf } from '../../src/core/formats/gguf-gpt2.js';
import { hfCheckpointFiles } from '../../src/core/export/hf.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { modelFromHfFiles } from '../../src/core/load/model.js';
import type { Model } from '../../src/core/neo/model.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { loadModel } from '../../src/node/load.js';
import { writeDirectoryAtomic } from '../../src/node/write-dir.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, V2_MODEL } from '../helpers/shared.js';

const prompts = sharedJson<{ entries: { prompt_ids: number[] }[] }>('golden', 'hf_forward_f32.json').entries.slice(0, 4).map((e) => e.prompt_ids);

function maxLogitDiff(a: Model, b: Model, n = prompts.length): number {
  const ea = new Transformer(a);
  const eb = new Transformer(b);
  let max = 0;
  for (const ids of prompts.slice(0, n)) {
    const la = ea.prefill(ea.newSequence(), ids).slice();
    const lb = eb.prefill(eb.newSequence(), ids);
    for (let i = 0; i < la.length; i++) max = Math.max(max, Math.abs(la[i]! - lb[i]!));
  }
  return max;
}

const text = (files: Map<string, Uint8Array>, name: string): string => new TextDecoder().decode(files.get(name));

let blob: Model;
let dir: string;
beforeAll(async () => {
  blob = await loadModel(V2_MODEL());
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-hf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('HF checkpoint from the v2 blob', () => {
  it('loads back through the HF reader with the blob’s logits', async () => {
    const out = join(dir, 'from-blob');
    await writeDirectoryAtomic(out, hfCheckpointFiles(blob));
    const back = await loadModel(out);
    expect(back.source.format).toBe('hf');
    expect(back.config).toEqual({ ...blob.config, bosId: 14018 });
    expect(back.tokenizer.vocab().merges).toEqual(blob.tokenizer.vocab().merges);
    expect(back.tokenizer.vocab().pieces).toEqual(blob.tokenizer.vocab().pieces);
    // f32 matrices hold exactly the Q4 values: only the summation order of the dot products differs
    expect(maxLogitDiff(blob, back)).toBeLessThan(1e-4);
  });

  it('has the stand-in’s tokenizer files, tensors and configuration', () => {
    const files = hfCheckpointFiles(blob);
    for (const name of ['vocab.json', 'merges.txt']) expect(text(files, name)).toBe(readFileSync(join(HF_STANDIN(), name), 'utf8'));
    const ours = JSON.parse(text(files, 'tokenizer.json'));
    const theirs = JSON.parse(readFileSync(join(HF_STANDIN(), 'tokenizer.json'), 'utf8'));
    for (const key of ['model', 'added_tokens', 'pre_tokenizer', 'post_processor', 'decoder', 'normalizer']) expect(ours[key]).toEqual(theirs[key]);
    const config = JSON.parse(text(files, 'config.json'));
    const standinConfig = JSON.parse(readFileSync(join(HF_STANDIN(), 'config.json'), 'utf8'));
    for (const key of ['attention_layers', 'attention_types', 'hidden_size', 'num_layers', 'num_heads', 'intermediate_size', 'vocab_size', 'max_position_embeddings', 'window_size', 'eos_token_id', 'bos_token_id', 'layer_norm_epsilon', 'activation_function', 'model_type', 'architectures', 'tie_word_embeddings']) {
      expect([key, config[key]]).toEqual([key, standinConfig[key]]);
    }
    const st = parseSafetensors(files.get('model.safetensors')!, 'ours');
    const ref = parseSafetensors(new Uint8Array(readFileSync(join(HF_STANDIN(), 'model.safetensors'))), 'stand-in');
    expect([...st.tensors.keys()].sort()).toEqual([...ref.tensors.keys()].sort());
    const differing = [...ref.tensors].filter(([name, t]) => t.dtype !== 'F32' || !Buffer.from(st.tensors.get(name)!.data).equals(Buffer.from(t.data)));
    expect(differing.map(([name]) => name)).toEqual([]);
  });

  it('writes F16 and BF16 tensors that load with the right dtype', () => {
    for (const dtype of ['F16', 'BF16'] as const) {
      const files = hfCheckpointFiles(blob, { dtype });
      const st = parseSafetensors(files.get('model.safetensors')!, dtype);
      expect(st.tensors.get('transformer.h.0.mlp.c_fc.weight')!.dtype).toBe(dtype);
      expect(JSON.parse(text(files, 'config.json')).torch_dtype).toBe(dtype === 'F16' ? 'float16' : 'bfloat16');
      const back = modelFromHfFiles({ config: text(files, 'config.json'), safetensors: files.get('model.safetensors')!, tokenizerJson: text(files, 'tokenizer.json') }, dtype);
      expect(back.weights.wte.type).toBe(dtype.toLowerCase());
      expect(maxLogitDiff(blob, back, 1)).toBeLessThan(dtype === 'F16' ? 0.05 : 0.5);
    }
  });

  it('undoes the GPT-2 re-expression of a GGUF model (q scale folded back, zero q/k/v biases)', () => {
    const gguf = readGpt2Gguf(writeGpt2Gguf({ config: blob.config, weights: blob.weights, vocab: blob.tokenizer.vocab() }, 'f32'), 'x.gguf');
    const files = hfCheckpointFiles({ ...gguf, tokenizer: blob.tokenizer });
    const back = modelFromHfFiles({ config: text(files, 'config.json'), safetensors: files.get('model.safetensors')!, tokenizerJson: text(files, 'tokenizer.json') }, 'back');
    expect(back.config.attentionScale).toBe(1);
    expect(maxLogitDiff(blob, back)).toBeLessThan(1e-4);
  });
});

describe('writeDirectoryAtomic', () => {
  it('refuses to replace a directory unless asked, and leaves no temporary files', async () => {
    const out = join(dir, 'atomic');
    await writeDirectoryAtomic(out, new Map([['a.txt', 'one']]));
    await expect(writeDirectoryAtomic(out, new Map([['a.txt', 'two']]))).rejects.toThrow(/already exists/);
    await writeDirectoryAtomic(out, new Map([['b.txt', 'three']]), { replace: true });
    expect(readdirSync(out)).toEqual(['b.txt']);
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });
});

describe('tinytalk convert --to hf', () => {
  it('writes a directory the HF reader loads', async () => {
    const out = join(dir, 'cli-hf');
    const r = tinytalk(['convert', V2_MODEL(), '--to', 'hf', '--dtype', 'bf16', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*BF16/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'vocab.json', 'merges.txt', 'tokenizer_config.json', 'generation_config.json']) {
      expect(existsSync(join(out, f))).toBe(true);
    }
    expect((await loadModel(out)).weights.wte.type).toBe('bf16');
    const again = tinytalk(['convert', V2_MODEL(), '--to', 'hf', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/^tinytalk: .*already exists/);
  });
});
