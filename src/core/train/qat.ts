// Quantization-aware training at the parameter level: the optimizer updates float32 master
// weights, and before every forward/backward the parameters handed to the training threads are
// the master weights with each matrix the firmware stores as Q4_0 (wte, which is also the
// classifier, and every layer's q, k, v, out, fc, proj) replaced by the exact values the
// converter will write for it (formats/quant.ts, bf16 block scales). The gradient of the
// quantized weights is applied to the master weights as if rounding were the identity
// (straight-through). So the network that trains and validates is the blob that gets exported:
// quantizing the master weights again gives the same blocks, byte for byte.
import { fakeQuantizeQ4, type Q4Quantizer } from '../formats/quant.js';
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
}
