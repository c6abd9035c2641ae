// The weights as the firmware holds them, shared by the v2 and v3 engines: every matrix Q4_0 with
// bf16 scales (a firmware blob, or a Q4_0 export as a blob would store it), no q/k/v biases (a
// GGUF's GPT-2 form is turned back into GPT-Neo's first: formats/neo-form.ts); norms, biases and
// positions float32.
import { UsageError } from '../errors.js';
import { quantizeMatrix } from '../formats/quant.js';
import type { Matrix, Q4Matrix } from '../neo/tensor.js';
import type { LayerNormWeights, NeoLayerWeights, NeoWeights } from '../neo/weights.js';

/** A layer as the firmware holds it. */
export type FirmwareLayer = Omit<NeoLayerWeights, 'q' | 'k' | 'v' | 'out' | 'fc' | 'proj' | 'qkvBias'> &
  Record<'q' | 'k' | 'v' | 'out' | 'fc' | 'proj', Q4Matrix>;

export interface FirmwareWeights {
  wte: Q4Matrix; // (V, D) token embeddings, also the tied classifier
  wpe: Float32Array; // (P, D)
  layers: FirmwareLayer[]; // L
  lnF: LayerNormWeights;
}

function q4(m: Matrix, name: string): Q4Matrix {
  if (m.type !== 'q4_0') {
    throw new UsageError(`firmware mode needs Q4_0 weights (a firmware blob or a Q4_0 export); ${name} is ${m.type}`);
  }
  // The device's blobs hold bf16 scales: fp16-scaled blocks (a GGUF's) run as a blob made from them would store them.
  return m.scaleType === 'bf16' ? m : (quantizeMatrix(m, 'q4_0', 'bf16', name) as Q4Matrix);
}

/** The model's weights, checked to be what the firmware can run. */
export function firmwareWeights(w: NeoWeights): FirmwareWeights {
  return {
    wte: q4(w.wte, 'wte'),
    wpe: w.wpe,
    lnF: w.lnF,
    layers: w.layers.map((l, i) => {
      if (l.qkvBias) throw new UsageError(`firmware mode has no q/k/v biases, but layer ${i} has them`);
      return {
        ln1: l.ln1,
        q: q4(l.q, `layer ${i} q`),
        k: q4(l.k, `layer ${i} k`),
        v: q4(l.v, `layer ${i} v`),
        out: q4(l.out, `layer ${i} out_proj`),
        outBias: l.outBias,
        ln2: l.ln2,
        fc: q4(l.fc, `layer ${i} c_fc`),
        fcBias: l.fcBias,
        proj: q4(l.proj, `layer ${i} c_proj`),
        projBias: l.projBias,
      };
    }),
  };
}
