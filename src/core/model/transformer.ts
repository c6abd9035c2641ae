// The float32 reference GPT-Neo, as Hugging Face's modeling_gpt_neo.py defines it: learned
// positions, pre-LayerNorm blocks, q/k/v without bias, scores × config.attentionScale (1 for
// GPT-Neo), causal softmax (local layers: only the last windowSize keys), gelu_new MLP, final
// LayerNorm, classifier tied to wte. Weights stay in their stored type (kernels/matmul.ts).
//
// Rows are the unit of work: a prefill is n rows of one sequence, a decode is one row per
// sequence; either way each matmul runs once over all rows. Scratch for the largest pass is
// allocated when the Transformer is made; nothing is allocated per token.
import { UsageError } from '../errors.js';
import { gelu } from '../kernels/activation.js';
import { attendRows } from '../kernels/attention.js';
import { activationArray, matmul } from '../kernels/matmul.js';
import { dequantizeRow } from '../formats/quant.js';
import { placeWeights } from '../kernels/place.js';
import type { NeoConfig } from '../neo/config.js';
import { checkDecode, checkRewind, checkToken, type Engine, type PrefillOptions, type Sequence } from '../neo/engine.js';
import { layerNorm } from '../kernels/elementwise.js';
import type { NeoWeights } from '../neo/weights.js';

export interface TransformerOptions {
  /** Positions per sequence (default and maximum: config.maxPositions). */
  context?: number;
  /** Most sequences in one decode() (default 8). */
  maxBatch?: number;
  /** Prompt tokens per batched pass; longer prompts run in several (default min(context, 256)). */
  chunk?: number;
}

/** A sequence of the float32 engine: its keys and values, (L, context, D) each. */
class KVCache implements Sequence {
  length = 0;
  constructor(
    readonly k: Float32Array,
    readonly v: Float32Array,
  ) {}
}

export class Transformer implements Engine {
  readonly config: NeoConfig;
  readonly context: number;
  readonly maxBatch: number;
  private readonly weights: NeoWeights;
  private readonly chunk: number;
  // scratch, N = max(maxBatch, chunk) rows
  private readonly x: Float32Array; // (N, D) residual stream
  private readonly xn: Float32Array; // (N, D) normalized
  private readonly q: Float32Array; // (N, D)
  private readonly k: Float32Array; // (N, D)
  private readonly v: Float32Array; // (N, D)
  private readonly att: Float32Array; // (N, D) attention output
  private readonly proj: Float32Array; // (N, D) out_proj / c_proj output
  private readonly h: Float32Array; // (N, F) MLP hidden
  private readonly scores: Float32Array; // (context) one head's attention weights
  private readonly logits: Float32Array; // (maxBatch, V)
  private readonly rowSeq: KVCache[]; // (N) sequence of each row
  private readonly rowPos: Int32Array; // (N) position of each row
  private readonly rowTok: Int32Array; // (N) token of each row
  private readonly rowFirst: Int32Array; // (N) offset of each row's first attended key in its cache
  private readonly rowSpan: Int32Array; // (N) keys each row attends to

  constructor(model: { config: NeoConfig; weights: NeoWeights }, options: TransformerOptions = {}) {
    const c = model.config;
    this.config = c;
    // in the kernel memory, so no product copies its matrix (weights placed already stay as they are)
    this.weights = placeWeights(model.weights);
    this.context = options.context ?? c.maxPositions;
    if (!Number.isInteger(this.context) || this.context < 1 || this.context > c.maxPositions) {
      throw new UsageError(`context must be an integer from 1 to ${c.maxPositions} (the model's positions), got ${this.context}`);
    }
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
    this.chunk = Math.max(1, Math.min(options.chunk ?? 256, this.context));
    const n = Math.max(this.maxBatch, this.chunk);
    const D = c.hiddenSize;
    // in the kernel memory where possible, so the WASM kernels read and write them in place
    this.x = activationArray(n * D);
    this.xn = activationArray(n * D);
    this.q = activationArray(n * D);
    this.k = activationArray(n * D);
    this.v = activationArray(n * D);
    this.att = activationArray(n * D);
    this.proj = activationArray(n * D);
    this.h = activationArray(n * c.intermediateSize);
    this.scores = activationArray(this.context);
    this.logits = activationArray(this.maxBatch * c.vocabSize);
    this.rowSeq = new Array<KVCache>(n);
    this.rowPos = new Int32Array(n);
    this.rowTok = new Int32Array(n);
    this.rowFirst = new Int32Array(n);
    this.rowSpan = new Int32Array(n);
  }

  newSequence(): Sequence {
    const size = this.config.numLayers * this.context * this.config.hiddenSize;
    return new KVCache(activationArray(size), activationArray(size));
  }

  rewind(seq: Sequence, length: number): void {
    const s = this.own(seq);
    checkRewind(s.length, length);
    s.length = length;
  }

  /** All positions' logits (n, V) of ids in a fresh sequence: what evaluation and tests need. */
  forward(ids: readonly number[], options: PrefillOptions = { allLogits: true }): Float32Array {
    return this.prefill(this.newSequence(), ids, options).slice();
  }

