// Every GPT-Neo parameter by its Hugging Face name, in checkpoint order, with its shape and its
// place in NeoWeights: the one table that the checkpoint reader and writer, the firmware blob and
// the trainer's flat parameter buffer all walk.
import type { NeoModel } from './weights.js';

/** Where a parameter sits: a field of each layer ('ln1.weight', 'q', …) or of the whole model. */
export type LayerField = 'ln1.weight' | 'ln1.bias' | 'q' | 'k' | 'v' | 'out' | 'outBias' | 'ln2.weight' | 'ln2.bias' | 'fc' | 'fcBias' | 'proj' | 'projBias';
export type ModelField = 'wte' | 'wpe' | 'lnF.weight' | 'lnF.bias';

/** The sizes shapes are made of: hidden D, MLP F, vocabulary V, positions P. */
export interface NeoSizes {
  D: number;
  F: number;
  V: number;
  P: number;
}

export interface NeoParameter {
  /** The Hugging Face name without `transformer.`, e.g. `h.3.ln_1.weight`. */
  name: string;
  field: LayerField | ModelField;
  /** The layer, for a layer's parameter. */
  layer?: number;
  /** A weight matrix (held in its stored type); otherwise a float32 vector or table. */
  matrix: boolean;
  shape: (s: NeoSizes) => number[];
}

type Entry = [name: string, matrix: boolean, shape: (s: NeoSizes) => number[]];

/** A layer's parameters in checkpoint order, under their names after `h.<layer>.`. */
const LAYER: Record<LayerField, Entry> = {
  'ln1.weight': ['ln_1.weight', false, (s) => [s.D]],
  'ln1.bias': ['ln_1.bias', false, (s) => [s.D]],
  q: ['attn.attention.q_proj.weight', true, (s) => [s.D, s.D]],
  k: ['attn.attention.k_proj.weight', true, (s) => [s.D, s.D]],
  v: ['attn.attention.v_proj.weight', true, (s) => [s.D, s.D]],
  out: ['attn.attention.out_proj.weight', true, (s) => [s.D, s.D]],
  outBias: ['attn.attention.out_proj.bias', false, (s) => [s.D]],
  'ln2.weight': ['ln_2.weight', false, (s) => [s.D]],
  'ln2.bias': ['ln_2.bias', false, (s) => [s.D]],
  fc: ['mlp.c_fc.weight', true, (s) => [s.F, s.D]],
  fcBias: ['mlp.c_fc.bias', false, (s) => [s.F]],
  proj: ['mlp.c_proj.weight', true, (s) => [s.D, s.F]],
  projBias: ['mlp.c_proj.bias', false, (s) => [s.D]],
};

/** The model's own parameters: the embeddings come before the layers in a checkpoint, ln_f after. */
const MODEL: Record<ModelField, Entry> = {
  wte: ['wte.weight', true, (s) => [s.V, s.D]],
  wpe: ['wpe.weight', false, (s) => [s.P, s.D]],
  'lnF.weight': ['ln_f.weight', false, (s) => [s.D]],
  'lnF.bias': ['ln_f.bias', false, (s) => [s.D]],
};

const parameter = (field: LayerField | ModelField, [name, matrix, shape]: Entry, layer?: number): NeoParameter =>
  layer === undefined ? { name, field, matrix, shape } : { name: `h.${layer}.${name}`, field, layer, matrix, shape };

/** Whether a field is one of each layer's. */
export function isLayerField(field: LayerField | ModelField): field is LayerField {
  return Object.hasOwn(LAYER, field);
}

/** The model's parameter of this field, or layer `layer`'s (a template for every layer with 0). */
export function neoParameter(field: LayerField | ModelField, layer = 0): NeoParameter {
  return isLayerField(field) ? parameter(field, LAYER[field], layer) : parameter(field, MODEL[field]);
}

/** Every parameter of an L-layer model in checkpoint order (transformers' state dict; the tied lm_head left out). */
export function neoParameters(numLayers: number): NeoParameter[] {
  const layers = Array.from({ length: numLayers }, (_, l) =>
    Object.entries(LAYER).map(([field, entry]) => parameter(field as LayerField, entry, l)));
  return [
    parameter('wte', MODEL.wte),
    parameter('wpe', MODEL.wpe),
    ...layers.flat(),
    parameter('lnF.weight', MODEL['lnF.weight']),
    parameter('lnF.bias', MODEL['lnF.bias']),
  ];
}

/** The object and key that hold parameter p in w. */
function slot(w: object, p: Pick<NeoParameter, 'field' | 'layer'>): [Record<string, unknown>, string] {
  const owner = (p.layer === undefined ? w : (w as { layers: object[] }).layers[p.layer]) as Record<string, unknown>;
  const [a, b] = p.field.split('.') as [string, string | undefined];
  return b === undefined ? [owner, a] : [(owner[a] ??= {}) as Record<string, unknown>, b];
}

/** The value of parameter p in w. */
export function getParameter<M, V>(w: NeoModel<M, V>, p: Pick<NeoParameter, 'field' | 'layer'>): M | V {
  const [owner, key] = slot(w, p);
  return owner[key] as M | V;
}

/** Builds a model's parameters one by one, in checkpoint order: value(p) gives each. */
export function buildNeoModel<M, V>(numLayers: number, value: (p: NeoParameter) => M | V): NeoModel<M, V> {
  const w = { layers: Array.from({ length: numLayers }, () => ({})) };
  for (const p of neoParameters(numLayers)) {
    const [owner, key] = slot(w, p);
    owner[key] = value(p);
  }
  return w as unknown as NeoModel<M, V>;
}
