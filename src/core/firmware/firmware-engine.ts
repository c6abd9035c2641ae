// The version-2 firmware's forward pass (firmware-format.md 3.2–3.5), reproduced exactly: Q4
// matvecs in the device's order, int8 KV cache with one scale per row, a KV window of `context`
// positions (80 on the device) with the position clamped to its last row, causal attention in
// every layer (the device implements no local window; TinyTalk's 256 ≥ its positions anyway), no
// attention scaling, LayerNorm eps 1e-5. Rows are batched like the reference engine's: a prefill
// gives the same numbers as the device's token-by-token loop, because each row's arithmetic only
// depends on the rows before it.
import { UsageError } from '../errors.js';
import { firmwareAttentionWasm } from '../kernels/firmware-attention.js';
import { activationArray } from '../kernels/matmul.js';
import { neoForm } from '../formats/neo-form.js';
import { dequantizeRow } from '../formats/quant.js';
import type { NeoConfig } from '../neo/config.js';
import { checkDecode, checkRewind, checkToken, type Engine, type PrefillOptions, type Sequence } from '../neo/engine.js';
import type { NeoWeights } from '../neo/weights.js';
import type { Q4Matrix } from '../neo/tensor.js';
import { FIRMWARE_CONTEXT } from './settings.js';
import { firmwareWeights, type FirmwareLayer } from './weights.js';
import { firmwareGelu, firmwareLayerNorm, firmwareMatvec, firmwareSoftmax, quantizeRow } from './numerics.js';

const fr = Math.fround;


export interface FirmwareOptions {
  /** KV window in positions (default 80 as on the device), at most the model's positions. */
  context?: number;
  /** Most sequences in one decode() (default 8). */
  maxBatch?: number;
}

/** A firmware sequence: int8 keys and values (L, context, D) with one scale per (layer, row). */
class Int8Cache implements Sequence {
  length = 0;
  constructor(
    readonly k: Int8Array,
    readonly v: Int8Array,
    readonly kScale: Float32Array, // (L, context)
    readonly vScale: Float32Array, // (L, context)
  ) {}
}


export class FirmwareEngine implements Engine {
  readonly config: NeoConfig;
  readonly context: number;
  readonly maxBatch: number;
  private readonly wte: Q4Matrix;
  private readonly wpe: Float32Array;
  private readonly layers: FirmwareLayer[];
  private readonly lnF: NeoWeights['lnF'];
  private readonly x: Float32Array; // (N, D) residual stream
  private readonly xb: Float32Array; // (N, D)
  private readonly xb2: Float32Array; // (N, D)
  private readonly q: Float32Array; // (N, D)
  private readonly k: Float32Array; // (N, D)
  private readonly v: Float32Array; // (N, D)
  private readonly hb: Float32Array; // (N, F)
  private readonly att: Float32Array; // (context) one head's scores
  private readonly logits: Float32Array; // (maxBatch, V) logits of the rows classified last
  private readonly rowSeq: Int8Cache[]; // (N)
  private readonly rowPos: Int32Array; // (N)
  private readonly rowTok: Int32Array; // (N)

  constructor(model: { config: NeoConfig; weights: NeoWeights }, options: FirmwareOptions = {}) {
    const { config: c, weights: w } = neoForm(model.config, model.weights); // a GGUF's GPT-2 form as the device holds it
    this.config = c;
    const ctx = options.context ?? Math.min(FIRMWARE_CONTEXT, c.maxPositions);
    if (!Number.isInteger(ctx) || ctx < 2 || ctx > c.maxPositions) {
      throw new UsageError(`the firmware context must be an integer from 2 to ${c.maxPositions} (the model's positions), got ${ctx}`);
    }
    this.context = ctx;
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
    ({ wte: this.wte, wpe: this.wpe, lnF: this.lnF, layers: this.layers } = firmwareWeights(w));
    const n = Math.max(this.maxBatch, this.context);
    const D = c.hiddenSize;
    // in the kernel memory where there is one (like the caches): the kernels read and write them in place
    this.x = activationArray(n * D);
    this.q = activationArray(n * D);
    this.xb = activationArray(n * D);
    this.xb2 = activationArray(n * D);
    this.k = activationArray(n * D);
    this.v = activationArray(n * D);
    this.hb = activationArray(n * c.intermediateSize);
    this.att = new Float32Array(this.context); // the scalar attention's scores
    this.logits = activationArray(this.maxBatch * c.vocabSize);
    this.rowSeq = new Array<Int8Cache>(n);
    this.rowPos = new Int32Array(n);
    this.rowTok = new Int32Array(n);
  }

  newSequence(): Sequence {
    const { numLayers: L, hiddenSize: D } = this.config;
    const rows = L * this.context;
    // in the kernel memory where there is one: the attention kernels read the caches in place
    return new Int8Cache(activationArray(rows * D, Int8Array), activationArray(rows * D, Int8Array), activationArray(rows), activationArray(rows));
  }

  rewind(seq: Sequence, length: number): void {
    const s = this.own(seq);
    checkRewind(s.length, length);
    s.length = length;
  }

