// The version-3 firmware's KV cache (firmware-format.md 11.1–11.2): per layer and slot, keys and
// values as int4 codes (two per byte, element i in byte i/2, low nibble when i is even) with one
// bf16 scale per 32 elements (kept widened to float32: the same values). The write slot and the
// absolute position are kept apart, because a slide moves slots down while positions go on.
import type { Sequence } from '../../neo/engine.js';
import { activationArray } from '../../kernels/matmul.js';

export class Int4Cache implements Sequence {
  /** Slots in use: the next token is written at this slot. */
  length = 0;
  /** Absolute position of the next token (its row of the position table). */
  abspos = 0;
  /** Codes (L, window, D/2) bytes. */
  readonly k: Uint8Array;
  readonly v: Uint8Array;
  /** Scales (L, window, D/32). */
  readonly kScale: Float32Array;
  readonly vScale: Float32Array;

  constructor(
    readonly layers: number,
    readonly window: number,
    readonly dim: number,
  ) {
    const slots = layers * window;
    // in the kernel memory where there is one: the attention kernels read the caches in place
    this.k = activationArray((slots * dim) / 2, Uint8Array);
    this.v = activationArray((slots * dim) / 2, Uint8Array);
    this.kScale = activationArray((slots * dim) / 32);
    this.vScale = activationArray((slots * dim) / 32);
  }

  /** Whether positions and slots have parted (a slide happened since the last reset). */
  get slid(): boolean {
    return this.abspos !== this.length;
  }

  /**
   * The slide of 11.2: in every layer, slots [keep + evict, window) move down to keep (the last
   * one is the slot about to be written; it is overwritten before anything reads it), and the
   * write slot goes back by evict. Cached keys keep the positions they were written with.
   */
  slide(keep: number, evict: number): void {
    const W = this.window;
    const codeRow = this.dim / 2, scaleRow = this.dim / 32;
    for (let l = 0; l < this.layers; l++) {
      const to = l * W + keep, from = to + evict, end = (l + 1) * W;
      this.k.copyWithin(to * codeRow, from * codeRow, end * codeRow);
      this.v.copyWithin(to * codeRow, from * codeRow, end * codeRow);
      this.kScale.copyWithin(to * scaleRow, from * scaleRow, end * scaleRow);
      this.vScale.copyWithin(to * scaleRow, from * scaleRow, end * scaleRow);
    }
    this.length -= evict;
  }
}
