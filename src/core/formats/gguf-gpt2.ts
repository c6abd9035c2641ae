// TinyTalk as a llama.cpp "gpt2" GGUF, and back.
//
// llama.cpp has no GPT-Neo, but GPT-Neo is GPT-2 with two differences, both removable exactly:
// - GPT-2 scales attention scores by 1/sqrt(head_dim), GPT-Neo does not: we multiply the query
//   weights (and bias) by sqrt(head_dim) × attentionScale, so GPT-2's scaling cancels.
// - GPT-Neo's odd layers are local (window_size); within window_size positions that changes
//   nothing, so gpt2.context_length is capped at the window.
// q/k/v become one attn_qkv matrix with a bias (zeros for GPT-Neo). ggml lists dims innermost
// first and stores matrices [out][in] like our Matrix, so no transposes are needed. Reading back
// gives NeoWeights with qkvBias and attentionScale = 1/sqrt(head_dim): the engine then runs the
// re-expressed weights exactly as GPT-2 would.
import { FormatError, UsageError } from '../errors.js';
import { f16ToF32, f32ToF16 } from '../bytes/halfs.js';
import type { NeoConfig } from '../neo/config.js';
import type { TensorInfo } from '../neo/model.js';
import type { LayerNormWeights, NeoWeights } from '../neo/weights.js';
import { QBLOCK, type Matrix } from '../neo/tensor.js';
import { BYTE_TO_UNICODE, gpt2StringToBytes } from '../tokenizer/byte-unicode.js';
import { gpt2MergeLines, gpt2Tokens } from '../tokenizer/hf.js';
import type { Merge, TokenizerVocab } from '../neo/tokenizer.js';
import { ByteWriter } from '../bytes/writer.js';
import { EOS_TEXT } from '../tokenizer/pretokenize.js';
import { GGML_TYPE, ggmlTypeName, parseGguf, writeGguf, type GgufTensor, type GgufValue } from './gguf.js';
import { BLOCK_BYTES, dequantize, quantizeQ4, quantizeQ8, readBlocks, writeBlocks } from './quant.js';

export type GgufType = 'f32' | 'f16' | 'q8_0' | 'q4_0';

const FILE_TYPE: Record<GgufType, number> = { f32: 0, f16: 1, q4_0: 2, q8_0: 7 }; // llama_ftype
const TOKEN_NORMAL = 1;
const TOKEN_CONTROL = 3;

export interface GgufSource {
  config: NeoConfig;
  weights: NeoWeights;
  vocab: TokenizerVocab;
  name?: string;
}

// ---- encoding tensors ------------------------------------------------------------------------

function f32Tensor(name: string, x: Float32Array, dims: number[]): GgufTensor {
  const out = new ByteWriter(x.byteLength);
  out.bytes(x);
  return { name, dims, type: GGML_TYPE.F32, data: out.result() };
}

/** A float32 (rows, cols) matrix in the requested ggml type; dims (cols, rows). */
function matrixTensor(name: string, x: Float32Array, rows: number, cols: number, type: GgufType): GgufTensor {
  const dims = [cols, rows];
  if (type === 'f32') return f32Tensor(name, x, dims);
  if (type === 'f16') {
    const data = new Uint8Array(x.length * 2);
    const view = new DataView(data.buffer);
    for (let i = 0; i < x.length; i++) view.setUint16(2 * i, f32ToF16(x[i]!), true);
    return { name, dims, type: GGML_TYPE.F16, data };
  }
  // blocks: an fp16 scale, then 16 nibble bytes (Q4_0) or 32 int8 codes (Q8_0)
  const out = new ByteWriter(((rows * cols) / QBLOCK) * BLOCK_BYTES[type]);
  if (type === 'q4_0') {
    const q = quantizeQ4(x, rows, cols, 'f16', name);
    writeBlocks(out, q.scales, q.nibbles, type);
    return { name, dims, type: GGML_TYPE.Q4_0, data: out.result() };
  }
  const q = quantizeQ8(x, rows, cols, 'f16', name);
  writeBlocks(out, q.scales, q.codes, type);
  return { name, dims, type: GGML_TYPE.Q8_0, data: out.result() };
}

