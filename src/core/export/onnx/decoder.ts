// GPT-Neo as one ONNX decoder graph with a key/value cache, in the layout transformers.js and
// Optimum use for `gpt_neo`:
//   inputs   input_ids (B,S) int64, attention_mask (B,P+S) int64, position_ids (B,S) int64,
//            past_key_values.<l>.key / .value (B,H,P,head) float32 (P = 0 for a prompt),
//            num_logits_to_keep () int64 (0: logits for every position; k: for the last k)
//   outputs  logits (B,k or S,V) float32, present.<l>.key / .value (B,H,P+S,head) float32
// The arithmetic is transformer.ts's, in float32: learned positions, pre-LayerNorm blocks, scores
// q·k × attentionScale (1 for GPT-Neo: no 1/sqrt(head)), causal softmax (local layers: only keys
// less than windowSize positions back), gelu_new, final LayerNorm, classifier = the token
// embeddings (stored once). Masked scores become float32's lowest value, as in Hugging Face.
import { UsageError } from '../../errors.js';
import type { NeoConfig } from '../../neo/config.js';
import type { LayerNormWeights, NeoLayerWeights, NeoWeights } from '../../neo/weights.js';
import type { Matrix } from '../../neo/tensor.js';
import { GraphBuilder } from './graph.js';
import { DataType } from './proto.js';
import { WeightStore, type OnnxWeights } from './weights.js';

export interface OnnxExportable {
  config: NeoConfig;
  weights: NeoWeights;
}

const FLOAT32_LOWEST = -3.4028234663852886e38;
const GELU_C = Math.sqrt(2 / Math.PI);

