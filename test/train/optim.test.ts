// The learning-rate schedule against the recipe's formula (firmware-format.md 7.2), and the ways a
// step's gradient is split up — micro-batches (gradient accumulation) and worker threads sharing
// memory, on the training kernels or the plain-JS layer functions — each checked against the
// float64 reference gradient of the tiny model's whole batch.
import { describe, expect, it } from 'vitest';
import { planActivations } from '../../src/core/train/gpt.js';
import { defaultWarmup, learningRate } from '../../src/core/train/optim.js';
import type { ParamLayout } from '../../src/core/train/params.js';
import { KernelGpt } from '../../src/core/train/kernel-gpt.js';
import { accumulateGradients, accumulateGradientsKernel } from '../../src/core/train/step.js';
import { setKernelBackend } from '../../src/core/kernels/matmul.js';
import { trainPool } from '../../src/node/train/pool.js';
import { TINY_MODEL } from '../helpers/shared.js';
import { referenceCase } from './helpers.js';

describe('learning-rate schedule (recipe: 200 warm-up steps from 0, cosine to 1e-5)', () => {
  const sch = { lr: 5e-4, warmup: 200, minLr: 1e-5, total: 1200 };
  it.each([
    [0, 0],
    [100, 2.5e-4],
    [199, (5e-4 * 199) / 200],
    [200, 5e-4],
    [700, 1e-5 + 0.5 * (5e-4 - 1e-5)], // p = 0.5
    [450, 1e-5 + 0.5 * (5e-4 - 1e-5) * (1 + Math.cos(Math.PI / 4))], // p = 0.25
    [1200, 1e-5],
  ])('step %i → %f', (s, want) => {
    expect(learningRate(s, sch)).toBeCloseTo(want, 15);
  });

  it('keeps the recipe warm-up for long runs and a tenth of short ones', () => {
    expect(defaultWarmup(5000)).toBe(200);
    expect(defaultWarmup(20)).toBe(2);
    expect(defaultWarmup(1)).toBe(1);
  });
});

describe('split steps give the whole batch gradient (tiny model, float64 reference)', () => {
  const { layout, params, ref, B, T, ids, labels, count } = referenceCase(TINY_MODEL(), 'golden', 'tiny_model', 'grads.json');

  /** Worst |g − reference| relative to the tensor's largest |reference gradient|, over all tensors. */
  function worstError(l: ParamLayout, g: Float32Array): number {
    let worst = 0;
    for (const t of l.tensors) {
      const want = ref.float64.grads[t.name] as number[];
      let scale = 0;
      for (const w of want) scale = Math.max(scale, Math.abs(w));
      for (let i = 0; i < t.size; i++) worst = Math.max(worst, Math.abs(g[t.offset + i]! - want[i]!) / scale);
    }
    return worst;
  }

  it('accumulating one row at a time (activations planned for one row)', () => {
    const g = new Float32Array(layout.total);
    const sum = accumulateGradients(layout, params, g, planActivations(layout, 1, T), ids, labels, 0, B, T, 1 / count);
    expect(Math.abs(sum / count - ref.float64.loss) / ref.float64.loss).toBeLessThan(1e-6);
    expect(worstError(layout, g)).toBeLessThan(1e-4);
  });

  it('accumulating one row at a time on the training kernels (planned for two rows: each call uses fewer)', () => {
    const engine = new KernelGpt(layout, 2, T);
    engine.loadParams(params);
    let sum = 0;
    for (let r = 0; r < B; r++) sum += accumulateGradientsKernel(engine, ids, labels, r, r + 1, T, 1 / count);
    expect(Math.abs(sum / count - ref.float64.loss) / ref.float64.loss).toBeLessThan(1e-6);
    expect(worstError(layout, engine.grads)).toBeLessThan(1e-4);
  });

  /** The gradient of one step of a pool of `threads` threads over the whole batch. */
  async function poolGradient(threads: number): Promise<Float32Array> {
    const pool = await trainPool(layout, params, threads, B, T);
    try {
      pool.ids.set(ids);
      pool.labels.set(labels);
      await pool.zeroGrads();
      await pool.backward(B, 1 / count);
      pool.reduce();
      return pool.grads.slice();
    } finally {
      await pool.close();
    }
  }

  it("one thread runs on the kernels, and on the plain-JS layer functions after setKernelBackend('js')", async () => {
    const engine = new KernelGpt(layout, B, T);
    engine.loadParams(params);
    accumulateGradientsKernel(engine, ids, labels, 0, B, T, 1 / count);
    const js = new Float32Array(layout.total);
    accumulateGradients(layout, params, js, planActivations(layout, B, T), ids, labels, 0, B, T, 1 / count);
    expect(engine.grads).not.toEqual(js); // float32 and float64 sums differ in the last bits
    expect(await poolGradient(1)).toEqual(engine.grads);
    setKernelBackend('js');
    try {
      expect(await poolGradient(1)).toEqual(js);
    } finally {
      setKernelBackend('wasm');
    }
  });

  it('two threads give the same gradient, bit for bit, run after run', async () => {
    expect(await poolGradient(2)).toEqual(await poolGradient(2));
  });

  it('two worker threads over shared memory, reduced in thread order', async () => {
    const pool = await trainPool(layout, params, 2, B, T);
    try {
      expect(pool.threadCount).toBe(2);
      pool.ids.set(ids);
      pool.labels.set(labels);
      await pool.zeroGrads();
      const sum = await pool.backward(B, 1 / count);
      pool.reduce();
      expect(Math.abs(sum / count - ref.float64.loss) / ref.float64.loss).toBeLessThan(1e-6);
      expect(worstError(layout, pool.grads)).toBeLessThan(1e-4);
      // a forward-only pass over the same rows gives the same summed loss
      expect(await pool.loss(B)).toBeCloseTo(sum, 9);
    } finally {
      await pool.close();
    }
  });
});
