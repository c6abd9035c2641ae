// Quantization-aware training at the parameter level: the optimizer updates float32 master
// weights, and before every forward/backward the parameters handed to the training threads are
// the master weights with each matrix the firmware stores as Q4_0 (wte, which is also the
// classifier, and every layer's q, k, v, out, fc, proj) replaced by the exact values the
// converter will write for it (formats/quant.ts, bf16 block scales). So the network that trains
// and validates is the blob that gets exported: quantizing the master weights again gives the
// same blocks, byte for byte.
//
// The gradient reaches the master weights through the quantizer with its rounding taken as the
// identity (straight-through), and, with the converter's rule (scale = the block's largest-
// magnitude weight / −8), through the scale too: every weight of a block is scale × (code − 8),
// so the block's largest weight also receives −1/8 Σ g·(code − 8) over the block. Moving it
// rescales the whole block, a change small enough to survive rounding, which plain
// straight-through training (where a weight must travel half a Q4 step to change) lacks.
import { fakeQuantizeQ4, type Q4Quantizer } from '../formats/quant.js';
import { QBLOCK } from '../neo/tensor.js';
import { getParameter, neoParameters } from '../neo/parameters.js';
import type { ParamLayout } from './params.js';

/** What training computes with: float32 everywhere ('none') or the firmware's Q4_0 matrices ('q4'). */
export type QatMode = 'q4' | 'none';

export class Q4Training {
  /** [offset, size) of each Q4_0 matrix in the flat buffer, in checkpoint order. */
  private readonly matrices: Array<[offset: number, size: number]>;

  /** master: the float32 weights the optimizer updates (kept, not copied). */
  constructor(layout: ParamLayout, readonly master: Float32Array, readonly quantizer: Q4Quantizer = 'max') {
    const c = layout.config;
    const sizes = { V: c.vocabSize, D: c.hiddenSize, F: c.intermediateSize, P: c.maxPositions };
    this.matrices = neoParameters(c.numLayers)
      .filter((p) => p.matrix)
      .map((p) => [getParameter(layout, p), p.shape(sizes).reduce((a, b) => a * b, 1)]);
  }

  /** params = the master weights as the firmware would store them (norms, biases, positions as they are). */
  project(params: Float32Array): void {
    params.set(this.master);
    for (const [o, n] of this.matrices) fakeQuantizeQ4(this.master.subarray(o, o + n), params.subarray(o, o + n), 'bf16', this.quantizer);
  }

  /**
   * grads (of the projected params, as the threads computed them) → gradients of the master
   * weights, in place: straight-through, plus each block's scale gradient on its largest weight
   * (the 'max' rule only: 'mse' scales are no function of one weight).
   */
  chain(grads: Float32Array, params: Float32Array): void {
    if (this.quantizer !== 'max') return;
    const x = this.master;
    for (const [o, n] of this.matrices) {
      for (let b = o; b < o + n; b += QBLOCK) {
        let top = b; // the converter's: first index of the largest |x|
        for (let j = b + 1; j < b + QBLOCK; j++) if (Math.abs(x[j]!) > Math.abs(x[top]!)) top = j;
        const scale = params[top]! / -8; // its code is 0: stored value = −8 × scale
        if (scale === 0) continue;
        let sum = 0; // Σ g·(code − 8), code − 8 = value / scale
        for (let j = b; j < b + QBLOCK; j++) sum += grads[j]! * (params[j]! / scale);
        grads[top] = -sum / 8;
      }
    }
  }
}
