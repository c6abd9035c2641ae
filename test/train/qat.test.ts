// Quantization-aware training: the projection is the converter's Q4_0 quantizer as
// firmware-format.md 1.5 writes it (transcribed here as the oracle), a training step applies the
// gradient of the projected weights to the float32 master weights (straight through the codes,
// and through each block's scale to its largest weight), and the blob exported from
// the master weights holds exactly the weights the run computed with. Also the optional 'mse'
// quantizer: never a larger error than the converter's on any block.
import { describe, expect, it } from 'vitest';
import { readCrdp, writeCrdp } from '../../src/core/formats/crdp.js';
import { dequantize, fakeQuantizeQ4, quantizeQ4 } from '../../src/core/formats/quant.js';
import { neoParameters, getParameter } from '../../src/core/neo/parameters.js';
import type { Packed } from '../../src/core/train/data.js';
import { newTrainingState, runSteps } from '../../src/core/train/loop.js';
import { adamwState, adamw_update, clipGradNorm, learningRate } from '../../src/core/train/optim.js';
import type { Matrix } from '../../src/core/neo/tensor.js';
import { weightsFromParams, type ParamLayout } from '../../src/core/train/params.js';
import { deriveSeed, mulberry32, permutation } from '../../src/core/train/rng.js';
import { TrainPool } from '../../src/core/train/pool.js';
import { Q4Training } from '../../src/core/train/qat.js';
import { lcg } from '../helpers/random.js';
import { TINY_MODEL } from '../helpers/shared.js';
import { referenceCase } from './helpers.js';

const fr = Math.fround;

/** firmware-format.md 1.5, step by step: the largest weight's index, the codes, the stored scale. */
function docQ4(x: ArrayLike<number>): { top: number; codes: number[]; stored: number } {
  let i = 0;
  for (let j = 1; j < 32; j++) if (Math.abs(x[j]!) > Math.abs(x[i]!)) i = j; // first index on ties
  const d = fr(x[i]! / -8);
  const inv = d !== 0 ? fr(1 / d) : 0;
  const u = new Uint32Array(Float32Array.of(d).buffer)[0]!;
  // the all-zero block stores the scale bytes 00 00
  const bf = d === 0 ? 0 : ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
  const stored = new Float32Array(new Uint32Array([bf << 16]).buffer)[0]!;
  const codes = Array.from({ length: 32 }, (_, j) => Math.min(15, Math.max(0, Math.floor(fr(fr(x[j]! * inv) + 8.5)))));
  return { top: i, codes, stored };
}

/** The dequantized block: bf16 scale × (code − 8). */
function docQ4Block(x: ArrayLike<number>): number[] {
  const { codes, stored } = docQ4(x);
  return codes.map((c) => fr(stored * (c - 8)));
}

/**
 * The gradient of the master weights from that of the quantized ones: ŵ_j = s·(c_j − 8) with
 * s = x_top / −8, codes held fixed → ∂/∂x_j = g_j (j ≠ top), ∂/∂x_top = Σ_j g_j·(c_j − 8) / −8.
 */
function docChain(layout: ParamLayout, master: Float32Array, grads: Float32Array): Float32Array {
  const g = Float32Array.from(grads);
  for (const [o, n] of matrices(layout)) {
    for (let b = o; b < o + n; b += 32) {
      const { top, codes, stored } = docQ4(master.subarray(b, b + 32));
      if (stored === 0) continue;
      g[b + top] = codes.reduce((sum, c, j) => sum + grads[b + j]! * (c - 8), 0) / -8;
    }
  }
  return g;
}

function randomValues(n: number, seed: number): Float32Array {
  const u = lcg(seed);
  // a mix of scales, a zero block and a block of ties (equal magnitudes)
  const x = Float32Array.from({ length: n }, (_, i) => (u() - 0.5) * 0.1 * (1 + (i >> 5) % 7));
  x.fill(0, 64, 96);
  for (let j = 96; j < 128; j++) x[j] = j % 2 ? 0.03 : -0.03;
  return x;
}

const sqErr = (x: Float32Array, y: Float32Array, o: number) => {
  let e = 0;
  for (let j = 0; j < 32; j++) e += (x[o + j]! - y[o + j]!) ** 2;
  return e;
};

