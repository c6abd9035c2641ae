// The training loop: load (or resume), measure the validation loss, run clipped AdamW steps over
// shuffled blocks on the thread pool, log metrics, draw the loss curve, checkpoint atomically.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { Model } from '../../core/neo/model.js';
import type { Packed } from '../../core/train/data.js';
import { countTargets } from '../../core/train/gpt.js';
import { randomParams } from '../../core/train/init.js';
import {
  ADAMW_DEFAULTS, adamw_update, adamwState, clipGradNorm, defaultWarmup, learningRate, type AdamWState,
} from '../../core/train/optim.js';
import { paramLayout, paramsFromWeights } from '../../core/train/params.js';
import { lossCurveSvg, type CurvePoint } from '../../core/train/plot.js';
import { deriveSeed, mulberry32, permutation } from '../../core/train/rng.js';
import { pathKind, writeFileAtomic } from '../files.js';
import { loadModel } from '../load.js';
import { existingCheckpoint, loadOptimizer, loadTrainingState, saveCheckpoint, type TrainingState } from './checkpoint.js';
import { fingerprint, prepareData, type PreparedData } from './dataset.js';
import { TrainPool } from './pool.js';

export interface TrainOptions {
  model: string;
  data: string;
  valData?: string;
  botSpeaker: string;
  out: string;
  steps?: number;
  epochs: number;
  lr: number;
  batch: number;
  accum: number;
  seqLen: number;
  threads: number;
  resume: boolean;
  seed: number;
  warmup?: number;
  weightDecay: number;
  clip: number;
  valEvery: number;
  saveEvery: number;
  valFraction: number;
  /** Most validation blocks evaluated each time (the first ones of the split). */
  valBlocks: number;
  /** Start from random weights of the model's config instead of its trained weights. */
  fromScratch: boolean;
}

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  secondsLeft: number;
}

export interface TrainEvents {
  data?(d: PreparedData): void;
  start?(state: TrainingState): void;
  step?(m: StepMetrics, state: TrainingState): void;
  validation?(step: number, loss: number): void;
  checkpoint?(dir: string): void;
}

export interface TrainResult {
  valLossBefore: number;
  valLossAfter: number;
  trainTokensPerSecond: number;
  steps: number;
  checkpoint: string;
  model: Model;
  params: Float32Array;
}

const MIN_LR = 1e-5;

/** Σ loss / count over the validation blocks (at most valBlocks of them). */
async function validationLoss(pool: TrainPool, val: Packed, valBlocks: number): Promise<number> {
  const T = val.seqLen;
  const n = Math.min(val.n, valBlocks);
  let sum = 0;
  let count = 0;
  for (let b = 0; b < n; b += pool.rows) {
    const rows = Math.min(pool.rows, n - b);
    pool.ids.set(val.ids.subarray(b * T, (b + rows) * T));
    pool.labels.set(val.labels.subarray(b * T, (b + rows) * T));
    count += countTargets(pool.labels, rows, T);
    sum += await pool.loss(rows);
  }
  return count === 0 ? NaN : sum / count;
}

/** Metric lines (JSONL) up to and including `step`: a resumed run rewrites what came after its checkpoint. */
function keepMetrics(file: string, step: number): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && (JSON.parse(l) as { step: number }).step <= step)
    .map((l) => `${l}\n`)
    .join('');
}

function curves(file: string): { train: CurvePoint[]; val: CurvePoint[] } {
  const train: CurvePoint[] = [];
  const val: CurvePoint[] = [];
  if (existsSync(file)) {
    for (const l of readFileSync(file, 'utf8').split('\n')) {
      if (l.trim() === '') continue;
      const m = JSON.parse(l) as { step: number; loss?: number; val_loss?: number };
      if (m.loss !== undefined) train.push({ step: m.step, loss: m.loss });
      if (m.val_loss !== undefined) val.push({ step: m.step, loss: m.val_loss });
    }
  }
  return { train, val };
}

