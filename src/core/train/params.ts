// Every trainable GPT-Neo tensor in one flat float32 buffer (llm.c's ParameterTensors), named as
// in Hugging Face checkpoints, plus the conversions to and from the engine's NeoWeights.
import { FormatError, UsageError } from '../errors.js';
import { tensorFloat32, type Safetensors, type TensorToWrite } from '../formats/safetensors.js';
import { dequantize } from '../formats/quant.js';
import type { NeoConfig } from '../neo/config.js';
import type { NeoLayerWeights, NeoWeights } from '../neo/weights.js';

export interface ParamTensor {
  name: string; // Hugging Face name, e.g. transformer.h.0.mlp.c_fc.weight
  shape: number[];
  offset: number; // first element in the flat buffer
  size: number;
}

/** Offsets of one layer's tensors in the flat buffer. */
export interface LayerOffsets {
  ln1w: number; ln1b: number; // (D)
  qw: number; kw: number; vw: number; // (D, D)
  ow: number; ob: number; // (D, D), (D)
  ln2w: number; ln2b: number; // (D)
  fcw: number; fcb: number; // (F, D), (F)
  projw: number; projb: number; // (D, F), (D)
}

export interface ParamLayout {
  config: NeoConfig;
  tensors: ParamTensor[];
  total: number;
  wte: number; // (V, D) also the tied classifier
  wpe: number; // (P, D)
  layers: LayerOffsets[];
  lnfw: number; lnfb: number; // (D)
}

/** Where each tensor lives in the flat buffer, in checkpoint order. */
export function paramLayout(config: NeoConfig): ParamLayout {
  if (!config.tieWordEmbeddings) throw new UsageError('training needs tied word embeddings (classifier = wte), as GPT-Neo/TinyTalk has');
  const { vocabSize: V, hiddenSize: D, intermediateSize: F, maxPositions: P } = config;
  const tensors: ParamTensor[] = [];
  let total = 0;
  const add = (name: string, shape: number[]): number => {
    const size = shape.reduce((a, b) => a * b, 1);
    tensors.push({ name, shape, offset: total, size });
    total += size;
    return total - size;
  };
  const wte = add('transformer.wte.weight', [V, D]);
  const wpe = add('transformer.wpe.weight', [P, D]);
  const layers: LayerOffsets[] = [];
  for (let l = 0; l < config.numLayers; l++) {
    const h = `transformer.h.${l}.`;
    const a = `${h}attn.attention.`;
    layers.push({
      ln1w: add(`${h}ln_1.weight`, [D]),
      ln1b: add(`${h}ln_1.bias`, [D]),
      qw: add(`${a}q_proj.weight`, [D, D]),
      kw: add(`${a}k_proj.weight`, [D, D]),
      vw: add(`${a}v_proj.weight`, [D, D]),
      ow: add(`${a}out_proj.weight`, [D, D]),
      ob: add(`${a}out_proj.bias`, [D]),
      ln2w: add(`${h}ln_2.weight`, [D]),
      ln2b: add(`${h}ln_2.bias`, [D]),
      fcw: add(`${h}mlp.c_fc.weight`, [F, D]),
      fcb: add(`${h}mlp.c_fc.bias`, [F]),
      projw: add(`${h}mlp.c_proj.weight`, [D, F]),
      projb: add(`${h}mlp.c_proj.bias`, [D]),
    });
  }
  const lnfw = add('transformer.ln_f.weight', [D]);
  const lnfb = add('transformer.ln_f.bias', [D]);
  return { config, tensors, total, wte, wpe, layers, lnfw, lnfb };
}

