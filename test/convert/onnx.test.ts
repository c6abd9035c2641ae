// ONNX export, run by onnxruntime-node (an independent engine): its logits against tinytalk's
// float32 engine and the PyTorch golden file, without and with the key/value cache, local
// attention windows (tiny model, window 8), left padding, each weight variant, each kind of
// source (Hugging Face directory, firmware blob, GGUF), and the CLI's folder and errors.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGpt2Gguf } from '../../src/core/formats/gguf-gpt2.js';
import { neoOnnxModel, type OnnxExportable } from '../../src/core/export/onnx/decoder.js';
import { quantizeMatrix, type QuantType } from '../../src/core/formats/quant.js';
import type { Model } from '../../src/core/neo/model.js';
import { Transformer } from '../../src/core/model/transformer.js';
import type { NeoWeights } from '../../src/core/neo/weights.js';
import { loadModel } from '../../src/node/load.js';
import { standIn, tinyModel } from '../engine/models.js';
import { tinytalk } from '../helpers/cli.js';
import { lcg } from '../helpers/random.js';
import { HF_STANDIN, sharedJson, V2_MODEL } from '../helpers/shared.js';

interface GoldenEntry {
  kind: string;
  prompt_ids: number[];
  greedy_ids_no_stop: number[];
  last_logits: { top20: [number, number][] };
}
const golden = sharedJson<{ entries: GoldenEntry[] }>('golden', 'hf_forward_f32.json');

/**
 * onnxruntime's default optimizations run int8/int4 DequantizeLinear → MatMul as MatMulNBits with
 * 8-bit activations; accuracy level 1 keeps the activations float32, so the weight-only arithmetic
 * can be compared exactly.
 */
const FLOAT32_ACTIVATIONS: ort.InferenceSession.SessionOptions = { extra: { session: { qdq_matmulnbits_accuracy_level: '1' } } };

/** One thread: the model is small, and spinning worker threads only slow a busy two-core machine down. */
function session(bytes: Uint8Array, options: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1, ...options });
}

const int64 = (rows: readonly (readonly number[])[]): ort.Tensor =>
  new ort.Tensor('int64', BigInt64Array.from(rows.flat(), BigInt), [rows.length, rows[0]!.length]);

interface StepInput {
  ids: number[][]; // (B,S)
  past?: Record<string, ort.Tensor>; // from the previous step's present.*
  mask?: number[][]; // (B,P+S), default all ones
  positions?: number[][]; // (B,S), default P..P+S−1
  keep?: number; // num_logits_to_keep
}

interface StepOutput {
  logits: Float32Array; // (B,K,V)
  dims: readonly number[];
  past: Record<string, ort.Tensor>;
}