export async function train(o: TrainOptions, ev: TrainEvents = {}): Promise<TrainResult> {
  for (const [flag, file] of [['--data', o.data], ['--val-data', o.valData]] as const) {
    if (file !== undefined && (await pathKind(file)) !== 'file') throw new UsageError(`${flag} ${file}: no such file`);
  }
  await mkdir(o.out, { recursive: true });
  const resumeDir = o.resume ? existingCheckpoint(o.out) : undefined;
  if (o.resume && !resumeDir) throw new UsageError(`--resume: no checkpoint in ${o.out} (expected ${join(o.out, 'model')})`);
  const saved = resumeDir ? await loadTrainingState(resumeDir) : undefined;
  const model = await loadModel(resumeDir ?? o.model);
  const layout = paramLayout(model.config);
  // a resumed run keeps the settings it started with
  const seqLen = saved?.seqLen ?? o.seqLen;
  if (seqLen > model.config.maxPositions) throw new UsageError(`--seq-len ${seqLen} exceeds the model's ${model.config.maxPositions} positions`);
  const data = await prepareData(model.tokenizer, { ...o, seqLen });
  ev.data?.(data);
  const fp = fingerprint(data.train);
  if (saved && saved.dataFingerprint !== fp) {
    throw new UsageError(`--resume: ${o.data} is not the data the run in ${o.out} was trained on`);
  }
  const batch = saved?.batch ?? o.batch;
  const accum = saved?.accum ?? o.accum;
  const rowsPerStep = batch * accum;
  const totalSteps = saved?.totalSteps ?? o.steps ?? Math.max(1, Math.ceil((o.epochs * data.train.n) / rowsPerStep));
  const seed = saved?.seed ?? o.seed;
  const params = saved ? paramsFromWeights(layout, model.weights) : o.fromScratch ? randomParams(layout, seed) : paramsFromWeights(layout, model.weights);
  const pool = await TrainPool.create(layout, params, saved?.threads ?? o.threads, batch, seqLen);
  try {
    const adam: AdamWState = resumeDir ? await loadOptimizer(resumeDir, layout) : adamwState(layout.total);
    const state: TrainingState = saved ?? {
      version: 1,
      step: 0,
      totalSteps,
      seed,
      threads: pool.threadCount,
      batch,
      accum,
      seqLen,
      lr: o.lr,
      warmup: o.warmup ?? defaultWarmup(totalSteps),
      minLr: MIN_LR,
      weightDecay: o.weightDecay,
      clip: o.clip,
      beta1: ADAMW_DEFAULTS.beta1,
      beta2: ADAMW_DEFAULTS.beta2,
      eps: ADAMW_DEFAULTS.eps,
      dataFingerprint: fp,
      valLossBefore: NaN,
      trainTokens: 0,
      trainSeconds: 0,
    };
    const metricsFile = join(o.out, 'metrics.jsonl');
    const curveFile = join(o.out, 'loss-curve.svg');
    await writeFileAtomic(metricsFile, keepMetrics(metricsFile, saved ? state.step : -1));
    const log = (m: Record<string, number>) => appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
    const drawCurve = async () => {
      const c = curves(metricsFile);
      await writeFileAtomic(curveFile, lossCurveSvg(c.train, c.val, `tinytalk train: ${o.data}`));
    };
    if (!saved) {
      state.valLossBefore = await validationLoss(pool, data.val, o.valBlocks);
      log({ step: 0, val_loss: state.valLossBefore });
      ev.validation?.(0, state.valLossBefore);
    }
    ev.start?.(state);
    const sched = { lr: state.lr, warmup: state.warmup, minLr: state.minLr, total: state.totalSteps };
    const settings = { beta1: state.beta1, beta2: state.beta2, eps: state.eps, weightDecay: state.weightDecay };
    const T = seqLen;
    const n = data.train.n;
    const orders = new Map<number, Uint32Array>();
    const blockAt = (g: number): number => {
      const epoch = Math.floor(g / n);
      let perm = orders.get(epoch);
      if (!perm) {
        orders.clear();
        perm = permutation(n, mulberry32(deriveSeed(seed, epoch)));
        orders.set(epoch, perm);
      }
      return perm[g % n]!;
    };
    const fillMicro = (micro: number) => {
      // rows of optimizer step state.step, micro-batch `micro`: global rows g = (step·accum + micro)·batch + r
      for (let r = 0; r < batch; r++) {
        const blk = blockAt((state.step * accum + micro) * batch + r);
        pool.ids.set(data.train.ids.subarray(blk * T, (blk + 1) * T), r * T);
        pool.labels.set(data.train.labels.subarray(blk * T, (blk + 1) * T), r * T);
      }
    };
    let lastVal = state.valLossBefore;
    let dir = '';
    while (state.step < state.totalSteps) {
      const t0 = performance.now();
      let count = 0;
      for (let m = 0; m < accum; m++) {
        fillMicro(m);
        count += countTargets(pool.labels, batch, T);
      }
      await pool.zeroGrads();
      let sum = 0;
      if (count > 0) {
        for (let m = 0; m < accum; m++) {
          if (accum > 1) fillMicro(m); // the pool holds one micro-batch at a time
          sum += await pool.backward(batch, 1 / count);
        }
      }
      pool.reduce();
      const lr = learningRate(state.step, sched);
      const gradNorm = clipGradNorm(pool.grads, state.clip);
      adamw_update(pool.params, pool.grads, adam, lr, settings);
      const seconds = (performance.now() - t0) / 1000;
      state.step += 1;
      state.trainTokens += rowsPerStep * T;
      state.trainSeconds += seconds;
      const loss = count > 0 ? sum / count : NaN;
      const tps = state.trainTokens / state.trainSeconds;
      log({ step: state.step, loss, lr, grad_norm: gradNorm, tokens_per_second: tps });
      ev.step?.({ step: state.step, loss, lr, gradNorm, tokensPerSecond: tps, secondsLeft: ((state.totalSteps - state.step) * rowsPerStep * T) / tps }, state);
      const last = state.step === state.totalSteps;
      if (last || state.step % o.valEvery === 0) {
        lastVal = await validationLoss(pool, data.val, o.valBlocks);
        log({ step: state.step, val_loss: lastVal });
        ev.validation?.(state.step, lastVal);
      }
      if (last || state.step % o.saveEvery === 0) {
        await drawCurve();
        dir = await saveCheckpoint(o.out, model, layout, pool.params, adam, state);
        ev.checkpoint?.(dir);
      }
    }
    if (!dir) {
      // resumed a run that had already finished
      lastVal = await validationLoss(pool, data.val, o.valBlocks);
      dir = resumeDir!;
    }
    return {
      valLossBefore: state.valLossBefore,
      valLossAfter: lastVal,
      trainTokensPerSecond: state.trainSeconds > 0 ? state.trainTokens / state.trainSeconds : 0,
      steps: state.step,
      checkpoint: dir,
      model,
      params: Float32Array.from(pool.params),
    };
  } finally {
    await pool.close();
  }
}
