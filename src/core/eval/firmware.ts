// Held-out loss in the device's arithmetic: the firmware engines (v2: Q4 products on float32
// activations, int8 KV cache; v3: Q4 × int8 products, int4 KV cache) score the same tokens as
// evaluate.ts. A model that is not Q4_0 yet (a checkpoint, a float GGUF) is first turned into
// the blob the converter would write for it, read back, so what is scored is what gets flashed.
//
// The window: the device never runs a position past its KV window (80; it ends a reply at
// position 79, and v3 slides only while generating), so a sample longer than the window is cut
// into window-sized blocks, each run from an empty cache at position 0 with its first token
// unscored (scoreSequence), as the float32 evaluation does with its own context.
import { readCrdp, writeCrdp } from '../formats/crdp.js';
import type { Q4Quantizer } from '../formats/quant.js';
import { firmwareEngine, type FirmwareSelection } from '../firmware/select.js';
import type { Engine } from '../neo/engine.js';
import type { Model } from '../neo/model.js';
import type { Packed } from '../train/data.js';
import { newLossSums, scoreSequence } from './evaluate.js';

type FirmwareInput = Pick<Model, 'source' | 'config' | 'weights'>;

/** The model as the firmware holds it: a Q4_0 model as it is, any other as its v2 blob would store it. */
export function asFirmwareModel(model: FirmwareInput, quantizer: Q4Quantizer = 'max'): FirmwareInput {
  const w = model.weights;
  const matrices = [w.wte, ...w.layers.flatMap((l) => [l.q, l.k, l.v, l.out, l.fc, l.proj])];
  if (matrices.every((m) => m.type === 'q4_0')) return model;
  const blob = readCrdp(writeCrdp(model.config, model.weights, 2, quantizer), 'exported blob');
  return { source: { ...model.source, format: 'crdp', version: 2 }, config: blob.config, weights: blob.weights };
}

/** The firmware engine (v2 or v3 arithmetic; default the blob's) for the model as the device holds it. */
export function deviceEngine(model: FirmwareInput, selection: Omit<FirmwareSelection, 'context'> = {}, quantizer?: Q4Quantizer): Engine {
  return firmwareEngine(asFirmwareModel(model, quantizer), { ...selection, maxBatch: 1 });
}

/**
 * Mean loss over the first `maxBlocks` packed blocks (training's validation split), each block
 * scored in pieces of engine.context tokens (see above); NaN when nothing is scored.
 */
export function packedLoss(engine: Engine, packed: Packed, maxBlocks: number, now: () => number = () => performance.now()): number {
  const T = packed.seqLen;
  const sums = newLossSums();
  const seq = engine.newSequence();
  for (let b = 0; b < Math.min(packed.n, maxBlocks); b++) {
    scoreSequence(engine, seq, packed.ids.subarray(b * T, (b + 1) * T), packed.labels.subarray(b * T, (b + 1) * T), sums, now);
  }
  return sums.scored === 0 ? NaN : sums.nll / sums.scored;
}
