// The version-3 firmware's forward pass (firmware-format.md 11.1–11.2), reproduced exactly: every
// Q4 product on int8 activations, keys and values in an int4 cache with bf16 scales, attention
// over the window's slots, positions taken from the sequence's absolute position (a slide moves
// slots, not positions). `fused` follows the ESP32 build's fused multiply-adds instead of the
// host build's separate roundings. Rows are batched like the v2 engine's: a prefill gives the
// device's token-by-token numbers, because each row only depends on the rows before it.
import { UsageError } from '../../errors.js';
import { firmwareV3Attention, type Q8Rows } from '../../kernels/firmware-v3.js';
import { neoForm } from '../../formats/neo-form.js';
import { dequantizeRow } from '../../formats/quant.js';
import { activationArray } from '../../kernels/matmul.js';
import type { NeoConfig } from '../../neo/config.js';
import { checkDecode, checkRewind, checkToken, type Engine, type PrefillOptions, type Sequence } from '../../neo/engine.js';
import type { NeoWeights } from '../../neo/weights.js';
import { QBLOCK, type Q4Matrix } from '../../neo/tensor.js';
import { firmwareSoftmax } from '../numerics.js';
import { Int4Cache } from './cache.js';
import { gelu, layerNorm, madd, q4q8Matvec, quantizeKvRow, quantizeQ8 } from './numerics.js';
import { firmwareV3Window, slideSizes, type Slide } from './window.js';
import { firmwareWeights, type FirmwareLayer } from '../weights.js';

const fr = Math.fround;

export interface FirmwareV3Options {
  /** KV window in slots (default: the firmware's, 80 for dim ≤ 128 or 72), at most the model's positions. */
  context?: number;
  /** Fused multiply-adds, as the ESP32 build computes (default false: the host build). */
  fma?: boolean;
  /** Most sequences in one decode() (default 8). */
  maxBatch?: number;
}


export class FirmwareV3Engine implements Engine {
  readonly config: NeoConfig;
  /** The KV window in slots. */
  readonly context: number;
  readonly maxBatch: number;
  readonly fma: boolean;
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
  private readonly xq: Q8Rows; // (N, F) int8 activations of the product being computed
  private readonly att: Float32Array; // (context) one head's scores
  private readonly logits: Float32Array; // (maxBatch, V)
  private readonly rowSeq: Int4Cache[]; // (N)
  private readonly rowSlot: Int32Array; // (N) write slot
  private readonly rowPos: Int32Array; // (N) position-table row
  private readonly rowTok: Int32Array; // (N)

  constructor(model: { config: NeoConfig; weights: NeoWeights }, options: FirmwareV3Options = {}) {
    const { config: c, weights: w } = neoForm(model.config, model.weights); // a GGUF's GPT-2 form as the device holds it
    this.config = c;
    const hs = c.hiddenSize / c.numHeads;
    if (hs % 2 !== 0) throw new UsageError(`the v3 firmware engine stores two cache elements per byte: the head size must be even, got ${hs}`);
    const ctx = options.context ?? firmwareV3Window(c);
    if (!Number.isInteger(ctx) || ctx < 2 || ctx > c.maxPositions) {
      throw new UsageError(`the firmware context must be an integer from 2 to ${c.maxPositions} (the model's positions), got ${ctx}`);
    }
    this.context = ctx;
    this.fma = options.fma ?? false;
    this.maxBatch = Math.max(1, options.maxBatch ?? 8);
    ({ wte: this.wte, wpe: this.wpe, lnF: this.lnF, layers: this.layers } = firmwareWeights(w));
    const n = Math.max(this.maxBatch, this.context);
    const D = c.hiddenSize, F = c.intermediateSize;
    this.x = new Float32Array(n * D);
    // q and xb (like the caches) in the kernel memory: the attention kernels use them in place
    this.q = activationArray(n * D);
    this.xb = activationArray(n * D);
    this.xb2 = activationArray(n * D);
    this.k = new Float32Array(n * D);
    this.v = new Float32Array(n * D);
    this.hb = activationArray(n * F);
    const widest = n * Math.max(D, F);
    this.xq = { q: activationArray(widest, Int8Array), s: activationArray(widest / QBLOCK), sum: activationArray(widest / QBLOCK) };
    this.att = new Float32Array(this.context);
    this.logits = new Float32Array(this.maxBatch * c.vocabSize);
    this.rowSeq = new Array<Int4Cache>(n);
    this.rowSlot = new Int32Array(n);
    this.rowPos = new Int32Array(n);
    this.rowTok = new Int32Array(n);
  }

