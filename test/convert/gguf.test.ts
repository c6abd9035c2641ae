// GGUF export as llama.cpp's gpt2: an independent reader (@huggingface/gguf) sees the right
// metadata and tensor shapes; our engine on the re-expressed weights (q scaled by sqrt(head_dim),
// fused qkv with zero bias, GPT-2's 1/sqrt(head_dim) scaling) matches the original logits, and our
// own Q4_0 of the float32 stand-in decodes the same greedy tokens as the shipped blob.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGpt2Gguf, writeGpt2Gguf, type GgufType } from '../../src/core/formats/gguf-gpt2.js';
import { parseGguf } from '../../src/core/formats/gguf.js';
import { quantizeQ8 } from '../../src/core/formats/quant.js';
import { bf16ToF32, f16ToF32 } from '../../src/core/bytes/halfs.js';
import { FormatError } from '../../src/core/errors.js';
import { argmax } from '../../src/core/sample/sampler.js';
import type { Model } from '../../src/core/neo/model.js';
import type { Engine } from '../../src/core/neo/engine.js';
import { Transformer } from '../../src/core/model/transformer.js';
import { loadModel } from '../../src/node/load.js';
import { tinytalk } from '../helpers/cli.js';
import { HF_STANDIN, sharedJson, TINY_MODEL, V2_MODEL } from '../helpers/shared.js';
import { parseHfConfig } from '../../src/core/formats/hf-config.js';
import { parseSafetensors } from '../../src/core/formats/safetensors.js';
import { neoWeightsFromSafetensors } from '../../src/core/formats/hf-weights.js';
import type { TokenizerVocab } from '../../src/core/neo/tokenizer.js';

interface GoldenEntry {
  prompt: string;
  prompt_ids: number[];
  greedy_ids: number[];
  finish_reason: string;
  last_logits: { top20: [number, number][] };
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'hf_forward_f32.json');

/** Greedy decoding as the golden file does it: stop before EOS, after 40 tokens, or at the context end. */
function greedy(engine: Engine, prompt: number[], eos: number): number[] {
  const seq = engine.newSequence();
  let logits = engine.prefill(seq, prompt);
  const out: number[] = [];
  while (out.length < 40 && prompt.length + out.length < engine.context) {
    const next = argmax(logits);
    if (next === eos) break;
    out.push(next);
    if (prompt.length + out.length >= engine.context) break;
    logits = engine.decode([seq], [next]);
  }
  return out;
}

let standin: Model;
let dir: string;
const files = new Map<GgufType, string>();