describe('fake quantization', () => {
  it('gives the values firmware-format.md 1.5 stores, block by block', () => {
    const x = randomValues(32 * 200, 7);
    const out = new Float32Array(x.length);
    fakeQuantizeQ4(x, out, 'bf16');
    for (let o = 0; o < x.length; o += 32) expect(Array.from(out.subarray(o, o + 32)), `block ${o / 32}`).toEqual(docQ4Block(x.subarray(o, o + 32)));
  });

  it('mse never has a larger error than the converter, and a smaller one overall', () => {
    const x = randomValues(32 * 400, 11);
    const max = new Float32Array(x.length);
    const mse = new Float32Array(x.length);
    fakeQuantizeQ4(x, max, 'bf16');
    fakeQuantizeQ4(x, mse, 'bf16', 'mse');
    let eMax = 0;
    let eMse = 0;
    for (let o = 0; o < x.length; o += 32) {
      expect(sqErr(x, mse, o)).toBeLessThanOrEqual(sqErr(x, max, o));
      eMax += sqErr(x, max, o);
      eMse += sqErr(x, mse, o);
    }
    expect(eMse).toBeLessThan(0.9 * eMax);
    // the stored matrix dequantizes to the same values
    expect(dequantize(quantizeQ4(x, 400, 32, 'bf16', 'x', 'mse'))).toEqual(mse);
  });
});

const tinyCase = () => referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');

/** Every Q4 matrix of the layout: [offset, size]. */
function matrices(layout: ParamLayout): Array<[number, number]> {
  const sizes = { V: layout.config.vocabSize, D: layout.config.hiddenSize, F: layout.config.intermediateSize, P: layout.config.maxPositions };
  return neoParameters(layout.config.numLayers).filter((p) => p.matrix).map((p) => [getParameter(layout, p), p.shape(sizes).reduce((a, b) => a * b, 1)]);
}

/** The reference projection: the doc's quantizer on every matrix, everything else as it is. */
function docProject(layout: ParamLayout, master: Float32Array): Float32Array {
  const p = Float32Array.from(master);
  for (const [o, n] of matrices(layout)) for (let b = o; b < o + n; b += 32) p.set(docQ4Block(master.subarray(b, b + 32)), b);
  return p;
}

describe('Q4Training', () => {
  it('projects the matrices the blob stores as Q4_0 and nothing else', () => {
    const { layout, params } = tinyCase();
    const qat = new Q4Training(layout, params);
    const p = new Float32Array(layout.total);
    qat.project(p);
    expect(p).toEqual(docProject(layout, params));
    expect(matrices(layout).reduce((n, [, s]) => n + s, 0)).toBe(300 * 32 + 2 * (4 * 32 * 32 + 2 * 32 * 128)); // wte + q,k,v,out,fc,proj
  });

  it('one step: the gradient of the projected weights, through the codes and scales, moves the master weights; the exported blob is what ran', async () => {
    const { layout, params, B, T, ids, labels, count } = tinyCase();
    const train: Packed = { n: B, seqLen: T, ids, labels, tokens: B * T, lossTokens: count };
    const master0 = Float32Array.from(params);
    const pool = await TrainPool.create(layout, params, 1, B, T);
    const state = newTrainingState({ steps: 1, epochs: 1, lr: 1e-3, batch: B, accum: 1, seqLen: T, seed: 1, warmup: 0, weightDecay: 0.01, clip: 1, qat: 'q4' }, train, 1);
    const adam = adamwState(layout.total);
    const qat = new Q4Training(layout, Float32Array.from(params));
    await runSteps({ pool, train, val: train, state, adam, qat, valEvery: 100, saveEvery: 100, valBlocks: B });

    // the oracle: gradient at the doc's projection of the start, AdamW on the float32 master
    const ref = await TrainPool.create(layout, docProject(layout, master0), 1, B, T);
    // the blocks in the run's seeded order (epoch 0), so the sums are the same
    const order = permutation(B, mulberry32(deriveSeed(1, 0)));
    order.forEach((blk, r) => {
      ref.ids.set(ids.subarray(blk * T, (blk + 1) * T), r * T);
      ref.labels.set(labels.subarray(blk * T, (blk + 1) * T), r * T);
    });
    await ref.zeroGrads();
    await ref.backward(B, 1 / count);
    const grads = docChain(layout, master0, ref.grads);
    clipGradNorm(grads, 1);
    const want = Float32Array.from(master0);
    adamw_update(want, grads, adamwState(layout.total), learningRate(0, { lr: 1e-3, warmup: 0, minLr: state.minLr, total: 1 }), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    expect(qat.master).toEqual(want);
    expect(qat.master).not.toEqual(master0);
    // the pool computes with the projection of the new master weights
    expect(pool.params).toEqual(docProject(layout, qat.master));

    // the blob written from the master weights holds exactly those matrices (and its vectors as they are);
    // the firmware keeps no more position rows than the local window (8 here)
    const w = weightsFromParams(layout, qat.master);
    const blob = readCrdp(writeCrdp(layout.config, { ...w, wpe: w.wpe.subarray(0, 8 * 32) }), 'qat.bin');
    for (const p of neoParameters(layout.config.numLayers).filter((q) => q.field !== 'wpe')) {
      const o = getParameter(layout, p);
      const got = getParameter(blob.weights, p);
      const values = p.matrix ? dequantize(got as Matrix) : (got as Float32Array);
      expect(values, p.name).toEqual(pool.params.subarray(o, o + values.length));
    }
    await pool.close();
    await ref.close();
  });
});