  newSequence(): Int4Cache {
    return new Int4Cache(this.config.numLayers, this.context, this.config.hiddenSize);
  }

  /** Back to `length` slots; a sequence whose window has slid can only start over (length 0). */
  rewind(seq: Sequence, length: number): void {
    const s = this.own(seq);
    checkRewind(s.length, length);
    if (s.slid && length !== 0) throw new UsageError(`this sequence's window has slid: it can only be rewound to 0, not ${length}`);
    s.length = s.abspos = length;
  }

  /**
   * Before the next token of a reply, the firmware's checks in its order (11.2): 'context' when
   * the position table is used up (or the window is too small to slide); otherwise, when the
   * write slot is the window's last, slides and returns what it did.
   */
  makeRoom(seq: Sequence, promptTokens: number): Slide | 'context' | undefined {
    const s = this.own(seq);
    if (s.abspos >= this.config.maxPositions - 1) return 'context';
    if (s.length < this.context - 1) return undefined;
    const { keep, evict } = slideSizes(this.context, promptTokens);
    if (evict === 0) return 'context';
    s.slide(keep, evict);
    return { keep, evict, pos: s.length, abspos: s.abspos };
  }

  /**
   * Feeds ids at the next slots. Past the window the slot stays at its last one and the position
   * at the table's last row (the device's forward clamps them), so those rows run one at a time.
   */
  prefill(seq: Sequence, ids: readonly number[], options: PrefillOptions = {}): Float32Array {
    const s = this.own(seq);
    const n = ids.length;
    if (n === 0) throw new UsageError('prefill needs at least one token');
    const V = this.config.vocabSize;
    const all = options.allLogits ? new Float32Array(n * V) : undefined;
    let done = 0;
    while (done < n) {
      const rows = Math.max(1, Math.min(n - done, this.context - s.length));
      for (let i = 0; i < rows; i++) this.place(i, s, s.length + i, s.abspos + i, ids[done + i]!);
      this.run(rows);
      s.length = Math.min(s.length + rows, this.context);
      s.abspos += rows;
      if (all) this.classify(all.subarray(done * V), 0, rows);
      done += rows;
      if (!all && done === n) this.classify(this.logits, rows - 1, 1);
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
    this.classify(this.logits, 0, B);
    return this.logits.subarray(0, B * this.config.vocabSize);
  }

  private own(seq: Sequence): Int4Cache {
    if (!(seq instanceof Int4Cache) || seq.window !== this.context || seq.dim !== this.config.hiddenSize || seq.layers !== this.config.numLayers) {
      throw new UsageError('this sequence was not made by this engine');
    }
    return seq;
  }

  /** Row i of the row tables: the token at a slot and a position, both clamped as the device does. */
  private place(i: number, s: Int4Cache, slot: number, pos: number, id: number): void {
    this.rowSeq[i] = s;
    this.rowSlot[i] = Math.min(slot, this.context - 1);
    this.rowPos[i] = Math.min(pos, this.config.maxPositions - 1);
    this.rowTok[i] = checkToken(id, this.config.vocabSize);
  }

  /** y (n, W.rows) = W · x (n, W.cols) with x quantized to int8 first (11.1). */
  private product(y: Float32Array, x: Float32Array, w: Q4Matrix, n: number): void {
    quantizeQ8(this.xq, x, n, w.cols);
    q4q8Matvec(y, this.xq, w, n, this.fma);
  }

  /** The layers for rows 0..n of the row tables; leaves the residual stream in x. */
  private run(n: number): void {
    const { hiddenSize: D, intermediateSize: F } = this.config;
    const { x, xb, xb2, q, k, v, hb, fma } = this;
    for (let i = 0; i < n; i++) {
      const xi = x.subarray(i * D, (i + 1) * D);
      dequantizeRow(this.wte, this.rowTok[i]!, xi);
      const po = this.rowPos[i]! * D;
      for (let d = 0; d < D; d++) xi[d] = fr(xi[d]! + this.wpe[po + d]!);
    }
    for (let l = 0; l < this.layers.length; l++) {
      const lw = this.layers[l]!;
      for (let i = 0; i < n; i++) layerNorm(xb, x, i * D, lw.ln1, fma);
      // the device quantizes xb for each of the three products; once gives the same codes
      quantizeQ8(this.xq, xb, n, D);
      q4q8Matvec(q, this.xq, lw.q, n, fma);
      q4q8Matvec(k, this.xq, lw.k, n, fma);
      q4q8Matvec(v, this.xq, lw.v, n, fma);
      for (let i = 0; i < n; i++) {
        const s = this.rowSeq[i]!;
        const slot = l * this.context + this.rowSlot[i]!;
        quantizeKvRow(s.k, (slot * D) / 2, s.kScale, (slot * D) / 32, k, i * D, D);
        quantizeKvRow(s.v, (slot * D) / 2, s.vScale, (slot * D) / 32, v, i * D, D);
      }
      this.attention(l, n);
      this.product(xb2, xb, lw.out, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.outBias[j % D]!));
      for (let i = 0; i < n; i++) layerNorm(xb, x, i * D, lw.ln2, fma);
      this.product(hb, xb, lw.fc, n);
      for (let j = 0; j < n * F; j++) hb[j] = gelu(fr(hb[j]! + lw.fcBias[j % F]!), fma);
      this.product(xb2, hb, lw.proj, n);
      for (let j = 0; j < n * D; j++) x[j] = fr(x[j]! + fr(xb2[j]! + lw.projBias[j % D]!));
    }
  }

