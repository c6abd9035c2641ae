// loadModel: one path → a Model, whatever the layout (checkpoint directory, .safetensors file,
// firmware blob with its tokenizer found by magic), with the tokenizer wired as the goldens expect.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FormatError, UsageError } from '../../src/core/errors.js';
import { f32ToBf16 } from '../../src/core/bytes/halfs.js';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors, tensorFloat32, writeSafetensors } from '../../src/core/formats/safetensors.js';
import { neoWeightsFromSafetensors } from '../../src/core/formats/hf-weights.js';
import { loadModel } from '../../src/node/load.js';
import { GPT2_TOKENIZER, HF_STANDIN, TINY_MODEL, V2_MODEL, V2_TOKENIZER, V3_MODEL, V3_TOKENIZER, sharedJson } from '../helpers/shared.js';
import { bytesOf, scratchDir } from './util.js';

const hfGolden = sharedJson('golden', 'hf_forward_f32.json').entries[0];
const deviceGolden: Array<{ text: string; ids: number[] }> = sharedJson('golden', 'tokenizer_firmware.json').entries.slice(0, 20);
const tmp = scratchDir();

function place(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, from] of Object.entries(files)) copyFileSync(from, join(dir, name));
  return dir;
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the load to fail');
}

describe('Hugging Face layouts', () => {
  it('loads a checkpoint directory', async () => {
    const m = await loadModel(HF_STANDIN());
    expect(m.source).toEqual({ format: 'hf', path: HF_STANDIN() });
    expect(m.config.vocabSize).toBe(14019);
    expect(m.weights.wte).toMatchObject({ type: 'f32', rows: 14019, cols: 128 });
    expect(m.weights.layers).toHaveLength(8);
    expect(m.weights.layers[5]!.fc).toMatchObject({ type: 'f32', rows: 512, cols: 128 });
    expect(m.rawConfig.transformers_version).toBe('5.11.0');
    expect(m.tensors).toHaveLength(108);
    expect(m.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
    expect(m.generation.topK).toBe(40);
  });

  it('loads a .safetensors file with its companions beside it', async () => {
    const path = join(HF_STANDIN(), 'model.safetensors');
    const m = await loadModel(path);
    expect(m.source).toEqual({ format: 'safetensors', path });
    expect(m.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
  });

  it('uses vocab.json + merges.txt when there is no tokenizer.json', async () => {
    const s = HF_STANDIN();
    const dir = place(join(tmp, 'pair'), {
      'config.json': join(s, 'config.json'),
      'model.safetensors': join(s, 'model.safetensors'),
      'vocab.json': join(s, 'vocab.json'),
      'merges.txt': join(s, 'merges.txt'),
    });
    const m = await loadModel(dir);
    expect(m.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
  });

  it('takes a CTK2 tokenizer for a checkpoint with --tokenizer', async () => {
    const m = await loadModel(HF_STANDIN(), { tokenizer: V2_TOKENIZER() });
    expect(m.tokenizer.defaultMode).toBe('device');
    for (const e of deviceGolden) expect(m.tokenizer.encode(e.text)).toEqual(e.ids);
  });

  it('keeps 16-bit matrices in their stored type and widens vectors', async () => {
    const s = HF_STANDIN();
    const st = parseSafetensors(bytesOf(join(s, 'model.safetensors')), 'standin');
    const bf16 = [...st.tensors.values()].map((t) => {
      const x = tensorFloat32(t);
      const data = new Uint16Array(x.length);
      for (let i = 0; i < x.length; i++) data[i] = f32ToBf16(x[i]!);
      return { name: t.name, dtype: 'BF16' as const, shape: t.shape, data };
    });
    const dir = place(join(tmp, 'bf16'), { 'config.json': join(s, 'config.json'), 'tokenizer.json': join(s, 'tokenizer.json') });
    writeFileSync(join(dir, 'model.safetensors'), writeSafetensors(bf16));
    const m = await loadModel(dir);
    const q = m.weights.layers[2]!.q;
    expect(q.type).toBe('bf16');
    const want = bf16.find((t) => t.name === 'transformer.h.2.attn.attention.q_proj.weight')!.data;
    expect(q.type === 'bf16' && Array.from(q.data)).toEqual(Array.from(want));
    const ln = m.weights.layers[0]!.ln1.weight;
    expect(ln).toBeInstanceOf(Float32Array);
    expect(ln[0]).toBeCloseTo(0.9661827, 2);
    expect(m.tensors[0]!.type).toBe('BF16');
  });

  it('reads the tiny test model without a tokenizer (weights only)', () => {
    const config = parseHfConfig(JSON.stringify(sharedJson('golden', 'tiny_model', 'config.json')), 'config.json');
    const w = neoWeightsFromSafetensors(parseSafetensors(bytesOf(join(TINY_MODEL(), 'model.safetensors')), 'tiny'), config);
    expect(w.wte).toMatchObject({ rows: 300, cols: 32 });
    expect(w.wpe.length).toBe(64 * 32);
    expect(w.layers[1]!.fc).toMatchObject({ rows: 128, cols: 32 });
    expect(w.layers[1]!.proj).toMatchObject({ rows: 32, cols: 128 });
  });
});

describe('firmware blobs', () => {
  it('loads the v2 blob with the CTK2 blob beside it', async () => {
    const m = await loadModel(V2_MODEL());
    expect(m.source).toEqual({ format: 'crdp', version: 2, path: V2_MODEL() });
    expect(m.tokenizer.vocabSize).toBe(14019);
    for (const e of deviceGolden) expect(m.tokenizer.encode(e.text)).toEqual(e.ids);
    expect(m.generation).toEqual({ temperature: 0.7, topK: 40, topP: 1, repetitionPenalty: 1, maxNewTokens: 64 });
    expect(m.rawConfig).toMatchObject({ magic: 'CRDP', version: 2, vocab_size: 14019, seq_len: 256 });
  });

  it('loads the v3 blob and its TINYTLK.TOK', async () => {
    const m = await loadModel(V3_MODEL());
    expect(m.source.version).toBe(3);
    expect(m.tokenizer.vocabSize).toBe(12062);
    expect(m.tokenizer.eosId).toBe(12061);
  });

  it('finds the tokenizer by its magic, whatever the names', async () => {
    const dir = place(join(tmp, 'odd-names'), { 'brain.dat': V2_MODEL(), 'words.xyz': V2_TOKENIZER(), 'notes.txt': join(HF_STANDIN(), 'README.md') });
    const m = await loadModel(join(dir, 'brain.dat'));
    expect(m.tokenizer.vocabSize).toBe(14019);
    // A directory holding one blob loads that blob.
    expect((await loadModel(dir)).source.path).toBe(join(dir, 'brain.dat'));
  });

  it('prefers the tokenizer with the same stem, and asks when it cannot tell', async () => {
    const dir = place(join(tmp, 'two-tokenizers'), { 'TINYTLK.BIN': V3_MODEL(), 'TINYTLK.TOK': V3_TOKENIZER(), 'tok_neo.bin': V2_TOKENIZER() });
    expect((await loadModel(join(dir, 'TINYTLK.BIN'))).tokenizer.vocabSize).toBe(12062);
    const other = place(join(tmp, 'ambiguous'), { 'model.bin': V3_MODEL(), 'a.tok': V3_TOKENIZER(), 'b.tok': V2_TOKENIZER() });
    const err = await rejection(loadModel(join(other, 'model.bin')));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/--tokenizer/);
    expect((await loadModel(join(other, 'model.bin'), { tokenizer: join(other, 'a.tok') })).tokenizer.vocabSize).toBe(12062);
  });

  it('takes a Hugging Face tokenizer of the same vocabulary with --tokenizer (GPT-2 encoding)', async () => {
    const m = await loadModel(V2_MODEL(), { tokenizer: join(HF_STANDIN(), 'tokenizer.json') });
    expect(m.tokenizer.defaultMode).toBe('gpt2');
    expect(m.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
    expect(m.tokenizer.encode('a\n\nb')).toEqual([64, 198, 198, 65]); // firmware-format.md 2.3: HF, not device
    const pair = await loadModel(V2_MODEL(), { tokenizer: join(HF_STANDIN(), 'vocab.json') });
    expect(pair.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
    const err = await rejection(loadModel(V2_MODEL(), { tokenizer: GPT2_TOKENIZER() }));
    expect(err.message).toBe(`${GPT2_TOKENIZER()}: vocab_size: expected 14019 (the model's, ${V2_MODEL()}), found 50257`);
  });

  it('names the --tokenizer file itself when it is broken', async () => {
    const dir = place(join(tmp, 'broken-tok'), {});
    writeFileSync(join(dir, 'tokenizer.json'), '{"model": {"type": "BPE", "merges": []}}');
    for (const model of [V2_MODEL(), HF_STANDIN()]) {
      const err = await rejection(loadModel(model, { tokenizer: join(dir, 'tokenizer.json') }));
      expect(err.message).toBe(`${join(dir, 'tokenizer.json')}: model.vocab: expected a JSON object, found undefined`);
    }
  });

  it('refuses a tokenizer of another vocabulary', async () => {
    const err = await rejection(loadModel(V2_MODEL(), { tokenizer: V3_TOKENIZER() }));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe(`${V3_TOKENIZER()}: vocab_size: expected 14019 (the model's, ${V2_MODEL()}), found 12062`);
  });

  it('explains a missing tokenizer', async () => {
    const dir = place(join(tmp, 'alone'), { 'model.bin': V2_MODEL() });
    const err = await rejection(loadModel(join(dir, 'model.bin')));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(/model\.bin: tokenizer: expected a CTK2 tokenizer blob/);
  });
});

describe('hub ids', () => {
  it('resolves owner/name[@revision] through the hub code (a mirror directory as HF_ENDPOINT)', async () => {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = join(HF_STANDIN(), '..', '..');
    try {
      for (const ref of ['TheREZOR/TinyTalk', 'TheREZOR/TinyTalk@main']) {
        const m = await loadModel(ref);
        expect(m.source).toEqual({ format: 'hf', path: HF_STANDIN() });
        expect(m.tokenizer.encode(hfGolden.prompt)).toEqual(hfGolden.prompt_ids);
      }
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });
});

describe('references that are not models', () => {
  it('refuses a path that does not exist and is no hub id', async () => {
    const err = await rejection(loadModel(join(tmp, 'nothing', 'here.bin')));
    expect(err).toBeInstanceOf(UsageError);
  });

  it('refuses a tokenizer blob given as the model', async () => {
    expect(await rejection(loadModel(V2_TOKENIZER()))).toBeInstanceOf(UsageError);
  });

  it('explains a checkpoint saved as pytorch_model.bin', async () => {
    const dir = place(join(tmp, 'pytorch'), { 'config.json': join(HF_STANDIN(), 'config.json') });
    writeFileSync(join(dir, 'pytorch_model.bin'), 'PK');
    const err = await rejection(loadModel(dir));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe(`${join(dir, 'model.safetensors')}: file: expected model.safetensors (pytorch_model.bin is not read: save the checkpoint with safe_serialization=True), found missing`);
  });

  it('refuses a config.json that is not UTF-8, naming it', async () => {
    const dir = place(join(tmp, 'latin1'), { 'model.safetensors': join(HF_STANDIN(), 'model.safetensors'), 'tokenizer.json': join(HF_STANDIN(), 'tokenizer.json') });
    writeFileSync(join(dir, 'config.json'), Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d])); // {"é":1} in Latin-1
    const err = await rejection(loadModel(dir));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toBe(`${join(dir, 'config.json')}: text: expected valid UTF-8`);
  });

  it('refuses a directory with neither a checkpoint nor a blob', async () => {
    const dir = place(join(tmp, 'empty'), {});
    const err = await rejection(loadModel(dir));
    expect(err).toBeInstanceOf(FormatError);
    expect(err.message).toMatch(/Hugging Face checkpoint/);
  });
});