beforeAll(async () => {
  standin = await loadModel(HF_STANDIN());
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-gguf-'));
  for (const type of ['f32', 'f16', 'q8_0', 'q4_0'] as const) {
    const path = join(dir, `tinytalk-${type}.gguf`);
    writeFileSync(path, writeGpt2Gguf({ config: standin.config, weights: standin.weights, vocab: standin.tokenizer.vocab() }, type));
    files.set(type, path);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('GGUF written as gpt2', () => {
  it('is read by @huggingface/gguf with llama.cpp’s gpt2 metadata and tensor shapes', async () => {
    const { metadata, tensorInfos } = await gguf(files.get('q4_0')!, { allowLocalFile: true });
    expect(metadata.version).toBe(3);
    expect(metadata['general.architecture']).toBe('gpt2');
    const m = metadata as unknown as Record<string, unknown>;
    expect(m['gpt2.context_length']).toBe(256);
    expect(m['gpt2.embedding_length']).toBe(128);
    expect(m['gpt2.feed_forward_length']).toBe(512);
    expect(m['gpt2.block_count']).toBe(8);
    expect(m['gpt2.attention.head_count']).toBe(16);
    expect(m['gpt2.attention.layer_norm_epsilon']).toBeCloseTo(1e-5, 10);
    expect(m['general.file_type']).toBe(2); // MOSTLY_Q4_0
    expect(m['tokenizer.ggml.model']).toBe('gpt2');
    const tokens = m['tokenizer.ggml.tokens'] as string[];
    expect(tokens.length).toBe(14019);
    // GPT-2's unicode-escaped strings, as in the stand-in's vocab.json
    const vocabJson = JSON.parse(readFileSync(join(HF_STANDIN(), 'vocab.json'), 'utf8')) as Record<string, number>;
    expect(tokens.every((t, id) => vocabJson[t] === id)).toBe(true);
    const merges = m['tokenizer.ggml.merges'] as string[];
    expect(merges).toEqual(readFileSync(join(HF_STANDIN(), 'merges.txt'), 'utf8').split('\n').slice(1, -1));
    expect(m['tokenizer.ggml.eos_token_id']).toBe(14018);
    expect(m['tokenizer.ggml.bos_token_id']).toBe(14018);
    const types = m['tokenizer.ggml.token_type'] as number[];
    expect(types[14018]).toBe(3);
    expect(types.filter((t) => t === 1).length).toBe(14018);

    const shapes = Object.fromEntries(tensorInfos.map((t) => [t.name, t.shape.map(Number)]));
    const Q4_0 = 2;
    const F32 = 0;
    expect(shapes['token_embd.weight']).toEqual([128, 14019]);
    expect(shapes['output.weight']).toEqual([128, 14019]);
    expect(shapes['position_embd.weight']).toEqual([128, 256]);
    expect(shapes['output_norm.weight']).toEqual([128]);
    for (let i = 0; i < 8; i++) {
      expect(shapes[`blk.${i}.attn_qkv.weight`]).toEqual([128, 384]);
      expect(shapes[`blk.${i}.attn_qkv.bias`]).toEqual([384]);
      expect(shapes[`blk.${i}.attn_output.weight`]).toEqual([128, 128]);
      expect(shapes[`blk.${i}.ffn_up.weight`]).toEqual([128, 512]);
      expect(shapes[`blk.${i}.ffn_down.weight`]).toEqual([512, 128]);
      for (const n of ['attn_norm', 'ffn_norm']) expect(shapes[`blk.${i}.${n}.bias`]).toEqual([128]);
    }
    expect(tensorInfos.length).toBe(5 + 8 * 12);
    const typeOf = Object.fromEntries(tensorInfos.map((t) => [t.name, t.dtype]));
    expect(typeOf['blk.3.attn_qkv.weight']).toBe(Q4_0);
    expect(typeOf['blk.3.attn_qkv.bias']).toBe(F32);
  });

  it('F32: the engine on the re-expressed GPT-2 weights gives the original logits within 1e-4', () => {
    const back = readGpt2Gguf(new Uint8Array(readFileSync(files.get('f32')!)), 'f32.gguf');
    expect(back.config.attentionScale).toBeCloseTo(1 / Math.sqrt(8), 12);
    expect(back.weights.layers[0]!.qkvBias).toBeDefined();
    const original = new Transformer(standin);
    const gpt2 = new Transformer(back);
    for (const e of golden.entries.slice(0, 6)) {
      const a = original.prefill(original.newSequence(), e.prompt_ids).slice();
      const b = gpt2.prefill(gpt2.newSequence(), e.prompt_ids);
      let maxDiff = 0;
      for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
      expect(maxDiff).toBeLessThan(1e-4);
      const [topId, topValue] = e.last_logits.top20[0]!;
      expect(argmax(b)).toBe(topId);
      expect(Math.abs(b[topId]! - topValue)).toBeLessThan(1e-3);
    }
  });

  it('Q4_0 of the float32 stand-in gives the shipped blob’s greedy tokens', async () => {
    const q4 = await loadModel(files.get('q4_0')!); // through loadModel's .gguf branch
    expect(q4.source.format).toBe('gguf');
    expect(q4.weights.wte.type).toBe('q4_0');
    const blob = await loadModel(V2_MODEL());
    const q4Engine = new Transformer(q4);
    const blobEngine = new Transformer(blob);
    for (const e of golden.entries.filter((x) => x.prompt_ids.length < 40)) {
      const ids = greedy(q4Engine, e.prompt_ids, 14018);
      expect(ids).toEqual(greedy(blobEngine, e.prompt_ids, 14018));
      expect(ids).toEqual(e.greedy_ids);
    }
  });

  it('Q4_0 blocks are the shipped blob’s blocks with the bf16 scale re-stored as ggml’s fp16', async () => {
    const path = files.get('q4_0')!;
    const { tensorInfos, tensorDataOffset } = await gguf(path, { allowLocalFile: true });
    const info = tensorInfos.find((t) => t.name === 'token_embd.weight')!;
    const file = readFileSync(path);
    const start = Number(tensorDataOffset + info.offset);
    const blob = readFileSync(V2_MODEL());
    const WTE = 173_120; // firmware-format.md 1.3: the embedding's Q4 blocks
    for (let b = 0; b < 14019 * 4; b++) {
      const g = start + 18 * b;
      const f = WTE + 18 * b;
      if (f16ToF32(file.readUInt16LE(g)) !== bf16ToF32(blob.readUInt16LE(f)) || !file.subarray(g + 2, g + 18).equals(blob.subarray(f + 2, f + 18))) {
        expect.fail(`block ${b} differs`);
      }
    }
  });

  it('F16 and Q8_0 are typed as ggml defines them and run in our engine near the float32 reference', async () => {
    for (const [type, ggmlType, fileType, tolerance] of [['f16', 1, 1, 5e-3], ['q8_0', 8, 7, 0.25]] as const) {
      const { metadata, tensorInfos } = await gguf(files.get(type)!, { allowLocalFile: true });
      expect((metadata as unknown as Record<string, unknown>)['general.file_type']).toBe(fileType);
      const typeOf = Object.fromEntries(tensorInfos.map((t) => [t.name, t.dtype as number]));
      expect([typeOf['token_embd.weight'], typeOf['blk.0.ffn_down.weight'], typeOf['blk.0.ffn_down.bias']]).toEqual([ggmlType, ggmlType, 0]);
      const back = await loadModel(files.get(type)!);
      expect(back.weights.layers[0]!.fc.type).toBe(type);
      const engine = new Transformer(back);
      for (const e of golden.entries) {
        const logits = engine.prefill(engine.newSequence(), e.prompt_ids);
        expect(argmax(logits)).toBe(e.last_logits.top20[0]![0]);
        for (const [id, value] of e.last_logits.top20) expect(Math.abs(logits[id]! - value)).toBeLessThan(tolerance);
      }
    }
  });

  it('the CLI writes a GGUF our loader reads back', async () => {
    const out = join(dir, 'cli', 'tinytalk-q8.gguf');
    const r = tinytalk(['convert', HF_STANDIN(), '--to', 'gguf', '--quant', 'q8_0', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/wrote .*tinytalk-q8\.gguf \(GGUF v3, gpt2 architecture, Q8_0, [\d,]+ bytes\)/);
    expect(Buffer.from(readFileSync(out)).equals(Buffer.from(readFileSync(files.get('q8_0')!)))).toBe(true);
    const bad = tinytalk(['convert', HF_STANDIN(), '--to', 'gguf', '--quant', 'q5_1', '--out', join(dir, 'x.gguf')]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^tinytalk: --quant must be one of f32, f16, q8_0, q4_0/);
  });

  it('caps the context at the local-attention window, where the gpt2 form is exact (tiny model, window 8)', async () => {
    const tiny = TINY_MODEL();
    const config = parseHfConfig(readFileSync(join(tiny, 'config.json'), 'utf8'), 'config.json');
    const weights = neoWeightsFromSafetensors(parseSafetensors(new Uint8Array(readFileSync(join(tiny, 'model.safetensors'))), 'tiny'), config);
    // a made-up byte-level vocabulary of the model's 300 ids: 256 bytes, 43 two-letter merges, EOS
    const merges = Array.from({ length: 43 }, (_, k) => [97 + (k % 26), 97 + Math.floor(k / 26), 256 + k] as const);
    const vocab: TokenizerVocab = {
      pieces: [...Array.from({ length: 256 }, (_, b) => Uint8Array.of(b)), ...merges.map(([a, b]) => Uint8Array.of(a, b)), new TextEncoder().encode('<|endoftext|>')],
      merges,
      byteIds: Array.from({ length: 256 }, (_, b) => b),
      eosId: 299,
    };
    const path = join(dir, 'tiny.gguf');
    writeFileSync(path, writeGpt2Gguf({ config, weights, vocab }, 'f32'));
    const { metadata, tensorInfos } = await gguf(path, { allowLocalFile: true });
    expect((metadata as unknown as Record<string, unknown>)['gpt2.context_length']).toBe(8);
    expect(tensorInfos.find((t) => t.name === 'position_embd.weight')!.shape.map(Number)).toEqual([32, 8]);
    const back = await loadModel(path);
    expect(back.config.attentionLayers).toEqual(['global', 'global']);
    const ids = sharedJson<{ input_ids: number[][] }>('golden', 'tiny_model', 'grads.json').input_ids[0]!.slice(0, 8);
    const neo = new Transformer({ config, weights });
    const original = neo.prefill(neo.newSequence(), ids, { allLogits: true }).slice(); // (8, 300)
    const engine = new Transformer(back);
    const gpt2 = engine.prefill(engine.newSequence(), ids, { allLogits: true }); // (8, 300)
    expect(gpt2.length).toBe(8 * 300);
    let maxDiff = 0;
    for (let i = 0; i < gpt2.length; i++) maxDiff = Math.max(maxDiff, Math.abs(gpt2[i]! - original[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('rejects files that are not GGUF or not gpt2, naming the field', () => {
    expect(() => parseGguf(new TextEncoder().encode('GGUX\x03\0\0\0'), 'bad.gguf')).toThrow(/bad\.gguf: magic/);
    const bytes = new Uint8Array(readFileSync(files.get('q4_0')!));
    expect(() => parseGguf(bytes.subarray(0, 5000), 'cut.gguf')).toThrow(FormatError);
    const renamed = bytes.slice();
    const at = Buffer.from(renamed).indexOf('gpt2');
    renamed.set(new TextEncoder().encode('gptX'), at);
    expect(() => readGpt2Gguf(renamed, 'other.gguf')).toThrow(/general\.architecture/);
  });
});