/** The model's weights as float32 in the flat layout (quantized matrices are dequantized). */
export function paramsFromWeights(layout: ParamLayout, w: NeoWeights, buffer?: Float32Array): Float32Array {
  const p = buffer ?? new Float32Array(layout.total);
  p.set(dequantize(w.wte), layout.wte);
  p.set(w.wpe, layout.wpe);
  w.layers.forEach((lw, l) => {
    if (lw.qkvBias) throw new UsageError('training supports GPT-Neo weights without q/k/v biases (this model has them)');
    const o = layout.layers[l]!;
    p.set(lw.ln1.weight, o.ln1w);
    p.set(lw.ln1.bias, o.ln1b);
    p.set(dequantize(lw.q), o.qw);
    p.set(dequantize(lw.k), o.kw);
    p.set(dequantize(lw.v), o.vw);
    p.set(dequantize(lw.out), o.ow);
    p.set(lw.outBias, o.ob);
    p.set(lw.ln2.weight, o.ln2w);
    p.set(lw.ln2.bias, o.ln2b);
    p.set(dequantize(lw.fc), o.fcw);
    p.set(lw.fcBias, o.fcb);
    p.set(dequantize(lw.proj), o.projw);
    p.set(lw.projBias, o.projb);
  });
  p.set(w.lnF.weight, layout.lnfw);
  p.set(w.lnF.bias, layout.lnfb);
  return p;
}

/** NeoWeights viewing the flat buffer (f32 matrices, no copies): for generation and export. */
export function weightsFromParams(layout: ParamLayout, p: Float32Array): NeoWeights {
  const { vocabSize: V, hiddenSize: D, intermediateSize: F, maxPositions: P } = layout.config;
  const vec = (o: number, n: number) => p.subarray(o, o + n);
  const mat = (o: number, rows: number, cols: number) => ({ type: 'f32' as const, rows, cols, data: vec(o, rows * cols) });
  const layers = layout.layers.map((o): NeoLayerWeights => ({
    ln1: { weight: vec(o.ln1w, D), bias: vec(o.ln1b, D) },
    q: mat(o.qw, D, D),
    k: mat(o.kw, D, D),
    v: mat(o.vw, D, D),
    out: mat(o.ow, D, D),
    outBias: vec(o.ob, D),
    ln2: { weight: vec(o.ln2w, D), bias: vec(o.ln2b, D) },
    fc: mat(o.fcw, F, D),
    fcBias: vec(o.fcb, F),
    proj: mat(o.projw, D, F),
    projBias: vec(o.projb, D),
  }));
  return {
    wte: mat(layout.wte, V, D),
    wpe: vec(layout.wpe, P * D),
    layers,
    lnF: { weight: vec(layout.lnfw, D), bias: vec(layout.lnfb, D) },
  };
}

/** Tensor name → view into a flat buffer (parameters, gradients or optimizer moments). */
export function namedViews(layout: ParamLayout, p: Float32Array): Map<string, Float32Array> {
  return new Map(layout.tensors.map((t) => [t.name, p.subarray(t.offset, t.offset + t.size)]));
}

/** Parameters read by name from a safetensors file (a checkpoint of this layout), converted to float32. */
export function paramsFromSafetensors(layout: ParamLayout, st: Safetensors): Float32Array {
  const p = new Float32Array(layout.total);
  for (const t of layout.tensors) {
    const found = st.tensors.get(t.name);
    if (!found) throw new FormatError(st.file, `tensor "${t.name}"`, `present with shape [${t.shape.join(', ')}]`, 'missing');
    if (found.shape.join(',') !== t.shape.join(',')) {
      throw new FormatError(st.file, `tensor "${t.name}" shape`, `[${t.shape.join(', ')}]`, `[${found.shape.join(', ')}]`);
    }
    p.set(tensorFloat32(found), t.offset);
  }
  return p;
}

/** A flat buffer as safetensors tensors (F32, checkpoint order), e.g. for model.safetensors or optimizer moments. */
export function paramsToTensors(layout: ParamLayout, p: Float32Array): TensorToWrite[] {
  return layout.tensors.map((t) => ({ name: t.name, dtype: 'F32' as const, shape: t.shape, data: p.subarray(t.offset, t.offset + t.size) }));
}
