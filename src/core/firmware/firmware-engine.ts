// The version-2 firmware's forward pass (firmware-format.md 3.2–3.5), reproduced exactly: Q4
// matvecs in the device's order, int8 KV cache with one scale per row, a KV window of `context`
// positions (80 on the device) with the position clamped to its last row, causal attention in
// every layer (the device implements no local window; TinyTalk's 256 ≥ its positions anyway), no
// attention scaling, LayerNorm eps 1e-5. The row tables and the layer loop are FirmwareBase's.
import { UsageError } from '../errors.js';
import { firmwareAttentionWasm } from '../kernels/firmware-attention.js';
import { activationArray } from '../kernels/matmul.js';
import type { NeoConfig } from '../neo/config.js';
import { checkRewind, type Sequence } from '../neo/engine.js';
import type { Q4Matrix } from '../neo/tensor.js';
import type { LayerNormWeights, NeoWeights } from '../neo/weights.js';
import { FirmwareBase } from './base.js';
import { firmwareGelu, firmwareLayerNorm, firmwareMatvec, firmwareSoftmax, quantizeRow } from './numerics.js';
import { FIRMWARE_CONTEXT } from './settings.js';

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
  /** Tokens fed; past the window the position stays at the window's last row. */
  abspos = 0;
  constructor(
    readonly k: Int8Array,
    readonly v: Int8Array,
    readonly kScale: Float32Array, // (L, context)
    readonly vScale: Float32Array, // (L, context)
  ) {}
}

export class FirmwareEngine extends FirmwareBase<Int8Cache> {
  constructor(model: { config: NeoConfig; weights: NeoWeights }, options: FirmwareOptions = {}) {
    super(model, options, (c) => Math.min(FIRMWARE_CONTEXT, c.maxPositions));
  }

  newSequence(): Int8Cache {
    const { numLayers: L, hiddenSize: D } = this.config;
    const rows = L * this.context;
    // in the kernel memory where there is one: the attention kernels read the caches in place
    return new Int8Cache(activationArray(rows * D, Int8Array), activationArray(rows * D, Int8Array), activationArray(rows), activationArray(rows));
  }

  rewind(seq: Sequence, length: number): void {
    const s = this.own(seq);
    checkRewind(s.length, length);
    s.length = s.abspos = length;
  }

  protected own(seq: Sequence): Int8Cache {
    if (!(seq instanceof Int8Cache) || seq.kScale.length !== this.config.numLayers * this.context) {
      throw new UsageError('this sequence was not made by this engine');
    }
    return seq;
  }

  /** 3.2 step 0: the position is the cache row, clamped to the window's last. */
  protected position(slot: number): number {
    return slot;
  }

  protected product(y: Float32Array, x: Float32Array, w: Q4Matrix, n: number): void {
    firmwareMatvec(y, x, w, n);
  }

  protected norm(out: Float32Array, x: Float32Array, o: number, ln: LayerNormWeights): void {
    firmwareLayerNorm(out, x, o, ln);
  }

  protected gelu(x: number): number {
    return firmwareGelu(x);
  }

  protected store(i: number, row: number): void {
    const s = this.rowSeq[i]!;
    const D = this.config.hiddenSize;
    s.kScale[row] = quantizeRow(s.k, row * D, this.k, i * D, D);
    s.vScale[row] = quantizeRow(s.v, row * D, this.v, i * D, D);
  }

  /** 3.5: per head, scores over the int8 keys 0..pos, softmax, weighted int8 values → xb. */
  protected attention(l: number, n: number): void {
    const { hiddenSize: D, numHeads: H } = this.config;
    const hs = D / H;
    const { q, xb, att } = this;
    for (let i = 0; i < n; i++) {
      const pos = this.rowSlot[i]!;
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
}