  /**
   * 11.1 attention, per head over slots 0..slot: scores Σ q·(code − 8) in order times the key
   * group's scale, softmax, then Σ (att × value scale) × (code − 8) → xb. A head reads the scale
   * of the group holding its first element (one group spans 32 / head size heads).
   */
  private attention(l: number, n: number): void {
    const { hiddenSize: D, numHeads: H } = this.config;
    const hs = D / H;
    const G = D / QBLOCK; // scale groups per slot
    const { q, xb, att } = this;
    const add = madd(this.fma);
    for (let i = 0; i < n; i++) {
      const span = this.rowSlot[i]! + 1;
      const seq = this.rowSeq[i]!;
      const base = l * this.context;
      if (firmwareV3Attention(xb, q, i * D, seq, base, span, D, hs, firmwareSoftmax, this.fma)) continue; // the same sums on SIMD
      const { k: Kc, v: Vc, kScale, vScale } = seq;
      for (let h = 0; h < H; h++) {
        const qo = i * D + h * hs;
        const g = (h * hs) >> 5;
        for (let t = 0; t < span; t++) {
          const ko = ((base + t) * D + h * hs) / 2;
          let s = 0;
          for (let j = 0; j < hs / 2; j++) {
            const byte = Kc[ko + j]!;
            s = add(q[qo + 2 * j]!, (byte & 15) - 8, s);
            s = add(q[qo + 2 * j + 1]!, (byte >> 4) - 8, s);
          }
          att[t] = fr(s * kScale[(base + t) * G + g]!);
        }
        firmwareSoftmax(att, 0, span);
        for (let d = 0; d < hs; d++) xb[qo + d] = 0;
        for (let t = 0; t < span; t++) {
          const a = fr(att[t]! * vScale[(base + t) * G + g]!);
          const vo = ((base + t) * D + h * hs) / 2;
          for (let j = 0; j < hs / 2; j++) {
            const byte = Vc[vo + j]!;
            xb[qo + 2 * j] = add(a, (byte & 15) - 8, xb[qo + 2 * j]!);
            xb[qo + 2 * j + 1] = add(a, (byte >> 4) - 8, xb[qo + 2 * j + 1]!);
          }
        }
      }
    }
  }

  /** Final layer norm and the tied classifier for residual rows first..first+rows → out (rows, V). */
  private classify(out: Float32Array, first: number, rows: number): void {
    const D = this.config.hiddenSize;
    for (let i = 0; i < rows; i++) layerNorm(this.xb, this.x, (first + i) * D, this.lnF, this.fma);
    if (first !== 0) this.xb.copyWithin(0, first * D, (first + rows) * D);
    this.product(out, this.xb, this.wte, rows);
  }
}
