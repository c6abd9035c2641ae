// The firmware's model blob "CRDP" (docs/firmware-format.md §1 and §11): a 64-byte header, float32
// norms/biases/positions, then Q4_0 matrices with bf16 scales — interleaved 18-byte blocks in
// version 2, row-planar (scales, then nibbles) in version 3. Q4 weights stay quantized: they are
// repacked into tensor.ts's planar Q4Matrix, never expanded to float32.
import { FormatError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import type { TensorInfo } from '../neo/model.js';
import type { LayerNormWeights, NeoLayerWeights, NeoWeights } from '../neo/weights.js';
import { QBLOCK, type Q4Matrix } from '../neo/tensor.js';
import { BinaryReader } from '../bytes/reader.js';

export const CRDP_MAGIC = 'CRDP';
export const CRDP_HEADER_BYTES = 64;
/** The only quantization the firmware accepts (Q4_0). */
export const CRDP_QUANT_Q4_0 = 4;
export const CRDP_ARCH_GPT_NEO = 2;
/** TinyTalk's local-attention window; the blob does not store it. */
export const CRDP_WINDOW_SIZE = 256;
/** TinyTalk's LayerNorm epsilon; the blob does not store it. */
export const CRDP_LAYER_NORM_EPSILON = 1e-5;

export interface CrdpHeader {
  version: 2 | 3;
  dim: number; // D
  hiddenDim: number; // F
  nLayers: number; // L
  nHeads: number;
  nKvHeads: number;
  vocabSize: number; // V (pruned)
  seqLen: number; // P: position rows kept
  sharedClassifier: number;
  quantType: number;
  arch: number;
}

export interface CrdpSection {
  /** HF GPT-Neo name; `*` stands for every layer of a stacked [L, …] section. */
  name: string;
  shape: number[];
  type: 'F32' | 'Q4_0';
  offset: number;
  bytes: number;
}

/** Bytes of one stored Q4 row of `cols` weights: v2 interleaves 18-byte blocks; v3 stores
 * the row's bf16 scales (padded to 16 bytes), then its 16-byte nibble groups. */
export function q4RowBytes(cols: number, version: 2 | 3): number {
  const nb = cols / QBLOCK;
  return version === 2 ? nb * 18 : pad16(2 * nb) + 16 * nb;
}

const pad16 = (n: number): number => Math.ceil(n / 16) * 16;

/** Where every section lies, from the header alone (plain numbers: no allocation, no overflow). */
export function crdpLayout(h: CrdpHeader): { sections: CrdpSection[]; end: number } {
  const { nLayers: L, dim: D, hiddenDim: F, vocabSize: V, seqLen: P } = h;
  const kvDim = (D / h.nHeads) * h.nKvHeads;
  const sections: CrdpSection[] = [];
  let at = CRDP_HEADER_BYTES;
  const f32 = (name: string, shape: number[]): void => {
    const bytes = 4 * shape.reduce((a, d) => a * d, 1);
    sections.push({ name, shape, type: 'F32', offset: at, bytes });
    at += bytes;
  };
  const q4 = (name: string, shape: number[]): void => {
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, d) => a * d, 1);
    const bytes = rows * q4RowBytes(cols, h.version);
    sections.push({ name, shape, type: 'Q4_0', offset: at, bytes });
    at += bytes;
  };
  const layer = (suffix: string): string => `transformer.h.*.${suffix}`;
  f32(layer('ln_1.weight'), [L, D]);
  f32(layer('ln_1.bias'), [L, D]);
  f32(layer('ln_2.weight'), [L, D]);
  f32(layer('ln_2.bias'), [L, D]);
  f32('transformer.ln_f.weight', [D]);
  f32('transformer.ln_f.bias', [D]);
  f32(layer('attn.attention.out_proj.bias'), [L, D]);
  f32(layer('mlp.c_fc.bias'), [L, F]);
  f32(layer('mlp.c_proj.bias'), [L, D]);
  f32('transformer.wpe.weight', [P, D]);
  if (h.version === 3) at = pad16(at);
  q4('transformer.wte.weight', [V, D]);
  q4(layer('attn.attention.q_proj.weight'), [L, D, D]);
  q4(layer('attn.attention.k_proj.weight'), [L, kvDim, D]);
  q4(layer('attn.attention.v_proj.weight'), [L, kvDim, D]);
  q4(layer('attn.attention.out_proj.weight'), [L, D, D]);
  q4(layer('mlp.c_fc.weight'), [L, F, D]);
  q4(layer('mlp.c_proj.weight'), [L, D, F]);
  return { sections, end: at };
}

