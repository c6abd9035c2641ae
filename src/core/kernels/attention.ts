// Attention of one query row over a sequence's cached keys and values, every head in one call:
// the WebAssembly SIMD kernel when all the arrays live in the kernel memory (activationArray()),
// plain JavaScript otherwise. Same results to within float rounding.
import { softmax } from '../model/layers.js';
import { kernelMemory, offsetOf } from './wasm.js';

/**
 * out[oo .. oo+D) = per head h: softmax(scale · q_h · K_hᵀ) · V_h over `span` cached rows.
 * q (D) at qo; K, V: rows of D floats, the first at ko; scores: scratch of ≥ span floats.
 */
export function attendRow(
  out: Float32Array, oo: number,
  q: Float32Array, qo: number,
  K: Float32Array, V: Float32Array, ko: number,
  span: number, D: number, H: number, scale: number,
  scores: Float32Array,
): void {
  const hs = D / H;
  const k = kernelMemory();
  if (k && hs % 4 === 0) {
    const o = offsetOf(k, out), qa = offsetOf(k, q), ka = offsetOf(k, K), va = offsetOf(k, V), sa = offsetOf(k, scores);
    if (o !== undefined && qa !== undefined && ka !== undefined && va !== undefined && sa !== undefined) {
      k.kernels.attend(o + 4 * oo, qa + 4 * qo, ka + 4 * ko, va + 4 * ko, span, D, hs, scale, sa);
      return;
    }
  }
  for (let h = 0; h < H; h++) {
    const qh = qo + h * hs;
    const oh = oo + h * hs;
    for (let j = 0; j < span; j++) {
      const kj = ko + j * D + h * hs;
      let s = 0;
      for (let d = 0; d < hs; d++) s += q[qh + d]! * K[kj + d]!;
      scores[j] = s * scale;
    }
    softmax(scores, 0, span);
    for (let d = 0; d < hs; d++) out[oh + d] = 0;
    for (let j = 0; j < span; j++) {
      const p = scores[j]!;
      const vj = ko + j * D + h * hs;
      for (let d = 0; d < hs; d++) out[oh + d] = out[oh + d]! + p * V[vj + d]!;
    }
  }
}
