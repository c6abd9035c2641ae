// Each training kernel of kernels.as against its plain-JS layer function in gpt.ts (the oracle,
// float64 accumulation), forward and backward, on random inputs of TinyTalk's widths (D 128,
// head size 8) and of odd sizes that reach the kernels' tails. Tolerances are relative to the
// largest |value| of each output (float32 accumulation against float64).
import { describe, expect, it } from 'vitest';
import {
  attention_backward, attention_forward, classifier_backward, classifier_forward, gelu_backward, gelu_forward,
  layernorm_backward, layernorm_forward, matmul_backward, matmul_forward,
} from '../../src/core/train/gpt.js';
import { at, KernelArena, trainKernelsAvailable, type TrainKernels } from '../../src/core/kernels/train.js';
import { UsageError } from '../../src/core/errors.js';
import { KernelGpt } from '../../src/core/train/kernel-gpt.js';
import { mulberry32 } from '../../src/core/train/rng.js';
import { TINY_MODEL } from '../helpers/shared.js';
import { referenceCase } from './helpers.js';

const rand = mulberry32(7);
const random = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * scale);

/** Copies of `inputs` and zeroed buffers of `outputs` lengths in one kernel memory. */
function arena(inputs: Float32Array[], outputs: number[]): { k: TrainKernels; ins: Float32Array[]; outs: Float32Array[] } {
  const a = new KernelArena();
  const ins: Float32Array[] = [];
  const outs: Float32Array[] = [];
  inputs.forEach((x, i) => a.reserve(x.length, Float32Array, (v) => ((ins[i] = v), v.set(x))));
  outputs.forEach((n, i) => a.reserve(n, Float32Array, (v) => (outs[i] = v)));
  return { k: a.build().kernels, ins, outs };
}

/** max |got − want| / max |want|. */
function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    worst = Math.max(worst, Math.abs(got[i]! - want[i]!));
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  return worst / scale;
}

const gather = (n: number) => ({ rows: new Int32Array(n), d: new Float64Array(n) });