export function readCrdpHeader(bytes: Uint8Array, file: string): CrdpHeader {
  const r = new BinaryReader(bytes, file);
  if (r.size < CRDP_HEADER_BYTES) {
    throw new FormatError(file, 'header', `a ${CRDP_HEADER_BYTES}-byte CRDP header`, `a file of ${r.size} bytes`);
  }
  const magic = String.fromCharCode(...r.slice(0, 4, 'magic'));
  if (magic !== CRDP_MAGIC) throw new FormatError(file, 'magic', '"CRDP" (a firmware model blob)', JSON.stringify(magic));
  const version = r.u32(4, 'version');
  if (version === 1) throw new FormatError(file, 'version', '2 or 3 (GPT-Neo); version 1 (LLaMA) is not supported', '1');
  if (version !== 2 && version !== 3) throw new FormatError(file, 'version', '2 or 3', String(version));
  const quantType = r.u8(37, 'quant_type');
  if (quantType !== CRDP_QUANT_Q4_0) throw new FormatError(file, 'quant_type', `${CRDP_QUANT_Q4_0} (Q4_0)`, String(quantType));
  const arch = r.u8(38, 'arch');
  if (arch !== CRDP_ARCH_GPT_NEO) throw new FormatError(file, 'arch', `${CRDP_ARCH_GPT_NEO} (GPT-Neo)`, String(arch));
  const dims = (['dim', 'hidden_dim', 'n_layers', 'n_heads', 'n_kv_heads', 'vocab_size', 'seq_len'] as const).map((field, i) => {
    const v = r.i32(8 + 4 * i, field);
    if (v < 1) throw new FormatError(file, field, 'a positive integer', String(v));
    return v;
  });
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, vocabSize, seqLen] = dims as [number, number, number, number, number, number, number];
  if (dim % QBLOCK !== 0) throw new FormatError(file, 'dim', `a multiple of ${QBLOCK}`, String(dim));
  if (hiddenDim % QBLOCK !== 0) throw new FormatError(file, 'hidden_dim', `a multiple of ${QBLOCK}`, String(hiddenDim));
  if (dim % nHeads !== 0) throw new FormatError(file, 'n_heads', `a divisor of dim ${dim}`, String(nHeads));
  if (nKvHeads !== nHeads) throw new FormatError(file, 'n_kv_heads', `n_heads (${nHeads}) for GPT-Neo`, String(nKvHeads));
  return {
    version,
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize,
    seqLen,
    sharedClassifier: r.u8(36, 'shared_classifier'),
    quantType,
    arch,
  };
}

/** The GPT-Neo configuration a CRDP header implies (window, epsilon and layer pattern are TinyTalk's). */
export function crdpConfig(h: CrdpHeader): NeoConfig {
  return {
    vocabSize: h.vocabSize,
    hiddenSize: h.dim,
    numLayers: h.nLayers,
    numHeads: h.nHeads,
    intermediateSize: h.hiddenDim,
    maxPositions: h.seqLen,
    windowSize: CRDP_WINDOW_SIZE,
    attentionLayers: Array.from({ length: h.nLayers }, (_, l) => (l % 2 === 0 ? 'global' : 'local')),
    layerNormEpsilon: CRDP_LAYER_NORM_EPSILON,
    activation: 'gelu_new',
    bosId: h.vocabSize - 1,
    eosId: h.vocabSize - 1,
    tieWordEmbeddings: true,
    attentionScale: 1,
  };
}

export interface CrdpModel {
  header: CrdpHeader;
  config: NeoConfig;
  weights: NeoWeights;
  tensors: TensorInfo[];
  /** The header's fields under the firmware's names. */
  rawConfig: Record<string, unknown>;
}

