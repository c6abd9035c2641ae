// The firmware's model blob "CRDP" (docs/firmware-format.md §1 and §11): a 64-byte header, float32
// norms/biases/positions, then Q4_0 matrices with bf16 scales — interleaved 18-byte blocks in
// version 2, row-planar (scales, then nibbles) in version 3. Two tables describe it, the header's
// fields and the sections in file order; the reader, the writer and crdpSize all walk them. Q4
// weights stay quantized when read: they are repacked into neo/tensor.ts's planar Q4Matrix,
// never expanded to float32. The writer quantizes every matrix from its float32 values with the
// converter's quantizer, so converting a blob's own weights gives the blob back byte for byte.
import { alignUp } from '../bytes/align.js';
import { BinaryReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { FormatError, UsageError } from '../errors.js';
import type { NeoConfig } from '../neo/config.js';
import type { TensorInfo } from '../neo/model.js';
import { buildNeoModel, getParameter, isLayerField, neoParameter, type LayerField, type ModelField, type NeoSizes } from '../neo/parameters.js';
import { QBLOCK, type Matrix, type Q4Matrix } from '../neo/tensor.js';
import type { NeoWeights } from '../neo/weights.js';
import { CTK2_MAX_VOCAB } from './ctk2.js';
import { neoForm } from './neo-form.js';
import { BLOCK_BYTES, quantizeMatrix, readBlocks, writeBlocks, type Q4Quantizer } from './quant.js';

export const CRDP_MAGIC = 'CRDP';
export const CRDP_HEADER_BYTES = 64;
/** The only quantization the firmware accepts (Q4_0). */
export const CRDP_QUANT_Q4_0 = 4;
export const CRDP_ARCH_GPT_NEO = 2;
/** TinyTalk's local-attention window; the blob does not store it. */
export const CRDP_WINDOW_SIZE = 256;
/** TinyTalk's LayerNorm epsilon; the blob does not store it. */
export const CRDP_LAYER_NORM_EPSILON = 1e-5;

export type CrdpVersion = 2 | 3;

export interface CrdpHeader {
  version: CrdpVersion;
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

/** The header's fields after the magic (§1.2): the firmware's name, CrdpHeader's key, offset, type. */
const HEADER_FIELDS: ReadonlyArray<readonly [field: string, key: keyof CrdpHeader, at: number, type: 'u32' | 'i32' | 'u8']> = [
  ['version', 'version', 4, 'u32'],
  ['dim', 'dim', 8, 'i32'],
  ['hidden_dim', 'hiddenDim', 12, 'i32'],
  ['n_layers', 'nLayers', 16, 'i32'],
  ['n_heads', 'nHeads', 20, 'i32'],
  ['n_kv_heads', 'nKvHeads', 24, 'i32'],
  ['vocab_size', 'vocabSize', 28, 'i32'],
  ['seq_len', 'seqLen', 32, 'i32'],
  ['shared_classifier', 'sharedClassifier', 36, 'u8'],
  ['quant_type', 'quantType', 37, 'u8'],
  ['arch', 'arch', 38, 'u8'],
];
/** The seven sizes: positive int32s. */
const SIZE_FIELDS = HEADER_FIELDS.filter(([, , , type]) => type === 'i32');

/**
 * The sections in file order (§1.3): float32 vectors and positions, then the Q4_0 matrices (in
 * version 3 after zero padding to a 16-byte boundary). A layer's parameter is one section for
 * every layer, stacked [L, …]; names and shapes are those of neo/parameters.ts.
 */
const SECTIONS: ReadonlyArray<LayerField | ModelField> = [
  'ln1.weight', 'ln1.bias', 'ln2.weight', 'ln2.bias', 'lnF.weight', 'lnF.bias', 'outBias', 'fcBias', 'projBias', 'wpe',
  'wte', 'q', 'k', 'v', 'out', 'fc', 'proj',
];

const sizesOf = (h: CrdpHeader): NeoSizes => ({ D: h.dim, F: h.hiddenDim, V: h.vocabSize, P: h.seqLen });

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
export function q4RowBytes(cols: number, version: CrdpVersion): number {
  const nb = cols / QBLOCK;
  return version === 2 ? nb * BLOCK_BYTES.q4_0 : alignUp(2 * nb, 16) + 16 * nb;
}

/** Where every section lies, from the header alone (plain numbers: no allocation, no overflow). */
export function crdpLayout(h: CrdpHeader): { sections: CrdpSection[]; end: number } {
  const sections: CrdpSection[] = [];
  let at = CRDP_HEADER_BYTES;
  for (const field of SECTIONS) {
    const p = neoParameter(field);
    const type = p.matrix ? 'Q4_0' : 'F32';
    const shape = isLayerField(field) ? [h.nLayers, ...p.shape(sizesOf(h))] : p.shape(sizesOf(h));
    const cols = shape[shape.length - 1]!;
    const rows = shape.slice(0, -1).reduce((a, d) => a * d, 1);
    if (type === 'Q4_0' && h.version === 3 && sections[sections.length - 1]?.type === 'F32') at = alignUp(at, 16);
    const bytes = type === 'F32' ? 4 * rows * cols : rows * q4RowBytes(cols, h.version);
    // one name for the stacked section: h.*.ln_1.weight
    sections.push({ name: `transformer.${p.name.replace(/^h\.0\./, 'h.*.')}`, shape, type, offset: at, bytes });
    at += bytes;
  }
  return { sections, end: at };
}

// ---- reading ------------------------------------------------------------------------------------

export function readCrdpHeader(bytes: Uint8Array, file: string): CrdpHeader {
  const r = new BinaryReader(bytes, file);
  if (r.size < CRDP_HEADER_BYTES) {
    throw new FormatError(file, 'header', `a ${CRDP_HEADER_BYTES}-byte CRDP header`, `a file of ${r.size} bytes`);
  }
  const magic = String.fromCharCode(...r.slice(0, 4, 'magic'));
  if (magic !== CRDP_MAGIC) throw new FormatError(file, 'magic', '"CRDP" (a firmware model blob)', JSON.stringify(magic));
  const read = (field: string): number => {
    const [, , at, type] = HEADER_FIELDS.find(([f]) => f === field)!;
    return type === 'u32' ? r.u32(at, field) : type === 'i32' ? r.i32(at, field) : r.u8(at, field);
  };
  const version = read('version');
  if (version === 1) throw new FormatError(file, 'version', '2 or 3 (GPT-Neo); version 1 (LLaMA) is not supported', '1');
  if (version !== 2 && version !== 3) throw new FormatError(file, 'version', '2 or 3', String(version));
  const quantType = read('quant_type');
  if (quantType !== CRDP_QUANT_Q4_0) throw new FormatError(file, 'quant_type', `${CRDP_QUANT_Q4_0} (Q4_0)`, String(quantType));
  const arch = read('arch');
  if (arch !== CRDP_ARCH_GPT_NEO) throw new FormatError(file, 'arch', `${CRDP_ARCH_GPT_NEO} (GPT-Neo)`, String(arch));
  const values = new Map<keyof CrdpHeader, number>([['version', version], ['quantType', quantType], ['arch', arch]]);
  values.set('sharedClassifier', read('shared_classifier'));
  for (const [field, key] of SIZE_FIELDS) {
    const v = read(field);
    if (v < 1) throw new FormatError(file, field, 'a positive integer', String(v));
    values.set(key, v);
  }
  // in the order of the fields, as the firmware's struct lists them
  const h = Object.fromEntries(HEADER_FIELDS.map(([, key]) => [key, values.get(key)])) as unknown as CrdpHeader;
  const { dim, hiddenDim, nHeads, nKvHeads } = h;
  if (dim % QBLOCK !== 0) throw new FormatError(file, 'dim', `a multiple of ${QBLOCK}`, String(dim));
  if (hiddenDim % QBLOCK !== 0) throw new FormatError(file, 'hidden_dim', `a multiple of ${QBLOCK}`, String(hiddenDim));
  if (dim % nHeads !== 0) throw new FormatError(file, 'n_heads', `a divisor of dim ${dim}`, String(nHeads));
  if (nKvHeads !== nHeads) throw new FormatError(file, 'n_kv_heads', `n_heads (${nHeads}) for GPT-Neo`, String(nKvHeads));
  return h;
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
  // each section's values: one per layer (the rows of a stacked [L, …] section), or the one
  const values = new Map<LayerField | ModelField, Array<Float32Array | Q4Matrix>>();
  SECTIONS.forEach((field, i) => {
    const s = sections[i]!;
    const count = isLayerField(field) ? h.nLayers : 1;
    if (s.type === 'F32') {
      const all = r.f32s(s.offset, s.bytes / 4, s.name); // a view into the file when aligned
      const n = all.length / count;
      values.set(field, Array.from({ length: count }, (_, l) => all.subarray(l * n, (l + 1) * n)));
      return;
    }
    const [rows, cols] = s.shape.slice(-2) as [number, number];
    const all = readQ4(bytes, s.offset, count * rows, cols, h.version);
    const nb = rows * (cols / QBLOCK); // blocks per matrix
    values.set(field, Array.from({ length: count }, (_, l): Q4Matrix => ({
      type: 'q4_0',
      scaleType: 'bf16',
      rows,
      cols,
      scales: all.scales.subarray(l * nb, (l + 1) * nb),
      nibbles: all.nibbles.subarray(l * nb * 16, (l + 1) * nb * 16),
    })));
  });
  const weights = buildNeoModel(h.nLayers, (p) => values.get(p.field)![p.layer ?? 0]!) as NeoWeights;
  const q4Type = h.version === 2 ? 'Q4_0 (bf16 scale)' : 'Q4_0 (bf16 scale, row-planar)';
  return {
    header: h,
    config: crdpConfig(h),
    weights,
    tensors: sections.map((s) => ({ name: s.name, shape: s.shape, type: s.type === 'F32' ? 'F32' : q4Type, bytes: s.bytes })),
    rawConfig: { magic: CRDP_MAGIC, ...Object.fromEntries(HEADER_FIELDS.map(([field, key]) => [field, h[key]])) },
  };
}

/** `rows` stored Q4 rows of `cols` weights from `offset` → planar scales (rows, nb) and nibbles (rows, nb, 16). */
function readQ4(bytes: Uint8Array, offset: number, rows: number, cols: number, version: CrdpVersion): { scales: Uint16Array; nibbles: Uint8Array } {
  const nb = cols / QBLOCK;
  if (version === 2) {
    const { scales, codes } = readBlocks(bytes, offset, rows * nb, 'q4_0');
    return { scales, nibbles: codes };
  }
  // Rows of nb scales (padded to 16 bytes), then nb nibble groups.
  const scales = new Uint16Array(rows * nb); // (rows, nb)
  const nibbles = new Uint8Array(rows * nb * 16); // (rows, nb, 16)
  const scaleArea = alignUp(2 * nb, 16);
  const stride = scaleArea + 16 * nb;
  for (let row = 0, o = offset; row < rows; row++, o += stride) {
    for (let b = 0; b < nb; b++) scales[row * nb + b] = bytes[o + 2 * b]! | (bytes[o + 2 * b + 1]! << 8);
    nibbles.set(bytes.subarray(o + scaleArea, o + stride), row * nb * 16);
  }
  return { scales, nibbles };
}

// ---- writing ------------------------------------------------------------------------------------

/** The header for a model, after checking it fits what the GPT-Neo firmware can run. */
function crdpHeaderFor(config: NeoConfig, weights: NeoWeights, version: CrdpVersion): CrdpHeader {
  const D = config.hiddenSize;
  const F = config.intermediateSize;
  const V = weights.wte.rows;
  const P = weights.wpe.length / D;
  const refuse = (why: string) => {
    throw new UsageError(`cannot write a firmware blob: ${why}`);
  };
  if (D % QBLOCK !== 0 || F % QBLOCK !== 0) refuse(`hidden size ${D} and MLP size ${F} must be multiples of ${QBLOCK}`);
  if (D % config.numHeads !== 0) refuse(`hidden size ${D} is not a multiple of ${config.numHeads} heads`);
  if (P > config.windowSize) refuse(`${P} positions exceed the local-attention window ${config.windowSize}, which the firmware does not implement (use --max-positions)`);
  if (V >= CTK2_MAX_VOCAB) refuse(`${V} tokens do not fit the tokenizer's 16-bit ids (prune the vocabulary)`);
  return crdpHeaderOf(config, V, P, version);
}

function crdpHeaderOf(config: NeoConfig, vocabSize: number, seqLen: number, version: CrdpVersion): CrdpHeader {
  return {
    version,
    dim: config.hiddenSize,
    hiddenDim: config.intermediateSize,
    nLayers: config.numLayers,
    nHeads: config.numHeads,
    nKvHeads: config.numHeads,
    vocabSize,
    seqLen,
    sharedClassifier: 1,
    quantType: CRDP_QUANT_Q4_0,
    arch: CRDP_ARCH_GPT_NEO,
  };
}

/**
 * The blob for a GPT-Neo model, or its GPT-2 form (quantizing every matrix to Q4_0 with a bf16
 * scale; `quantizer` 'max' is the converter's, see quant.ts).
 */
export function writeCrdp(model: NeoConfig, modelWeights: NeoWeights, version: CrdpVersion = 2, quantizer: Q4Quantizer = 'max'): Uint8Array {
  const { config, weights } = neoForm(model, modelWeights);
  const h = crdpHeaderFor(config, weights, version);
  const { sections, end } = crdpLayout(h);
  const out = new ByteWriter(end);
  for (const c of CRDP_MAGIC) out.u8(c.charCodeAt(0));
  for (const [, key, at, type] of HEADER_FIELDS) {
    out.padTo(at);
    if (type === 'u8') out.u8(h[key]);
    else out.i32(h[key]);
  }
  SECTIONS.forEach((field, i) => {
    const s = sections[i]!;
    out.padTo(s.offset);
    for (let l = 0; l < (isLayerField(field) ? h.nLayers : 1); l++) {
      const values = getParameter(weights, { field, layer: isLayerField(field) ? l : undefined });
      if (s.type === 'F32') out.bytes(values as Float32Array);
      else writeQ4(out, quantizeMatrix(values as Matrix, 'q4_0', 'bf16', s.name, quantizer) as Q4Matrix, version);
    }
  });
  out.padTo(end);
  return out.result();
}

/** Q4 rows in the blob's layout. */
function writeQ4(out: ByteWriter, q: Q4Matrix, version: CrdpVersion): void {
  if (version === 2) {
    writeBlocks(out, q.scales, q.nibbles, 'q4_0');
    return;
  }
  const nb = q.cols / QBLOCK;
  for (let r = 0; r < q.rows; r++) {
    const rowStart = out.length;
    out.bytes(q.scales.subarray(r * nb, (r + 1) * nb));
    out.padTo(rowStart + alignUp(2 * nb, 16));
    out.bytes(q.nibbles.subarray(r * nb * 16, (r + 1) * nb * 16));
  }
}

/** Size of the blob writeCrdp would produce, without quantizing (for flash budgets). */
export function crdpSize(config: NeoConfig, vocab: number, positions: number, version: CrdpVersion): number {
  return crdpLayout(crdpHeaderOf(config, vocab, positions, version)).end;
}