  prefill(seq: Sequence, ids: readonly number[], options: PrefillOptions = {}): Float32Array {
    const s = this.own(seq);
    const n = ids.length;
    if (n === 0) throw new UsageError('prefill needs at least one token');
    if (s.length + n > this.context) {
      throw new UsageError(`${n} tokens after ${s.length} do not fit the context of ${this.context} positions`);
    }
    const V = this.config.vocabSize;
    const all = options.allLogits ? new Float32Array(n * V) : undefined;
    for (let start = 0; start < n; start += this.chunk) {
      const rows = Math.min(this.chunk, n - start);
      for (let i = 0; i < rows; i++) {
        this.rowSeq[i] = s;
        this.rowPos[i] = s.length + i;
        this.rowTok[i] = this.token(ids[start + i]!);
      }
      this.run(rows);
      s.length += rows;
      if (all) this.classify(all.subarray(start * V), 0, rows);
    }
    if (all) return all;
    this.classify(this.logits, (n - 1) % this.chunk, 1);
    return this.logits.subarray(0, V);
  }

  decode(seqs: readonly Sequence[], tokens: readonly number[]): Float32Array {
    checkDecode(seqs, tokens, this.maxBatch);
    const B = seqs.length;
    for (let i = 0; i < B; i++) {
      const s = this.own(seqs[i]!);
      if (s.length >= this.context) throw new UsageError(`the sequence is full: the context holds ${this.context} positions`);
      this.rowSeq[i] = s;
      this.rowPos[i] = s.length;
      this.rowTok[i] = this.token(tokens[i]!);
    }
    this.run(B);
    for (let i = 0; i < B; i++) this.rowSeq[i]!.length++;
    this.classify(this.logits, 0, B);
    return this.logits.subarray(0, B * this.config.vocabSize);
  }

  private own(seq: Sequence): KVCache {
    if (!(seq instanceof KVCache) || seq.k.length !== this.config.numLayers * this.context * this.config.hiddenSize) {
      throw new UsageError('this sequence was not made by this engine');
    }
    return seq;
  }

  private token(id: number): number {
    return checkToken(id, this.config.vocabSize);
  }

  /** The transformer body for rows 0..n of the row tables; leaves the residual stream in x. */
  private run(n: number): void {
    const { hiddenSize: D, intermediateSize: F, layerNormEpsilon: eps } = this.config;
    const w = this.weights;
    const { x, xn, q, k, v, att, proj, h } = this;
    // token + position embeddings
    for (let i = 0; i < n; i++) {
      const xi = x.subarray(i * D, (i + 1) * D);
      dequantizeRow(w.wte, this.rowTok[i]!, xi);
      const po = this.rowPos[i]! * D;
      for (let d = 0; d < D; d++) xi[d] = xi[d]! + w.wpe[po + d]!;
    }
    for (let l = 0; l < this.config.numLayers; l++) {
      const lw = w.layers[l]!;
      layerNorm(xn, x, lw.ln1.weight, lw.ln1.bias, n, eps);
      matmul(q, xn, lw.q, n, lw.qkvBias?.q);
      matmul(k, xn, lw.k, n, lw.qkvBias?.k);
      matmul(v, xn, lw.v, n, lw.qkvBias?.v);
      // every row's key and value go into its cache before any row attends (prefill rows see each other)
      // (a plain loop: no subarray objects per row and token)
      for (let i = 0; i < n; i++) {
        const o = (l * this.context + this.rowPos[i]!) * D;
        const { k: K, v: V } = this.rowSeq[i]!;
        for (let d = 0; d < D; d++) K[o + d] = k[i * D + d]!, V[o + d] = v[i * D + d]!;
      }
      this.attention(l, n);
      matmul(proj, att, lw.out, n, lw.outBias);
      for (let j = 0; j < n * D; j++) x[j] = x[j]! + proj[j]!;
      layerNorm(xn, x, lw.ln2.weight, lw.ln2.bias, n, eps);
      matmul(h, xn, lw.fc, n, lw.fcBias);
      gelu(h, n * F);
      matmul(proj, h, lw.proj, n, lw.projBias);
      for (let j = 0; j < n * D; j++) x[j] = x[j]! + proj[j]!;
    }
  }

  /** att = softmax(scale · q·Kᵀ) · V per head, keys j ≤ pos (local layers: pos − window < j). */
  private attention(l: number, n: number): void {
    const { hiddenSize: D, numHeads: H, windowSize, attentionScale } = this.config;
    const local = this.config.attentionLayers[l] === 'local';
    const { q, att, scores, rowFirst, rowSpan } = this;
    for (let i = 0; i < n; i++) {
      const pos = this.rowPos[i]!;
      const lo = local ? Math.max(0, pos - windowSize + 1) : 0;
      rowSpan[i] = pos - lo + 1;
      rowFirst[i] = (l * this.context + lo) * D;
    }
    // one call for all rows: the kernels split many rows (a prompt) over their threads
    attendRows(att, q, this.rowSeq, rowFirst, rowSpan, n, D, H, attentionScale, scores);
  }

  /** out[0..rows) = final LayerNorm of residual rows first..first+rows, times wteᵀ: (rows, V). */
  private classify(out: Float32Array, first: number, rows: number): void {
    const D = this.config.hiddenSize;
    const { lnF, wte } = this.weights;
    const xs = this.x.subarray(first * D, (first + rows) * D);
    const xn = this.xn.subarray(0, rows * D);
    layerNorm(xn, xs, lnF.weight, lnF.bias, rows, this.config.layerNormEpsilon);
    matmul(out, xn, wte, rows);
  }
}
