// The version-3 firmware's forward pass (firmware-format.md 11.1–11.2), reproduced exactly: every
// Q4 product on int8 activations, keys and values in an int4 cache with bf16 scales, attention
// over the window's slots, positions taken from the sequence's absolute position (a slide moves
// slots, not positions). `fused` follows the ESP32 build's fused multiply-adds instead of the
// host build's separate roundings. The row tables and the layer loop are FirmwareBase's.
import { UsageError } from '../../errors.js';
import { firmwareV3Attention, type Q8Rows } from '../../kernels/firmware-v3.js';
import { activationArray } from '../../kernels/matmul.js';
import type { NeoConfig } from '../../neo/config.js';
import { checkRewind, type Sequence } from '../../neo/engine.js';
import type { LayerNormWeights, NeoWeights } from '../../neo/weights.js';
import { QBLOCK, type Q4Matrix } from '../../neo/tensor.js';
import { FirmwareBase } from '../base.js';
import { firmwareLayerNorm, firmwareSoftmax } from '../numerics.js';
import { Int4Cache } from './cache.js';
import { gelu, madd, q4q8Matvec, quantizeKvRow, quantizeQ8 } from './numerics.js';
import { firmwareV3Window, slideSizes, type Slide } from './window.js';

const fr = Math.fround;

export interface FirmwareV3Options {
  /** KV window in slots (default: the firmware's, 80 for dim ≤ 128 or 72), at most the model's positions. */
  context?: number;
  /** Fused multiply-adds, as the ESP32 build computes (default false: the host build). */
  fma?: boolean;
  /** Most sequences in one decode() (default 8). */
  maxBatch?: number;
}

export class FirmwareV3Engine extends FirmwareBase<Int4Cache> {
  readonly fma: boolean;
  private readonly add: (a: number, b: number, c: number) => number;
  private readonly xq: Q8Rows; // (N, F) int8 activations of the product being computed

  constructor(model: { config: NeoConfig; weights: NeoWeights }, options: FirmwareV3Options = {}) {
    super(model, options, firmwareV3Window);
    const c = this.config;
    const hs = c.hiddenSize / c.numHeads;
    if (hs % 2 !== 0) throw new UsageError(`the v3 firmware engine stores two cache elements per byte: the head size must be even, got ${hs}`);
    this.fma = options.fma ?? false;
    this.add = madd(this.fma);
    const widest = Math.max(this.maxBatch, this.context) * Math.max(c.hiddenSize, c.intermediateSize);
    this.xq = { q: activationArray(widest, Int8Array), s: activationArray(widest / QBLOCK), sum: activationArray(widest / QBLOCK) };
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

  protected own(seq: Sequence): Int4Cache {
    if (!(seq instanceof Int4Cache) || seq.window !== this.context || seq.dim !== this.config.hiddenSize || seq.layers !== this.config.numLayers) {
      throw new UsageError('this sequence was not made by this engine');
    }
    return seq;
  }

  /** 11.2: the position is the absolute one, clamped to the table's last row. */
  protected position(_slot: number, abspos: number): number {
    return Math.min(abspos, this.config.maxPositions - 1);
  }

  /** 11.1: x quantized to int8 per 32 values, then the int8 × Q4 products. */
  protected product(y: Float32Array, x: Float32Array, w: Q4Matrix, n: number): void {
    quantizeQ8(this.xq, x, n, w.cols);
    q4q8Matvec(y, this.xq, w, n, this.fma);
  }

  protected norm(out: Float32Array, x: Float32Array, o: number, ln: LayerNormWeights): void {
    firmwareLayerNorm(out, x, o, ln, this.add);
  }

  protected gelu(x: number): number {
    return gelu(x, this.fma);
  }

  protected store(i: number, row: number): void {
    const s = this.rowSeq[i]!;
    const D = this.config.hiddenSize;
    quantizeKvRow(s.k, (row * D) / 2, s.kScale, (row * D) / 32, this.k, i * D, D);
    quantizeKvRow(s.v, (row * D) / 2, s.vScale, (row * D) / 32, this.v, i * D, D);
  }

  /**
   * 11.1 attention, per head over slots 0..slot: scores Σ q·(code − 8) in order times the key
   * group's scale, softmax, then Σ (att × value scale) × (code − 8) → xb. A head reads the scale
   * of the group holding its first element (one group spans 32 / head size heads).
   */
  protected attention(l: number, n: number): void {
    const { hiddenSize: D, numHeads: H } = this.config;
    const hs = D / H;
    const G = D / QBLOCK; // scale groups per slot
    const { q, xb, att, add } = this;
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
}