/** The GGUF file (gpt2 architecture) for a GPT-Neo model; matrices in `type`, vectors in F32. */
export function writeGpt2Gguf(src: GgufSource, type: GgufType): Uint8Array {
  const { config: c, weights: w, vocab } = src;
  const D = c.hiddenSize;
  const F = c.intermediateSize;
  const V = w.wte.rows;
  if ((type === 'q4_0' || type === 'q8_0') && (D % QBLOCK !== 0 || F % QBLOCK !== 0)) {
    throw new UsageError(`cannot write ${type}: hidden size ${D} and MLP size ${F} must be multiples of ${QBLOCK}`);
  }
  if (vocab.pieces.length !== V) throw new UsageError(`the tokenizer has ${vocab.pieces.length} tokens but the model ${V}`);
  const headDim = D / c.numHeads;
  const hasLocal = c.attentionLayers.includes('local');
  const P = Math.min(w.wpe.length / D, hasLocal ? c.windowSize : Infinity);
  const qScale = Math.fround(Math.sqrt(headDim) * c.attentionScale);

  const wte = dequantize(w.wte);
  const tensors: GgufTensor[] = [
    matrixTensor('token_embd.weight', wte, V, D, type),
    f32Tensor('position_embd.weight', w.wpe.subarray(0, P * D), [D, P]),
    f32Tensor('output_norm.weight', w.lnF.weight, [D]),
    f32Tensor('output_norm.bias', w.lnF.bias, [D]),
    // llama.cpp's gpt2 reads a separate classifier; TinyTalk's is tied, so it is wte again.
    matrixTensor('output.weight', wte, V, D, type),
  ];
  w.layers.forEach((l, i) => {
    const qkv = new Float32Array(3 * D * D); // (3D, D): q rows, k rows, v rows
    const q = dequantize(l.q);
    for (let j = 0; j < q.length; j++) qkv[j] = Math.fround(q[j]! * qScale);
    qkv.set(dequantize(l.k), D * D);
    qkv.set(dequantize(l.v), 2 * D * D);
    const qkvBias = new Float32Array(3 * D); // (3D)
    if (l.qkvBias) {
      for (let j = 0; j < D; j++) qkvBias[j] = Math.fround(l.qkvBias.q[j]! * qScale);
      qkvBias.set(l.qkvBias.k, D);
      qkvBias.set(l.qkvBias.v, 2 * D);
    }
    const b = `blk.${i}`;
    tensors.push(
      f32Tensor(`${b}.attn_norm.weight`, l.ln1.weight, [D]),
      f32Tensor(`${b}.attn_norm.bias`, l.ln1.bias, [D]),
      matrixTensor(`${b}.attn_qkv.weight`, qkv, 3 * D, D, type),
      f32Tensor(`${b}.attn_qkv.bias`, qkvBias, [3 * D]),
      matrixTensor(`${b}.attn_output.weight`, dequantize(l.out), D, D, type),
      f32Tensor(`${b}.attn_output.bias`, l.outBias, [D]),
      f32Tensor(`${b}.ffn_norm.weight`, l.ln2.weight, [D]),
      f32Tensor(`${b}.ffn_norm.bias`, l.ln2.bias, [D]),
      matrixTensor(`${b}.ffn_up.weight`, dequantize(l.fc), F, D, type),
      f32Tensor(`${b}.ffn_up.bias`, l.fcBias, [F]),
      matrixTensor(`${b}.ffn_down.weight`, dequantize(l.proj), D, F, type),
      f32Tensor(`${b}.ffn_down.bias`, l.projBias, [D]),
    );
  });

  const tokens = gpt2Tokens(vocab);
  const merges = gpt2MergeLines(vocab, tokens);
  const metadata: Array<[string, GgufValue]> = [
    ['general.architecture', { type: 'string', value: 'gpt2' }],
    ['general.name', { type: 'string', value: src.name ?? 'TinyTalk' }],
    ['general.file_type', { type: 'u32', value: FILE_TYPE[type] }],
    ['general.quantization_version', { type: 'u32', value: 2 }],
    ['gpt2.context_length', { type: 'u32', value: P }],
    ['gpt2.embedding_length', { type: 'u32', value: D }],
    ['gpt2.feed_forward_length', { type: 'u32', value: F }],
    ['gpt2.block_count', { type: 'u32', value: c.numLayers }],
    ['gpt2.attention.head_count', { type: 'u32', value: c.numHeads }],
    ['gpt2.attention.layer_norm_epsilon', { type: 'f32', value: c.layerNormEpsilon }],
    ['tokenizer.ggml.model', { type: 'string', value: 'gpt2' }],
    ['tokenizer.ggml.pre', { type: 'string', value: 'gpt-2' }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: tokens }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: tokens.map((_, id) => (id === vocab.eosId ? TOKEN_CONTROL : TOKEN_NORMAL)) }],
    ['tokenizer.ggml.merges', { type: 'string[]', value: merges }],
    ['tokenizer.ggml.bos_token_id', { type: 'u32', value: c.bosId }],
    ['tokenizer.ggml.eos_token_id', { type: 'u32', value: vocab.eosId }],
  ];
  return writeGguf(metadata, tensors);
}

