// Training throughput: full optimizer steps (forward, backward, clip, AdamW) on random token
// blocks, so the number does not depend on any data file.
import { paramLayout, paramsFromWeights } from '../../core/train/params.js';
import { ADAMW_DEFAULTS, adamw_update, adamwState, clipGradNorm } from '../../core/train/optim.js';
import { mulberry32 } from '../../core/train/rng.js';
import { loadModel } from '../load.js';
import { trainPool } from './pool.js';

export interface BenchOptions {
  steps: number;
  batch: number;
  seqLen: number;
  threads: number;
}

export async function benchmarkTraining(ref: string, o: BenchOptions) {
  const model = await loadModel(ref);
  const layout = paramLayout(model.config);
  const pool = await trainPool(layout, paramsFromWeights(layout, model.weights), o.threads, o.batch, o.seqLen);
  try {
    const rand = mulberry32(1);
    for (let i = 0; i < pool.ids.length; i++) pool.ids[i] = Math.floor(rand() * model.config.vocabSize);
    pool.labels.set(pool.ids);
    const adam = adamwState(layout.total);
    const step = async () => {
      await pool.zeroGrads();
      await pool.backward(o.batch, 1 / (o.batch * (o.seqLen - 1)));
      pool.reduce();
      clipGradNorm(pool.grads, 1);
      adamw_update(pool.params, pool.grads, adam, 1e-5, ADAMW_DEFAULTS);
    };
    await step(); // warm-up: JIT and page faults
    const t0 = performance.now();
    for (let s = 0; s < o.steps; s++) await step();
    const seconds = (performance.now() - t0) / 1000;
    return {
      train_tokens_per_second: (o.steps * o.batch * o.seqLen) / seconds,
      threads: pool.threadCount,
      batch: o.batch,
      seq_len: o.seqLen,
      steps: o.steps,
    };
  } finally {
    await pool.close();
  }
}
