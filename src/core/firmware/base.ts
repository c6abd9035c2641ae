// What the version-2 and version-3 firmware engines share: the weights as the device holds them,
// the row tables of a batched pass (each row a sequence, its cache slot, its position and token),
// the activations, and the layer loop of firmware-format.md 3.2 / 11.1. Rows are batched like the
// reference engine's: a prefill gives the device's token-by-token numbers, because each row's
// arithmetic only depends on the rows before it. A subclass brings its firmware's arithmetic (the
// products, layer norm, gelu), its KV cache and the attention over it.
import { UsageError } from '../errors.js';
import { neoForm } from '../formats/neo-form.js';
import { dequantizeRow } from '../formats/quant.js';
import { activationArray } from '../kernels/matmul.js';
import type { NeoConfig } from '../neo/config.js';
import { checkDecode, checkToken, type Engine, type PrefillOptions, type Sequence } from '../neo/engine.js';
import type { Q4Matrix } from '../neo/tensor.js';
import type { LayerNormWeights, NeoWeights } from '../neo/weights.js';
import { firmwareWeights, type FirmwareLayer } from './weights.js';

const fr = Math.fround;

/** A firmware sequence: its cache, the slots in use and the absolute position of its next token. */
export interface FirmwareSequence extends Sequence {
  length: number;
  abspos: number;
}

export interface FirmwareBaseOptions {
  /** KV window in slots, at most the model's positions (default: the firmware's). */
  context?: number;
  /** Most sequences in one decode() (default 8). */
  maxBatch?: number;
}

export abstract class FirmwareBase<S extends FirmwareSequence> implements Engine {
  readonly config: NeoConfig;
  /** The KV window in slots. */
  readonly context: number;
  readonly maxBatch: number;
  protected readonly wte: Q4Matrix;
  protected readonly layers: FirmwareLayer[];
  private readonly wpe: Float32Array;
  private readonly lnF: NeoWeights['lnF'];
  // activations, in the kernel memory where there is one: the kernels read and write them in place
  protected readonly x: Float32Array; // (N, D) residual stream
  protected readonly xb: Float32Array; // (N, D)
  protected readonly q: Float32Array; // (N, D)
  protected readonly k: Float32Array; // (N, D)
  protected readonly v: Float32Array; // (N, D)
  private readonly xb2: Float32Array; // (N, D)
  private readonly hb: Float32Array; // (N, F)
  private readonly logits: Float32Array; // (maxBatch, V) logits of the rows classified last
  protected readonly att: Float32Array; // (context) one head's scores, for the scalar attention
  protected readonly rowSeq: S[]; // (N)
  protected readonly rowSlot: Int32Array; // (N) cache slot written
  protected readonly rowPos: Int32Array; // (N) position-table row
  private readonly rowTok: Int32Array; // (N)

  protected constructor(model: { config: NeoConfig; weights: NeoWeights }, options: FirmwareBaseOptions, defaultContext: (c: NeoConfig) => number) {
    const { config: c, weights: w } = neoForm(model.config, model.weights); // a GGUF's GPT-2 form as the device holds it
    this.config = c;
    const ctx = options.context ?? defaultContext(c);
    if (!Number.isInteger(ctx) || ctx < 2 || ctx > c.maxPositions) {
      throw new UsageError(`the firmware context must be an integer from 2 to ${c.maxPositions} (the model's positions), got ${ctx}`);
    }
    this.context = ctx;
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
    ({ wte: this.wte, wpe: this.wpe, lnF: this.lnF, layers: this.layers } = firmwareWeights(w));
    const n = Math.max(this.maxBatch, this.context);
    const D = c.hiddenSize;
    this.x = activationArray(n * D);
    this.xb = activationArray(n * D);
    this.xb2 = activationArray(n * D);
    this.q = activationArray(n * D);
    this.k = activationArray(n * D);
    this.v = activationArray(n * D);
    this.hb = activationArray(n * c.intermediateSize);
    this.logits = activationArray(this.maxBatch * c.vocabSize);
    this.att = new Float32Array(this.context);
    this.rowSeq = new Array<S>(n);
    this.rowSlot = new Int32Array(n);
    this.rowPos = new Int32Array(n);
    this.rowTok = new Int32Array(n);
  }