// ---- reading back ------------------------------------------------------------------------------

export interface Gpt2GgufModel {
  config: NeoConfig;
  weights: NeoWeights;
  vocab: TokenizerVocab;
  tensors: TensorInfo[];
  rawConfig: Record<string, unknown>;
  version: number;
}

/** A gpt2-architecture GGUF as GPT-Neo weights the engine runs (attentionScale 1/sqrt(head_dim), q/k/v biases). */
export function readGpt2Gguf(bytes: Uint8Array, file: string): Gpt2GgufModel {
  const g = parseGguf(bytes, file);
  const meta = g.metadata;
  const num = (key: string): number => {
    const v = meta.get(key);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new FormatError(file, key, 'a number', v === undefined ? 'none (missing)' : String(v));
    return v;
  };
  const arch = meta.get('general.architecture');
  if (arch !== 'gpt2') throw new FormatError(file, 'general.architecture', '"gpt2" (the only architecture tinytalk reads from GGUF)', String(arch));
  const D = num('gpt2.embedding_length');
  const F = num('gpt2.feed_forward_length');
  const L = num('gpt2.block_count');
  const H = num('gpt2.attention.head_count');
  const P = num('gpt2.context_length');
  if (D % H !== 0) throw new FormatError(file, 'gpt2.attention.head_count', `a divisor of embedding_length ${D}`, String(H));

  const tensor = (name: string, dims: number[]): GgufTensor => {
    const t = g.tensors.get(name);
    if (!t) throw new FormatError(file, `tensor "${name}"`, `dims [${dims.join(', ')}]`, 'none (missing)');
    if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
      throw new FormatError(file, `tensor "${name}" dims`, `[${dims.join(', ')}]`, `[${t.dims.join(', ')}]`);
    }
    return t;
  };
  const vec = (name: string, n: number): Float32Array => {
    const t = tensor(name, [n]);
    if (t.type !== GGML_TYPE.F32 && t.type !== GGML_TYPE.F16) throw new FormatError(file, `tensor "${name}" type`, 'F32 or F16', ggmlTypeName(t.type));
    return toFloat32(t);
  };
  const norm = (p: string): LayerNormWeights => ({ weight: vec(`${p}.weight`, D), bias: vec(`${p}.bias`, D) });

  const tokens = meta.get('tokenizer.ggml.tokens');
  if (!Array.isArray(tokens) || !tokens.every((s) => typeof s === 'string')) {
    throw new FormatError(file, 'tokenizer.ggml.tokens', 'an array of strings', 'none (missing)');
  }
  const V = tokens.length;
  const wteT = tensor('token_embd.weight', [D, V]);
  const wpeT = tensor('position_embd.weight', [D, P]);
  const layers = Array.from({ length: L }, (_, i) => {
    const b = `blk.${i}`;
    const qkv = toMatrix(tensor(`${b}.attn_qkv.weight`, [D, 3 * D]), file);
    const qkvBias = vec(`${b}.attn_qkv.bias`, 3 * D);
    return {
      ln1: norm(`${b}.attn_norm`),
      q: sliceRows(qkv, 0, D),
      k: sliceRows(qkv, D, 2 * D),
      v: sliceRows(qkv, 2 * D, 3 * D),
      qkvBias: { q: qkvBias.subarray(0, D), k: qkvBias.subarray(D, 2 * D), v: qkvBias.subarray(2 * D) },
      out: toMatrix(tensor(`${b}.attn_output.weight`, [D, D]), file),
      outBias: vec(`${b}.attn_output.bias`, D),
      ln2: norm(`${b}.ffn_norm`),
      fc: toMatrix(tensor(`${b}.ffn_up.weight`, [D, F]), file),
      fcBias: vec(`${b}.ffn_up.bias`, F),
      proj: toMatrix(tensor(`${b}.ffn_down.weight`, [F, D]), file),
      projBias: vec(`${b}.ffn_down.bias`, D),
    };
  });
  const weights: NeoWeights = { wte: toMatrix(wteT, file), wpe: toFloat32(wpeT), layers, lnF: norm('output_norm') };

  const vocab = vocabFromGguf(tokens as string[], meta, file);
  const eps = meta.get('gpt2.attention.layer_norm_epsilon');
  const config: NeoConfig = {
    vocabSize: V,
    hiddenSize: D,
    numLayers: L,
    numHeads: H,
    intermediateSize: F,
    maxPositions: P,
    windowSize: P,
    attentionLayers: Array.from({ length: L }, () => 'global' as const),
    layerNormEpsilon: typeof eps === 'number' ? eps : 1e-5,
    activation: 'gelu_new',
    bosId: typeof meta.get('tokenizer.ggml.bos_token_id') === 'number' ? (meta.get('tokenizer.ggml.bos_token_id') as number) : vocab.eosId,
    eosId: vocab.eosId,
    tieWordEmbeddings: true, // output.weight, when present, is the copy of token_embd we write; the engine uses wte
    attentionScale: 1 / Math.sqrt(D / H),
  };
  const tensors = [...g.tensors.values()].map((t) => ({
    name: t.name,
    shape: [...t.dims].reverse(),
    type: ggmlTypeName(t.type),
    bytes: t.data.byteLength,
  }));
  const rawConfig = Object.fromEntries([...meta].filter(([k]) => !k.startsWith('tokenizer.ggml.') || k.endsWith('_id') || k.endsWith('model')));
  return { config, weights, vocab, tensors, rawConfig, version: g.version };
}