  /**
   * Feeds ids at the next positions. Past the window the position stays at its last row (3.2
   * step 0), so those rows run one at a time, as the device would.
   */
  prefill(seq: Sequence, ids: readonly number[], options: PrefillOptions = {}): Float32Array {
    const s = this.own(seq);
    const n = ids.length;
    if (n === 0) throw new UsageError('prefill needs at least one token');
    const V = this.config.vocabSize;
    const all = options.allLogits ? new Float32Array(n * V) : undefined;
    let done = 0;
    while (done < n) {
      // rows up to and including the window's last row can share a pass; clamped ones cannot
      const rows = Math.max(1, Math.min(n - done, this.context - s.length));
      for (let i = 0; i < rows; i++) {
        this.rowSeq[i] = s;
        this.rowPos[i] = Math.min(s.length + i, this.context - 1);
        this.rowTok[i] = this.token(ids[done + i]!);
      }
      this.run(rows);
      s.length = Math.min(s.length + rows, this.context);
      // every row's logits, maxBatch rows at a time through the logits buffer
      for (let r = 0; all && r < rows; r += this.maxBatch) {
        const m = Math.min(this.maxBatch, rows - r);
        this.classify(r, m);
        all.set(this.logits.subarray(0, m * V), (done + r) * V);
      }
      done += rows;
      if (!all && done === n) this.classify(rows - 1, 1);
    }
    return all ?? this.logits.subarray(0, V);
  }

  decode(seqs: readonly Sequence[], tokens: readonly number[]): Float32Array {
    checkDecode(seqs, tokens, this.maxBatch);
    const B = seqs.length;
    for (let i = 0; i < B; i++) {
      const s = this.own(seqs[i]!);
      this.rowSeq[i] = s;
      this.rowPos[i] = Math.min(s.length, this.context - 1);
      this.rowTok[i] = this.token(tokens[i]!);
    }
    this.run(B);
    for (let i = 0; i < B; i++) {
      const s = this.rowSeq[i]!;
      s.length = Math.min(s.length + 1, this.context);
    }
    this.classify(0, B);
    return this.logits.subarray(0, B * this.config.vocabSize);
  }

  private own(seq: Sequence): Int8Cache {
    if (!(seq instanceof Int8Cache) || seq.kScale.length !== this.config.numLayers * this.context) {
      throw new UsageError('this sequence was not made by this engine');
    }
    return seq;
  }

  private token(id: number): number {
    return checkToken(id, this.config.vocabSize);
  }

  /** 3.2 steps 1–2 for rows 0..n of the row tables; leaves the residual stream in x. */
  private run(n: number): void {
    const { hiddenSize: D, intermediateSize: F } = this.config;
    const { x, xb, xb2, q, k, v, hb } = this;
    for (let i = 0; i < n; i++) {
      const xi = x.subarray(i * D, (i + 1) * D);
      dequantizeRow(this.wte, this.rowTok[i]!, xi);
      const po = this.rowPos[i]! * D;
      for (let d = 0; d < D; d++) xi[d] = fr(xi[d]! + this.wpe[po + d]!);
    }
    for (let l = 0; l < this.layers.length; l++) {
      const lw = this.layers[l]!;
      for (let i = 0; i < n; i++) firmwareLayerNorm(xb, x, i * D, lw.ln1);
      firmwareMatvec(q, xb, lw.q, n);
      firmwareMatvec(k, xb, lw.k, n);
      firmwareMatvec(v, xb, lw.v, n);
      for (let i = 0; i < n; i++) {
        const s = this.rowSeq[i]!;
        const row = l * this.context + this.rowPos[i]!;
        s.kScale[row] = quantizeRow(s.k, row * D, k, i * D, D);
        s.vScale[row] = quantizeRow(s.v, row * D, v, i * D, D);
      }
      this.attention(l, n);
      firmwareMatvec(xb2, xb, lw.out, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.outBias[j % D]!));
      for (let i = 0; i < n; i++) firmwareLayerNorm(xb, x, i * D, lw.ln2);
      firmwareMatvec(hb, xb, lw.fc, n);
      for (let j = 0; j < n * F; j++) hb[j] = firmwareGelu(fr(hb[j]! + lw.fcBias[j % F]!));
      firmwareMatvec(xb2, hb, lw.proj, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.projBias[j % D]!));
    }
  }

  /** 3.5: per head, scores over the int8 keys 0..pos, softmax, weighted int8 values → xb. */
  private attention(l: number, n: number): void {
    const { hiddenSize: D, numHeads: H } = this.config;
    const hs = D / H;
    const { q, xb, att } = this;
    for (let i = 0; i < n; i++) {
      const pos = this.rowPos[i]!;
      const seq = this.rowSeq[i]!;
      const base = l * this.context;
      if (firmwareAttentionWasm(xb, q, i * D, seq, base, pos + 1, D, hs, firmwareSoftmax)) continue; // the same sums on SIMD
      const { k: Kc, v: Vc, kScale, vScale } = seq;
      for (let h = 0; h < H; h++) {
        const qo = i * D + h * hs;
        for (let t = 0; t <= pos; t++) {
          const ko = (base + t) * D + h * hs;
          let s = 0;
          for (let d = 0; d < hs; d++) s = fr(s + fr(q[qo + d]! * Kc[ko + d]!));
          att[t] = fr(s * kScale[base + t]!);
        }
        firmwareSoftmax(att, 0, pos + 1);
        for (let d = 0; d < hs; d++) xb[qo + d] = 0;
        for (let t = 0; t <= pos; t++) {
          const a = fr(att[t]! * vScale[base + t]!);
          const vo = (base + t) * D + h * hs;
          for (let d = 0; d < hs; d++) xb[qo + d] = fr(xb[qo + d]! + fr(a * Vc[vo + d]!));
        }
      }
    }
  }

  /** 3.2 steps 3–4 for residual rows first..first+rows (at most maxBatch) → logits (rows, V). */
  private classify(first: number, rows: number): void {
    const D = this.config.hiddenSize;
    for (let i = 0; i < rows; i++) firmwareLayerNorm(this.xb, this.x, (first + i) * D, this.lnF);
    // firmwareLayerNorm wrote row first+i of xb; gather them at the front for one matvec pass
    if (first !== 0) this.xb.copyWithin(0, first * D, (first + rows) * D);
    firmwareMatvec(this.logits, this.xb, this.wte, rows);
  }
}