/** The .onnx file of the model, its weights stored as `weights` (see weights.ts). */
export function neoOnnxModel(model: OnnxExportable, weights: OnnxWeights = 'fp32'): Uint8Array {
  const { config: c, weights: w } = model;
  if (c.numLayers < 1 || w.layers.length !== c.numLayers) throw new UsageError(`the model needs at least one layer and one set of weights per layer`);
  if (c.hiddenSize % c.numHeads !== 0) throw new UsageError(`hidden size ${c.hiddenSize} is not a multiple of the ${c.numHeads} heads`);
  const g = new GraphBuilder();
  const store = new WeightStore(g, weights);
  const D = c.hiddenSize;
  const H = c.numHeads;
  const head = D / H;
  const V = w.wte.rows;
  const P = w.wpe.length / D;

  const ids = g.input('input_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const mask = g.input('attention_mask', DataType.INT64, ['batch_size', 'total_sequence_length']);
  const positions = g.input('position_ids', DataType.INT64, ['batch_size', 'sequence_length']);
  const past = c.attentionLayers.map((_, l) =>
    (['key', 'value'] as const).map((kv) => g.input(`past_key_values.${l}.${kv}`, DataType.FLOAT, ['batch_size', H, 'past_sequence_length', head])),
  );
  const keep = g.input('num_logits_to_keep', DataType.INT64, []);

  // embeddings: (B,S,D)
  const wte = store.table('transformer.wte.weight', w.wte); // (V,D)
  const wpe = store.vector('transformer.wpe.weight', w.wpe, [P, D]);
  let x = g.op('Add', [g.op('Gather', [wte, ids]), g.op('Gather', [wpe, positions])]);

  const masks = attentionMasks(g, c, ids, mask, past[0]![0]!);
  for (let l = 0; l < c.numLayers; l++) {
    const lw = w.layers[l]!;
    const pre = `transformer.h.${l}`;
    const allowed = masks[c.attentionLayers[l]!]!;
    const a = attention(g, store, c, lw, `${pre}.attn.attention`, layerNorm(g, store, x, lw.ln1, `${pre}.ln_1`, c), past[l]!, l, allowed);
    x = g.op('Add', [x, a]);
    const m = mlp(g, store, lw, `${pre}.mlp`, layerNorm(g, store, x, lw.ln2, `${pre}.ln_2`, c));
    x = g.op('Add', [x, m]);
  }
  const xf = layerNorm(g, store, x, w.lnF, 'transformer.ln_f', c);
  classifier(g, lastPositions(g, xf, ids, keep), wte, D, V);

  g.output('logits', DataType.FLOAT, ['batch_size', 'logits_length', V]);
  for (let l = 0; l < c.numLayers; l++) {
    for (const kv of ['key', 'value']) g.output(`present.${l}.${kv}`, DataType.FLOAT, ['batch_size', H, 'total_sequence_length', head]);
  }
  return g.encode('tinytalk_gpt_neo', 'GPT-Neo decoder with key/value cache, exported by tinytalk', {
    'tinytalk.weights': weights,
  });
}

/**
 * Which keys each query may see, (B,1,S,P+S) bool, per attention kind: causal (key ≤ query, by
 * place in the sequence), local layers also key > query − windowSize, and never a key whose
 * attention_mask is 0.
 */
function attentionMasks(g: GraphBuilder, c: NeoConfig, ids: string, mask: string, pastKey: string): Record<string, string> {
  const S = g.op('Shape', [ids], { start: { int: 1 }, end: { int: 2 } }); // (1)
  const Pst = g.op('Shape', [pastKey], { start: { int: 2 }, end: { int: 3 } }); // (1)
  const scalar = (v: string): string => g.op('Squeeze', [v, g.int64([0])]);
  const past = scalar(Pst);
  const total = scalar(g.op('Add', [Pst, S]));
  const one = g.int64([1], []);
  const query = g.op('Unsqueeze', [g.op('Range', [past, total, one]), g.int64([1])]); // (S,1)
  const key = g.op('Unsqueeze', [g.op('Range', [g.int64([0], []), total, one]), g.int64([0])]); // (1,P+S)
  const back = g.op('Sub', [query, key]); // (S,P+S) how far back each key is
  const padding = g.op('Unsqueeze', [g.op('Cast', [mask], { to: { int: DataType.BOOL } }), g.int64([1, 2])]); // (B,1,1,P+S)
  const causal = g.op('GreaterOrEqual', [back, g.int64([0], [])]);
  const out: Record<string, string> = {};
  for (const kind of new Set(c.attentionLayers)) {
    const seen = kind === 'local' ? g.op('And', [causal, g.op('Less', [back, g.int64([c.windowSize], [])])]) : causal;
    out[kind] = g.op('And', [seen, padding], {}, `attention_mask_${kind}`);
  }
  return out;
}

function layerNorm(g: GraphBuilder, store: WeightStore, x: string, ln: LayerNormWeights, name: string, c: NeoConfig): string {
  const D = c.hiddenSize;
  const weight = store.vector(`${name}.weight`, ln.weight, [D]);
  const bias = store.vector(`${name}.bias`, ln.bias, [D]);
  return g.op('LayerNormalization', [x, weight, bias], { axis: { int: -1 }, epsilon: { float: c.layerNormEpsilon } });
}

/** x·Wᵀ (+ bias): W is tinytalk's (out, in) matrix. */
function linear(g: GraphBuilder, store: WeightStore, x: string, m: Matrix, name: string, bias?: Float32Array): string {
  const y = g.op('MatMul', [x, store.linear(`${name}.weight`, m)]);
  return bias ? g.op('Add', [y, store.vector(`${name}.bias`, bias, [bias.length])]) : y;
}

/** Self-attention of one layer on xn (B,S,D); writes present.<l>.key/value; returns out_proj's output (B,S,D). */
function attention(
  g: GraphBuilder,
  store: WeightStore,
  c: NeoConfig,
  lw: NeoLayerWeights,
  name: string,
  xn: string,
  past: string[],
  l: number,
  allowed: string,
): string {
  const D = c.hiddenSize;
  const heads = g.int64([0, 0, c.numHeads, D / c.numHeads]);
  // (B,S,D) → (B,H,S,head)
  const split = (v: string): string => g.op('Transpose', [g.op('Reshape', [v, heads])], { perm: { ints: [0, 2, 1, 3] } });
  // GPT-Neo has no q/k/v biases; models re-expressed from GPT-2 may (all-zero ones are left out)
  const bias = (b: Float32Array | undefined): Float32Array | undefined => (b?.some((v) => v !== 0) ? b : undefined);
  const q = split(linear(g, store, xn, lw.q, `${name}.q_proj`, bias(lw.qkvBias?.q)));
  const k = split(linear(g, store, xn, lw.k, `${name}.k_proj`, bias(lw.qkvBias?.k)));
  const v = split(linear(g, store, xn, lw.v, `${name}.v_proj`, bias(lw.qkvBias?.v)));
  const keys = g.op('Concat', [past[0]!, k], { axis: { int: 2 } }, `present.${l}.key`); // (B,H,P+S,head)
  const values = g.op('Concat', [past[1]!, v], { axis: { int: 2 } }, `present.${l}.value`);
  let scores = g.op('MatMul', [q, g.op('Transpose', [keys], { perm: { ints: [0, 1, 3, 2] } })]); // (B,H,S,P+S)
  if (c.attentionScale !== 1) scores = g.op('Mul', [scores, g.float([c.attentionScale])]);
  const probs = g.op('Softmax', [g.op('Where', [allowed, scores, g.float([FLOAT32_LOWEST])])], { axis: { int: -1 } });
  const merged = g.op('Reshape', [
    g.op('Transpose', [g.op('MatMul', [probs, values])], { perm: { ints: [0, 2, 1, 3] } }), // (B,S,H,head)
    g.int64([0, 0, D]),
  ]);
  return linear(g, store, merged, lw.out, `${name}.out_proj`, lw.outBias);
}

/** gelu_new(x·fcᵀ + b)·projᵀ + b on xn (B,S,D). */
function mlp(g: GraphBuilder, store: WeightStore, lw: NeoLayerWeights, name: string, xn: string): string {
  const h = linear(g, store, xn, lw.fc, `${name}.c_fc`, lw.fcBias);
  // gelu_new: 0.5·h·(1 + tanh(sqrt(2/π)·(h + 0.044715·h³)))
  const cube = g.op('Mul', [g.op('Mul', [h, h]), h]);
  const inner = g.op('Mul', [g.op('Add', [h, g.op('Mul', [cube, g.float([0.044715])])]), g.float([GELU_C])]);
  const gelu = g.op('Mul', [g.op('Mul', [h, g.float([0.5])]), g.op('Add', [g.op('Tanh', [inner]), g.float([1])])]);
  return linear(g, store, gelu, lw.proj, `${name}.c_proj`, lw.projBias);
}

/** The last `keep` positions of x (B,S,D), or all of them when keep is 0. */
function lastPositions(g: GraphBuilder, x: string, ids: string, keep: string): string {
  const k = g.op('Unsqueeze', [keep, g.int64([0])]); // (1)
  const S = g.op('Shape', [ids], { start: { int: 1 }, end: { int: 2 } }); // (1)
  const zero = g.int64([0]);
  const from = g.op('Where', [g.op('Equal', [k, zero]), zero, g.op('Max', [g.op('Sub', [S, k]), zero])]);
  return g.op('Slice', [x, from, g.int64([Number.MAX_SAFE_INTEGER]), g.int64([1])]);
}

/** logits (B,K,V) = x (B,K,D) · wteᵀ, the tied classifier, as one Gemm over B·K rows. */
function classifier(g: GraphBuilder, x: string, wte: string, D: number, V: number): void {
  const rows = g.op('Reshape', [x, g.int64([-1, D])]); // (B·K,D)
  const logits = g.op('Gemm', [rows, wte], { transB: { int: 1 } }); // (B·K,V)
  const shape = g.op('Concat', [g.op('Shape', [x], { start: { int: 0 }, end: { int: 2 } }), g.int64([V])], { axis: { int: 0 } });
  g.op('Reshape', [logits, shape], {}, 'logits');
}