  abstract newSequence(): S;
  abstract rewind(seq: Sequence, length: number): void;
  /** The sequence as this engine's own (a UsageError for another engine's). */
  protected abstract own(seq: Sequence): S;
  /** The position-table row of a token written at `slot` (already clamped) at absolute position `abspos`. */
  protected abstract position(slot: number, abspos: number): number;
  /** y (n, W.rows) = W · x (n, W.cols) in the firmware's arithmetic. */
  protected abstract product(y: Float32Array, x: Float32Array, w: Q4Matrix, n: number): void;
  /** Layer norm of x[o..o+D) into out[o..o+D). */
  protected abstract norm(out: Float32Array, x: Float32Array, o: number, ln: LayerNormWeights): void;
  protected abstract gelu(x: number): number;
  /** Writes row i of this.k and this.v into the cache of row i's sequence at cache row `row` (layer × context + slot). */
  protected abstract store(i: number, row: number): void;
  /** Attention of layer l for rows 0..n: queries in this.q, results in this.xb. */
  protected abstract attention(l: number, n: number): void;

  /**
   * Feeds ids at the next slots. Past the window the slot stays at its last one (and the
   * position where the firmware clamps it), so those rows run one at a time, as on the device.
   */
  prefill(seq: Sequence, ids: readonly number[], options: PrefillOptions = {}): Float32Array {
    const s = this.own(seq);
    const n = ids.length;
    if (n === 0) throw new UsageError('prefill needs at least one token');
    const V = this.config.vocabSize;
    const all = options.allLogits ? new Float32Array(n * V) : undefined;
    let done = 0;
    while (done < n) {
      // rows up to and including the window's last slot can share a pass; clamped ones cannot
      const rows = Math.max(1, Math.min(n - done, this.context - s.length));
      for (let i = 0; i < rows; i++) this.place(i, s, s.length + i, s.abspos + i, ids[done + i]!);
      this.run(rows);
      s.length = Math.min(s.length + rows, this.context);
      s.abspos += rows;
      if (all) this.classify(all.subarray(done * V), 0, rows);
      done += rows;
      if (!all && done === n) this.classify(undefined, rows - 1, 1);
    }
    return all ?? this.logits.subarray(0, V);
  }

  decode(seqs: readonly Sequence[], tokens: readonly number[]): Float32Array {
    checkDecode(seqs, tokens, this.maxBatch);
    const B = seqs.length;
    for (let i = 0; i < B; i++) {
      const s = this.own(seqs[i]!);
      this.place(i, s, s.length, s.abspos, tokens[i]!);
    }
    this.run(B);
    for (let i = 0; i < B; i++) {
      const s = this.rowSeq[i]!;
      s.length = Math.min(s.length + 1, this.context);
      s.abspos++;
    }
    this.classify(undefined, 0, B);
    return this.logits.subarray(0, B * this.config.vocabSize);
  }

  /** Row i of the row tables: a token at a slot and a position, clamped as the device does. */
  private place(i: number, s: S, slot: number, abspos: number, id: number): void {
    this.rowSeq[i] = s;
    this.rowSlot[i] = Math.min(slot, this.context - 1);
    this.rowPos[i] = this.position(this.rowSlot[i]!, abspos);
    this.rowTok[i] = checkToken(id, this.config.vocabSize);
  }

  /** The layers for rows 0..n of the row tables; leaves the residual stream in x. */
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
      for (let i = 0; i < n; i++) this.norm(xb, x, i * D, lw.ln1);
      this.product(q, xb, lw.q, n);
      this.product(k, xb, lw.k, n);
      this.product(v, xb, lw.v, n);
      for (let i = 0; i < n; i++) this.store(i, l * this.context + this.rowSlot[i]!);
      this.attention(l, n);
      this.product(xb2, xb, lw.out, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.outBias[j % D]!));
      for (let i = 0; i < n; i++) this.norm(xb, x, i * D, lw.ln2);
      this.product(hb, xb, lw.fc, n);
      for (let j = 0; j < n * F; j++) hb[j] = this.gelu(fr(hb[j]! + lw.fcBias[j % F]!));
      this.product(xb2, hb, lw.proj, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.projBias[j % D]!));
    }
  }

  /**
   * Final layer norm and the tied classifier for residual rows first..first+rows, maxBatch rows
   * at a time through the logits buffer (in the kernel memory, where the products write in
   * place); copied to out when one is given.
   */
  private classify(out: Float32Array | undefined, first: number, rows: number): void {
    const D = this.config.hiddenSize, V = this.config.vocabSize;
    for (let r = 0; r < rows; r += this.maxBatch) {
      const m = Math.min(this.maxBatch, rows - r);
      const from = first + r;
      for (let i = 0; i < m; i++) this.norm(this.xb, this.x, (from + i) * D, this.lnF);
      // the norm wrote rows from..from+m of xb; gather them at the front for one product
      if (from !== 0) this.xb.copyWithin(0, from * D, (from + m) * D);
      this.product(this.logits, this.xb, this.wte, m);
      out?.set(this.logits.subarray(0, m * V), r * V);
    }
  }
}