/** One run of the decoder, the way transformers.js feeds it. */
async function step(s: ort.InferenceSession, m: OnnxExportable, input: StepInput): Promise<StepOutput> {
  const { numLayers: L, numHeads: H, hiddenSize: D } = m.config;
  const B = input.ids.length;
  const S = input.ids[0]!.length;
  const past = input.past ?? {};
  const P = input.past ? (past['past_key_values.0.key']!.dims[2] as number) : 0;
  const feeds: Record<string, ort.Tensor> = {
    input_ids: int64(input.ids),
    attention_mask: int64(input.mask ?? input.ids.map(() => Array<number>(P + S).fill(1))),
    position_ids: int64(input.positions ?? input.ids.map(() => Array.from({ length: S }, (_, i) => P + i))),
    num_logits_to_keep: new ort.Tensor('int64', BigInt64Array.of(BigInt(input.keep ?? 0)), []),
  };
  for (let l = 0; l < L; l++) {
    for (const kv of ['key', 'value']) {
      const name = `past_key_values.${l}.${kv}`;
      feeds[name] = past[name] ?? new ort.Tensor('float32', new Float32Array(0), [B, H, 0, D / H]);
    }
  }
  const out = await s.run(feeds);
  const next: Record<string, ort.Tensor> = {};
  for (const [name, t] of Object.entries(out)) if (name.startsWith('present.')) next[name.replace('present.', 'past_key_values.')] = t;
  return { logits: out.logits!.data as Float32Array, dims: out.logits!.dims, past: next };
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** The weights with every matrix re-quantized as the q8/q4 export stores it (blocks of 32, fp16 scales). */
function requantized(w: NeoWeights, type: QuantType): NeoWeights {
  const q = (m: NeoWeights['wte']) => quantizeMatrix(m, type, 'f16');
  return { ...w, wte: q(w.wte), layers: w.layers.map((l) => ({ ...l, q: q(l.q), k: q(l.k), v: q(l.v), out: q(l.out), fc: q(l.fc), proj: q(l.proj) })) };
}

let model: Model;
let fp32: ort.InferenceSession;
let engine: Transformer;
let dir: string;

beforeAll(async () => {
  model = await standIn();
  fp32 = await session(neoOnnxModel(model, 'fp32'));
  engine = new Transformer(model);
  dir = mkdtempSync(join(tmpdir(), 'tinytalk-onnx-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ONNX decoder in onnxruntime (stand-in, fp32)', () => {
  it('declares the inputs and outputs transformers.js feeds a gpt_neo decoder', () => {
    const { numLayers: L, numHeads: H, hiddenSize: D } = model.config;
    const pkv = (p: string) => Array.from({ length: L }, (_, l) => [`${p}.${l}.key`, `${p}.${l}.value`]).flat();
    expect(fp32.inputNames).toEqual(['input_ids', 'attention_mask', 'position_ids', ...pkv('past_key_values'), 'num_logits_to_keep']);
    expect(fp32.outputNames).toEqual(['logits', ...pkv('present')]);
    const meta = fp32.inputMetadata.find((m) => m.name === 'past_key_values.0.key') as { shape: readonly (number | string)[] };
    expect(meta.shape).toEqual(['batch_size', H, 'past_sequence_length', D / H]);
  });

  it('gives every position’s logits of the 12 golden prompts within 1e-4 of the float32 engine, and the golden top-20 within 1e-3', async () => {
    const V = model.config.vocabSize;
    let worst = 0;
    for (const e of golden.entries) {
      const n = e.prompt_ids.length;
      const out = await step(fp32, model, { ids: [e.prompt_ids] });
      expect(out.dims).toEqual([1, n, V]);
      worst = Math.max(worst, maxAbsDiff(out.logits, engine.forward(e.prompt_ids)));
      const last = out.logits.subarray((n - 1) * V);
      for (const [id, value] of e.last_logits.top20) expect(Math.abs(last[id]! - value)).toBeLessThan(1e-3);
    }
    console.log(`onnxruntime fp32 vs tinytalk float32, 12 prompts, all positions: max |Δlogit| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it('with the cache: the prompt in two pieces, then 8 tokens one at a time keeping only the last logits', async () => {
    const V = model.config.vocabSize;
    let worst = 0;
    for (const e of golden.entries) {
      const ids = e.prompt_ids;
      const half = Math.ceil(ids.length / 2);
      const seq = engine.newSequence();
      let out = await step(fp32, model, { ids: [ids.slice(0, half)] });
      worst = Math.max(worst, maxAbsDiff(out.logits, engine.prefill(seq, ids.slice(0, half), { allLogits: true })));
      out = await step(fp32, model, { ids: [ids.slice(half)], past: out.past });
      worst = Math.max(worst, maxAbsDiff(out.logits, engine.prefill(seq, ids.slice(half), { allLogits: true })));
      const next = e.greedy_ids_no_stop.slice(0, Math.min(8, engine.context - ids.length));
      for (const [i, token] of next.entries()) {
        out = await step(fp32, model, { ids: [[token]], past: out.past, keep: 1 });
        expect(out.dims).toEqual([1, 1, V]);
        expect(out.past['past_key_values.7.value']!.dims[2]).toBe(ids.length + i + 1);
        worst = Math.max(worst, maxAbsDiff(out.logits, engine.decode([seq], [token])));
      }
    }
    console.log(`onnxruntime fp32 with past_key_values vs tinytalk float32: max |Δlogit| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-4);
  });

  it('num_logits_to_keep k gives the last k rows of the full logits', async () => {
    const V = model.config.vocabSize;
    const ids = golden.entries[0]!.prompt_ids;
    const all = (await step(fp32, model, { ids: [ids] })).logits;
    const last3 = await step(fp32, model, { ids: [ids], keep: 3 });
    expect(last3.dims).toEqual([1, 3, V]);
    expect(maxAbsDiff(last3.logits, all.subarray((ids.length - 3) * V))).toBe(0);
    const more = await step(fp32, model, { ids: [ids], keep: ids.length + 5 });
    expect(more.dims).toEqual([1, ids.length, V]);
  });

  it('left padding masked by attention_mask: a batch of two prompts gives each prompt’s own logits', async () => {
    const V = model.config.vocabSize;
    const [a, b] = [golden.entries[0]!.prompt_ids, golden.entries[4]!.prompt_ids]; // 12 and 16 tokens
    const pad = b.length - a.length;
    const out = await step(fp32, model, {
      ids: [[...Array<number>(pad).fill(model.config.eosId), ...a], b],
      mask: [[...Array<number>(pad).fill(0), ...a.map(() => 1)], b.map(() => 1)],
      positions: [[...Array<number>(pad).fill(1), ...a.map((_, i) => i)], b.map((_, i) => i)], // as transformers.js makes them
    });
    const S = b.length;
    expect(maxAbsDiff(out.logits.subarray(pad * V, S * V), engine.forward(a))).toBeLessThan(1e-4);
    expect(maxAbsDiff(out.logits.subarray(S * V, 2 * S * V), engine.forward(b))).toBeLessThan(1e-4);
  });
});

describe('local attention (tiny model: window 8, 64 positions)', () => {
  it('sees only the last 8 keys, in one pass and step by step with the cache', async () => {
    const tiny = tinyModel();
    expect(tiny.config.attentionLayers).toEqual(['global', 'local']);
    const next = lcg(17);
    const ids = Array.from({ length: 40 }, () => Math.floor(next() * tiny.config.vocabSize));
    const s = await session(neoOnnxModel(tiny, 'fp32'));
    const neo = new Transformer(tiny);
    const whole = await step(s, tiny, { ids: [ids] });
    expect(maxAbsDiff(whole.logits, neo.forward(ids))).toBeLessThan(1e-4);
    // the window matters here: with both layers global the logits move by far more than the tolerance
    const global = new Transformer({ config: { ...tiny.config, attentionLayers: ['global', 'global'] }, weights: tiny.weights });
    expect(maxAbsDiff(whole.logits, global.forward(ids))).toBeGreaterThan(1e-2);
    const seq = neo.newSequence();
    let out = await step(s, tiny, { ids: [ids.slice(0, 5)] });
    expect(maxAbsDiff(out.logits, neo.prefill(seq, ids.slice(0, 5), { allLogits: true }))).toBeLessThan(1e-4);
    for (const token of ids.slice(5)) {
      out = await step(s, tiny, { ids: [[token]], past: out.past });
      expect(maxAbsDiff(out.logits, neo.decode([seq], [token]))).toBeLessThan(1e-4);
    }
  });
});

describe('weight variants', () => {
  it('fp16: float16 weights, float32 arithmetic, within 0.05 of float32 on the golden prompts', async () => {
    const s = await session(neoOnnxModel(model, 'fp16'));
    let worst = 0;
    for (const e of golden.entries) worst = Math.max(worst, maxAbsDiff((await step(s, model, { ids: [e.prompt_ids] })).logits, engine.forward(e.prompt_ids)));
    console.log(`onnxruntime fp16 weights vs float32: max |Δlogit| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(0.05);
  });

  it.each([
    ['q8', 'q8_0'],
    ['q4', 'q4_0'],
  ] as const)('%s: with float32 activations, within 1e-4 of the float32 engine running the same %s blocks', async (variant, blocks) => {
    const s = await session(neoOnnxModel(model, variant), FLOAT32_ACTIVATIONS);
    const same = new Transformer({ config: model.config, weights: requantized(model.weights, blocks) });
    let worst = 0;
    for (const e of golden.entries.slice(0, 6)) worst = Math.max(worst, maxAbsDiff((await step(s, model, { ids: [e.prompt_ids] })).logits, same.forward(e.prompt_ids)));
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('sources and the CLI', () => {
  it('from the firmware blob, q4 keeps the blob’s Q4_0 blocks: onnxruntime equals the engine running the blob', async () => {
    const out = join(dir, 'blob-q4');
    const r = tinytalk(['convert', V2_MODEL(), '--to', 'onnx', '--quant', 'q4', '--out', out]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/wrote .*onnx\/model_q4\.onnx.*q4/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ model_type: 'gpt_neo', architectures: ['GPTNeoForCausalLM'], vocab_size: 14019, 'transformers.js_config': { dtype: 'q4' } });
    const blob = await loadModel(V2_MODEL());
    const s = await session(new Uint8Array(readFileSync(join(out, 'onnx', 'model_q4.onnx'))), FLOAT32_ACTIVATIONS);
    const own = new Transformer(blob);
    for (const e of golden.entries.slice(0, 4)) {
      expect(maxAbsDiff((await step(s, blob, { ids: [e.prompt_ids] })).logits, own.forward(e.prompt_ids))).toBeLessThan(1e-4);
    }
  });

  it('from a GGUF (GPT-2 form: scaled scores, zero q/k/v biases): onnxruntime equals the engine on it', async () => {
    const path = join(dir, 'standin-f32.gguf');
    writeFileSync(path, writeGpt2Gguf({ config: model.config, weights: model.weights, vocab: model.tokenizer.vocab() }, 'f32'));
    const gguf = await loadModel(path);
    expect(gguf.config.attentionScale).not.toBe(1);
    const s = await session(neoOnnxModel(gguf, 'fp32'));
    const own = new Transformer(gguf);
    for (const e of golden.entries.slice(0, 4)) {
      expect(maxAbsDiff((await step(s, gguf, { ids: [e.prompt_ids] })).logits, own.forward(e.prompt_ids))).toBeLessThan(1e-4);
    }
  });

  it('names each variant as transformers.js does, refuses to overwrite without --force, and rejects bad options', () => {
    const out = join(dir, 'standin');
    for (const [args, file] of [
      [[], 'model.onnx'],
      [['--dtype', 'fp16'], 'model_fp16.onnx'],
      [['--quant', 'q8'], 'model_quantized.onnx'],
    ] as const) {
      const r = tinytalk(['convert', HF_STANDIN(), '--to', 'onnx', ...args, '--out', out, '--force']);
      expect(r.status).toBe(0);
      expect(readFileSync(join(out, 'onnx', file)).length).toBeGreaterThan(1_000_000);
    }
    const again = tinytalk(['convert', HF_STANDIN(), '--to', 'onnx', '--out', out]);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already exists \(use --force to replace it\)/);
    const mixed = tinytalk(['convert', HF_STANDIN(), '--to', 'onnx', '--dtype', 'fp16', '--quant', 'q8', '--out', join(dir, 'x')]);
    expect(mixed.stderr).toMatch(/^tinytalk: --quant q8 and --dtype fp16 do not combine for onnx/);
    const bf16 = tinytalk(['convert', HF_STANDIN(), '--to', 'onnx', '--dtype', 'bf16', '--out', join(dir, 'x')]);
    expect(bf16.stderr).toMatch(/^tinytalk: --dtype must be fp32 or fp16 for onnx, got bf16/);
  });
});