function toFloat32(t: GgufTensor): Float32Array {
  const n = t.dims.reduce((a, d) => a * d, 1);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  if (t.type === GGML_TYPE.F32) for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
  else for (let i = 0; i < n; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
  return out;
}

/** A 2-D ggml tensor as a planar Matrix in its stored type. */
function toMatrix(t: GgufTensor, file: string): Matrix {
  const [cols, rows] = t.dims as [number, number];
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const nb = (rows * cols) / QBLOCK;
  switch (t.type) {
    case GGML_TYPE.F32:
      return { type: 'f32', rows, cols, data: toFloat32(t) };
    case GGML_TYPE.F16: {
      const data = new Uint16Array(rows * cols);
      for (let i = 0; i < data.length; i++) data[i] = view.getUint16(2 * i, true);
      return { type: 'f16', rows, cols, data };
    }
    case GGML_TYPE.Q4_0: {
      const { scales, codes } = readBlocks(t.data, 0, nb, 'q4_0');
      return { type: 'q4_0', rows, cols, scaleType: 'f16', scales, nibbles: codes };
    }
    case GGML_TYPE.Q8_0: {
      const { scales, codes } = readBlocks(t.data, 0, nb, 'q8_0');
      return { type: 'q8_0', rows, cols, scaleType: 'f16', scales, codes: new Int8Array(codes.buffer) };
    }
    default:
      throw new FormatError(file, `tensor "${t.name}" type`, 'F32, F16, Q4_0 or Q8_0', ggmlTypeName(t.type));
  }
}

/** Rows [r0, r1) of a matrix (views, no copy). */
function sliceRows(m: Matrix, r0: number, r1: number): Matrix {
  const rows = r1 - r0;
  const { cols } = m;
  switch (m.type) {
    case 'f32':
    case 'f16':
    case 'bf16':
      return { ...m, rows, data: m.data.subarray(r0 * cols, r1 * cols) } as Matrix;
    case 'q4_0': {
      const nb = cols / QBLOCK;
      return { ...m, rows, scales: m.scales.subarray(r0 * nb, r1 * nb), nibbles: m.nibbles.subarray(r0 * nb * 16, r1 * nb * 16) };
    }
    case 'q8_0': {
      const nb = cols / QBLOCK;
      return { ...m, rows, scales: m.scales.subarray(r0 * nb, r1 * nb), codes: m.codes.subarray(r0 * cols, r1 * cols) };
    }
  }
}

/** The BPE tables from tokenizer.ggml.tokens / merges / eos_token_id. */
function vocabFromGguf(tokens: string[], meta: Map<string, unknown>, file: string): TokenizerVocab {
  const model = meta.get('tokenizer.ggml.model');
  if (model !== 'gpt2') throw new FormatError(file, 'tokenizer.ggml.model', '"gpt2" (byte-level BPE)', String(model));
  const ids = new Map(tokens.map((s, id) => [s, id]));
  const eos = meta.get('tokenizer.ggml.eos_token_id');
  const eosId = typeof eos === 'number' ? eos : ids.get(EOS_TEXT) ?? -1;
  if (!(eosId >= 0 && eosId < tokens.length)) throw new FormatError(file, 'tokenizer.ggml.eos_token_id', `a token id below ${tokens.length}`, String(eos));
  const pieces = tokens.map((s, id) => {
    const bytes = gpt2StringToBytes(s);
    if (bytes) return bytes;
    if (id === eosId) return new TextEncoder().encode(s);
    throw new FormatError(file, `tokenizer.ggml.tokens[${id}]`, 'a GPT-2 byte-level string', JSON.stringify(s));
  });
  const rawMerges = meta.get('tokenizer.ggml.merges');
  if (!Array.isArray(rawMerges)) throw new FormatError(file, 'tokenizer.ggml.merges', 'an array of "A B" strings', 'none (missing)');
  const merges: Merge[] = rawMerges.map((m, i) => {
    const parts = typeof m === 'string' ? m.split(' ') : [];
    const [a, b, c] = [ids.get(parts[0]!), ids.get(parts[1]!), ids.get((parts[0] ?? '') + (parts[1] ?? ''))];
    if (parts.length !== 2 || a === undefined || b === undefined || c === undefined) {
      throw new FormatError(file, `tokenizer.ggml.merges[${i}]`, 'two tokens whose concatenation is a token', JSON.stringify(m));
    }
    return [a, b, c] as const;
  });
  const byteIds = BYTE_TO_UNICODE.map((ch, b) => {
    const id = ids.get(ch);
    if (id === undefined) throw new FormatError(file, 'tokenizer.ggml.tokens', `a token for byte 0x${b.toString(16)}`, 'none');
    return id;
  });
  return { pieces, merges, byteIds, eosId };
}