export function readCrdp(bytes: Uint8Array, file: string): CrdpModel {
  const h = readCrdpHeader(bytes, file);
  const { sections, end } = crdpLayout(h);
  if (end > bytes.byteLength) {
    throw new FormatError(file, 'size', `at least ${end} bytes for the sections the header describes`, `${bytes.byteLength} bytes (truncated, or a header lying about its sizes)`);
  }
  const r = new BinaryReader(bytes, file);
  const { nLayers: L, dim: D, hiddenDim: F } = h;
  const byName = new Map(sections.map((s) => [s.name.replace(/^transformer\.(h\.\*\.)?/, ''), s]));
  const at = (name: string): CrdpSection => byName.get(name)!;
  const f32 = (name: string): Float32Array => r.f32s(at(name).offset, at(name).bytes / 4, at(name).name);
  // Per-layer rows of a stacked [L, n] float32 section.
  const perLayer = (name: string, n: number): Float32Array[] => {
    const all = f32(name);
    return Array.from({ length: L }, (_, l) => all.subarray(l * n, (l + 1) * n));
  };
  // Per-layer matrices of a stacked [L, rows, cols] Q4 section (or the one [rows, cols] matrix).
  const q4 = (name: string): Q4Matrix[] => {
    const s = at(name);
    const [rows, cols] = s.shape.slice(-2) as [number, number];
    const count = s.shape.length === 3 ? s.shape[0]! : 1;
    const all = readQ4(bytes, s.offset, count * rows, cols, h.version);
    const n = rows * (cols / QBLOCK); // blocks per matrix
    return Array.from({ length: count }, (_, l) => ({
      type: 'q4_0',
      scaleType: 'bf16',
      rows,
      cols,
      scales: all.scales.subarray(l * n, (l + 1) * n),
      nibbles: all.nibbles.subarray(l * n * 16, (l + 1) * n * 16),
    }));
  };

  const ln1w = perLayer('ln_1.weight', D), ln1b = perLayer('ln_1.bias', D);
  const ln2w = perLayer('ln_2.weight', D), ln2b = perLayer('ln_2.bias', D);
  const outBias = perLayer('attn.attention.out_proj.bias', D);
  const fcBias = perLayer('mlp.c_fc.bias', F), projBias = perLayer('mlp.c_proj.bias', D);
  const wq = q4('attn.attention.q_proj.weight'), wk = q4('attn.attention.k_proj.weight');
  const wv = q4('attn.attention.v_proj.weight'), wo = q4('attn.attention.out_proj.weight');
  const wfc = q4('mlp.c_fc.weight'), wproj = q4('mlp.c_proj.weight');
  const layers: NeoLayerWeights[] = Array.from({ length: L }, (_, l) => ({
    ln1: { weight: ln1w[l]!, bias: ln1b[l]! },
    q: wq[l]!,
    k: wk[l]!,
    v: wv[l]!,
    out: wo[l]!,
    outBias: outBias[l]!,
    ln2: { weight: ln2w[l]!, bias: ln2b[l]! },
    fc: wfc[l]!,
    fcBias: fcBias[l]!,
    proj: wproj[l]!,
    projBias: projBias[l]!,
  }));
  const lnF: LayerNormWeights = { weight: f32('ln_f.weight'), bias: f32('ln_f.bias') };
  const q4Type = h.version === 2 ? 'Q4_0 (bf16 scale)' : 'Q4_0 (bf16 scale, row-planar)';
  return {
    header: h,
    config: crdpConfig(h),
    weights: { wte: q4('wte.weight')[0]!, wpe: f32('wpe.weight'), layers, lnF },
    tensors: sections.map((s) => ({ name: s.name, shape: s.shape, type: s.type === 'F32' ? 'F32' : q4Type, bytes: s.bytes })),
    rawConfig: {
      magic: CRDP_MAGIC,
      version: h.version,
      dim: h.dim,
      hidden_dim: h.hiddenDim,
      n_layers: h.nLayers,
      n_heads: h.nHeads,
      n_kv_heads: h.nKvHeads,
      vocab_size: h.vocabSize,
      seq_len: h.seqLen,
      shared_classifier: h.sharedClassifier,
      quant_type: h.quantType,
      arch: h.arch,
    },
  };
}

/** `rows` stored Q4 rows of `cols` weights from `offset` → planar scales (rows, nb) and nibbles (rows, nb, 16). */
function readQ4(bytes: Uint8Array, offset: number, rows: number, cols: number, version: 2 | 3): { scales: Uint16Array; nibbles: Uint8Array } {
  const nb = cols / QBLOCK;
  const scales = new Uint16Array(rows * nb); // (rows, nb)
  const nibbles = new Uint8Array(rows * nb * 16); // (rows, nb, 16)
  if (version === 2) {
    // Blocks of 18 bytes: bf16 scale, then 16 nibble bytes (copied byte by byte: a subarray per
    // block would cost more than the copy).
    for (let blk = 0, o = offset; blk < rows * nb; blk++, o += 18) {
      scales[blk] = bytes[o]! | (bytes[o + 1]! << 8);
      for (let k = 0, to = blk * 16; k < 16; k++) nibbles[to + k] = bytes[o + 2 + k]!;
    }
  } else {
    // Rows of nb scales (padded to 16 bytes), then nb nibble groups.
    const scaleArea = pad16(2 * nb);
    const stride = scaleArea + 16 * nb;
    for (let row = 0, o = offset; row < rows; row++, o += stride) {
      for (let b = 0; b < nb; b++) scales[row * nb + b] = bytes[o + 2 * b]! | (bytes[o + 2 * b + 1]! << 8);
      nibbles.set(bytes.subarray(o + scaleArea, o + stride), row * nb * 16);
    }
  }
  return { scales, nibbles };
}
