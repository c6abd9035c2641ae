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
    const cpu0 = process.cpuUsage();
    for (let s = 0; s < o.steps; s++) await step();
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    // CPU time of every thread of the process: the figure that holds on a machine shared with other work
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const tokens = o.steps * o.batch * o.seqLen;
    return {
      train_tokens_per_second: tokens / seconds,
      train_tokens_per_cpu_second: tokens / cpuSeconds,
      peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
      threads: pool.threadCount,
      batch: o.batch,
      seq_len: o.seqLen,
      steps: o.steps,
    };
  } finally {
    await pool.close();
  }
}