describe('training kernels against the plain-JS layer functions', () => {
  it('has the kernels on this platform (Node 20 has WebAssembly SIMD)', () => {
    expect(trainKernelsAvailable()).toBe(true);
  });

  for (const [N, C, OC] of [[64, 128, 512], [13, 40, 24], [7, 16, 12]] as const) {
    it(`linear ${N}×${C} → ${OC}: forward y = x·Wᵀ + b, backward dx, dW, db within 1e-5`, () => {
      const x = random(N * C), w = random(OC * C, 0.1), bias = random(OC), dy = random(N * OC);
      const dx0 = random(N * C), dw0 = random(OC * C), db0 = random(OC);
      const y = new Float32Array(N * OC);
      matmul_forward(y, x, w, bias, N, C, OC);
      const dx = dx0.slice(), dw = dw0.slice(), db = db0.slice();
      matmul_backward(dx, dw, db, dy, x, w, N, C, OC, new Float64Array(Math.max(C, OC, N)), gather(Math.max(N, OC)));
      const { k, ins: [kx, kw, kb, kdy, kdx, kdw, kdb], outs: [ky, kwT] } = arena([x, w, bias, dy, dx0, dw0, db0], [N * OC, C * OC]);
      k.transpose(at(kwT!), at(kw!), OC, C);
      k.gemmStrided(at(ky!), at(kx!), at(kwT!), at(kb!), N, OC, C, C, 1, OC, OC, 0);
      k.gemmStrided(at(kdx!), at(kdy!), at(kw!), 0, N, C, OC, OC, 1, C, C, 1);
      k.gemmStrided(at(kdw!), at(kdy!), at(kx!), 0, OC, C, N, 1, OC, C, C, 1);
      k.columnSums(at(kdb!), at(kdy!), N, OC);
      expect(relError(ky!, y)).toBeLessThan(1e-5);
      expect(relError(kdx!, dx)).toBeLessThan(1e-5);
      expect(relError(kdw!, dw)).toBeLessThan(1e-5);
      expect(relError(kdb!, db)).toBeLessThan(1e-5);
    });
  }

  it('layer norm (N 37, D 128): forward within 1e-5, backward (dinp, dw, db accumulated) within 1e-5', () => {
    const N = 37, D = 128;
    const inp = random(N * D, 3), w = random(D), b = random(D), dout = random(N * D);
    const dinp0 = random(N * D), dw0 = random(D), db0 = random(D);
    const out = new Float32Array(N * D), mean = new Float32Array(N), rstd = new Float32Array(N);
    layernorm_forward(out, mean, rstd, inp, w, b, N, D, 1e-5);
    const dinp = dinp0.slice(), dw = dw0.slice(), db = db0.slice();
    layernorm_backward(dinp, dw, db, dout, inp, w, mean, rstd, N, D);
    const { k, ins: [ki, kw, kb, kdo, kdi, kdw, kdb], outs: [ko, km, kr] } = arena([inp, w, b, dout, dinp0, dw0, db0], [N * D, N, N]);
    k.layernormForward(at(ko!), at(km!), at(kr!), at(ki!), at(kw!), at(kb!), N, D, 1e-5);
    k.layernormBackward(at(kdi!), at(kdw!), at(kdb!), at(kdo!), at(ki!), at(kw!), at(km!), at(kr!), N, D);
    expect(relError(ko!, out)).toBeLessThan(1e-5);
    expect(relError(kr!, rstd)).toBeLessThan(1e-5);
    expect(relError(kdi!, dinp)).toBeLessThan(1e-5);
    expect(relError(kdw!, dw)).toBeLessThan(1e-5);
    expect(relError(kdb!, db)).toBeLessThan(1e-5);
  });

  it('gelu_new over [−8, 8]: forward and backward within 1e-6 of the largest value', () => {
    const n = 4096;
    const x = Float32Array.from({ length: n }, (_, i) => -8 + (16 * i) / n);
    const dout = random(n);
    const y = new Float32Array(n), dx = new Float32Array(n);
    gelu_forward(y, x, n);
    gelu_backward(dx, x, dout, n);
    const { k, ins: [kx, kdo], outs: [ky, kdx] } = arena([x, dout], [n, n]);
    k.geluForward(at(ky!), at(kx!), n);
    k.geluBackward(at(kdx!), at(kx!), at(kdo!), n);
    expect(relError(ky!, y)).toBeLessThan(1e-6);
    expect(relError(kdx!, dx)).toBeLessThan(1e-6);
  });

  for (const [B, T, D, NH, window] of [[2, 37, 128, 16, 0], [2, 37, 128, 16, 9], [1, 16, 32, 4, 8]] as const) {
    it(`attention B ${B}, T ${T}, D ${D}, ${NH} heads, window ${window || 'none'}: forward and backward within 1e-5`, () => {
      const n = B * T * D;
      const q = random(n, 2), kk = random(n, 2), v = random(n), dout = random(n);
      const out = new Float32Array(n), att = new Float32Array(B * NH * T * T);
      attention_forward(out, att, q, kk, v, B, T, D, NH, window, 1);
      const dq = new Float32Array(n), dk = new Float32Array(n), dv = new Float32Array(n);
      attention_backward(dq, dk, dv, dout, q, kk, v, att, new Float64Array(T), B, T, D, NH, window, 1);
      const T4 = ((T + 3) & ~3) + 4;
      const { k, ins: [kq, kk2, kv, kdo], outs: [ko, lse, kdq, kdk, kdv, scratch] } =
        arena([q, kk, v, dout], [n, B * NH * T, n, n, n, (4 * (D / NH) + 2) * T4]);
      k.attentionForward(at(ko!), at(lse!), at(kq!), at(kk2!), at(kv!), B, T, D, NH, window, 1, at(scratch!));
      k.attentionBackward(at(kdq!), at(kdk!), at(kdv!), at(kdo!), at(kq!), at(kk2!), at(kv!), at(lse!), B, T, D, NH, window, 1, at(scratch!));
      expect(relError(ko!, out)).toBeLessThan(1e-5);
      expect(relError(kdq!, dq)).toBeLessThan(1e-5);
      expect(relError(kdk!, dk)).toBeLessThan(1e-5);
      expect(relError(kdv!, dv)).toBeLessThan(1e-5);
    });
  }

  it('classifier + cross-entropy (V 1,001, 24 positions, 4 padding): Σ loss within 1e-6, dlnf and dwte within 1e-5', () => {
    const V = 1001, D = 32, R = 24, used = 20;
    const lnf = random(used * D, 2), wte = random(V * D, 0.5);
    const labels = Int32Array.from({ length: used }, (_, i) => (i * 37) % V);
    labels[0] = -100; // the shift: position t is scored against labels[t + 1]; the last has no target
    const scale = 1 / 18;
    const logits = new Float32Array(used * V), losses = new Float32Array(used), lse = new Float64Array(used);
    const want = classifier_forward(logits, losses, lse, lnf, wte, labels, 1, used, D, V, false);
    const dlnf = new Float32Array(used * D), dwte = new Float32Array(V * D);
    classifier_backward(dlnf, dwte, logits, lse, lnf, wte, labels, 1, used, D, V, scale, new Float64Array(Math.max(V, D, used)), gather(Math.max(V, used)));
    // the kernels' side: scored positions as columns, padding columns with target −1
    const rows = new Float32Array(R * D);
    const ti = new Int32Array(R).fill(-1);
    const scored: number[] = [];
    for (let t = 0; t + 1 < used; t++) if (labels[t + 1] !== -100) scored.push(t);
    scored.forEach((t, r) => (rows.set(lnf.subarray(t * D, (t + 1) * D), r * D), (ti[r] = labels[t + 1]!)));
    const { k, ins: [kw, kr, kt], outs: [cT, g, losses64, scratch, grow, gw] } = arena([wte, rows, new Float32Array(R)], [D * R, V * R, 2 * R, 4 * R, R * D, V * D]);
    new Int32Array(kt!.buffer, kt!.byteOffset, R).set(ti); // int32 targets, −1 for padding
    k.transpose(at(cT!), at(kr!), R, D);
    k.gemmStrided(at(g!), at(kw!), at(cT!), 0, V, R, D, D, 1, R, R, 0);
    k.crossEntropy(at(g!), at(kt!), at(losses64!), V, R, scale, at(scratch!));
    k.gemmStrided(at(grow!), at(g!), at(kw!), 0, R, D, V, 1, R, D, D, 0);
    k.gemmStrided(at(gw!), at(g!), at(kr!), 0, V, D, R, R, 1, D, D, 1);
    const l64 = new Float64Array(losses64!.buffer, losses64!.byteOffset, R);
    const got = l64.reduce((a, b) => a + b, 0);
    expect(Math.abs(got - want) / want).toBeLessThan(1e-6);
    const gotDlnf = new Float32Array(used * D);
    scored.forEach((t, r) => gotDlnf.set(grow!.subarray(r * D, (r + 1) * D), t * D));
    expect(relError(gotDlnf, dlnf)).toBeLessThan(1e-5);
    expect(relError(gw!, dwte)).toBeLessThan(1e-5);
  });
});

describe('the kernel trainer on bad input', () => {
  const { layout, params, T, ids, labels } = referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');
  const engine = new KernelGpt(layout, 1, T);
  engine.loadParams(params);

  it('names a label outside the vocabulary, and a batch larger than planned', () => {
    const bad = labels.slice(0, T);
    bad[3] = layout.config.vocabSize;
    expect(() => engine.step(ids.subarray(0, T), bad, 1, T, 1)).toThrow(UsageError);
    expect(() => engine.step(ids.subarray(0, T), bad, 1, T, 1)).toThrow(/label 300 is outside the vocabulary/);
    expect(() => engine.loss(ids, labels, 2, T)).toThrow(/batch \(2, \d+\) exceeds the planned \(1, \d+\)/);
  });
});
