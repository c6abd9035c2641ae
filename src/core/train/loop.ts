// The training loop of `tinytalk train` and of the page's Teach view: the packed training blocks
// in a seeded order per epoch, fed to a TrainPool one micro-batch at a time, clipped AdamW steps
// on the recipe's schedule, validation every so often. What to keep (files, a chart) is the
// caller's, through the events; the state says everything a resumed run needs. With
// quantization-aware training (qat.ts) the optimizer updates the master weights and the pool
// always computes with their Q4_0 projection, validation included.
import type { Packed } from './data.js';
import { fingerprint } from './dataset.js';
import { countTargets } from './gpt.js';
import { ADAMW_DEFAULTS, adamw_update, clipGradNorm, defaultWarmup, learningRate, type AdamWState } from './optim.js';
import type { TrainPool } from './pool.js';
import type { Q4Quantizer } from '../formats/quant.js';
import type { Q4Training, QatMode } from './qat.js';
import { deriveSeed, mulberry32, permutation } from './rng.js';

/** The settings of a run when nothing else is asked for (the CLI's flags and the page's fields). */
export const TRAIN_DEFAULTS = {
  epochs: 2,
  lr: 5e-4,
  batch: 8,
  accum: 1,
  seqLen: 256,
  seed: 1234,
  weightDecay: 0.01,
  clip: 1,
  valEvery: 50,
  saveEvery: 100,
  valFraction: 0.05,
  valBlocks: 64,
} as const;

/** The cosine schedule's floor (the recipe's). */
const MIN_LR = 1e-5;

/** Everything besides parameters and moments that makes a resumed run continue exactly. */
export interface TrainingState {
  version: 1;
  step: number; // optimizer steps completed
  totalSteps: number;
  seed: number;
  threads: number;
  batch: number;
  accum: number;
  seqLen: number;
  lr: number;
  warmup: number;
  minLr: number;
  weightDecay: number;
  clip: number;
  beta1: number;
  beta2: number;
  eps: number;
  dataFingerprint: string;
  valLossBefore: number; // NaN until measured
  trainTokens: number; // tokens processed so far
  trainSeconds: number; // time spent in training steps so far
  /** Quantization-aware training (absent in runs that predate it: 'none'). */
  qat?: QatMode;
  /** The Q4_0 scale rule QAT projects with and the export uses (absent: 'max'). */
  q4Quantizer?: Q4Quantizer;
}

export interface RunSettings {
  /** Optimizer steps; default from epochs. */
  steps?: number;
  epochs: number;
  lr: number;
  batch: number;
  accum: number;
  seqLen: number;
  seed: number;
  /** Default: defaultWarmup(steps). */
  warmup?: number;
  weightDecay: number;
  clip: number;
  /** Default 'none'. */
  qat?: QatMode;
  /** Default 'max'. */
  q4Quantizer?: Q4Quantizer;
}

/** The state of a new run over these training blocks, on `threads` threads. */
export function newTrainingState(s: RunSettings, train: Packed, threads: number): TrainingState {
  const totalSteps = s.steps ?? Math.max(1, Math.ceil((s.epochs * train.n) / (s.batch * s.accum)));
  return {
    version: 1,
    step: 0,
    totalSteps,
    seed: s.seed,
    threads,
    batch: s.batch,
    accum: s.accum,
    seqLen: s.seqLen,
    lr: s.lr,
    warmup: s.warmup ?? defaultWarmup(totalSteps),
    minLr: MIN_LR,
    weightDecay: s.weightDecay,
    clip: s.clip,
    beta1: ADAMW_DEFAULTS.beta1,
    beta2: ADAMW_DEFAULTS.beta2,
    eps: ADAMW_DEFAULTS.eps,
    dataFingerprint: fingerprint(train),
    valLossBefore: NaN,
    trainTokens: 0,
    trainSeconds: 0,
    qat: s.qat ?? 'none',
    q4Quantizer: s.q4Quantizer ?? 'max',
  };
}

export interface StepMetrics {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  tokensPerSecond: number;
  secondsLeft: number;
}

/** What a run tells its caller; a returned promise is awaited (e.g. while the user pauses). */
export interface LoopEvents {
  /** After the first validation, before the first step. */
  start?(state: TrainingState): void | Promise<void>;
  step?(m: StepMetrics, state: TrainingState): void | Promise<void>;
  validation?(step: number, loss: number): void | Promise<void>;
  /** Every saveEvery steps and at the end: time to keep the parameters. */
  checkpoint?(state: TrainingState): void | Promise<void>;
}

export interface TrainingRun {
  pool: TrainPool;
  train: Packed;
  val: Packed;
  state: TrainingState;
  adam: AdamWState;
  valEvery: number;
  saveEvery: number;
  /** Most validation blocks evaluated each time (the first ones of the split). */
  valBlocks: number;
  /** With QAT: the optimizer updates qat.master, and pool.params holds its Q4_0 projection. */
  qat?: Q4Training;
  /** Asked before each step: true ends the run there, as if it were the last step. */
  stopped?(): boolean;
}

/** Σ loss / count over the validation blocks (at most valBlocks of them). */
export async function validationLoss(pool: TrainPool, val: Packed, valBlocks: number): Promise<number> {
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

/**
 * Runs the steps from state.step to state.totalSteps (or until stopped), measuring the validation
 * loss first when the state has none yet; returns the last validation loss.
 */
export async function runSteps(run: TrainingRun, ev: LoopEvents = {}): Promise<number> {
  const { pool, train, state, adam, qat } = run;
  qat?.project(pool.params);
  const validate = async () => {
    const loss = await validationLoss(pool, run.val, run.valBlocks);
    await ev.validation?.(state.step, loss);
    return loss;
  };
  if (Number.isNaN(state.valLossBefore)) state.valLossBefore = await validate();
  await ev.start?.(state);
  const sched = { lr: state.lr, warmup: state.warmup, minLr: state.minLr, total: state.totalSteps };
  const settings = { beta1: state.beta1, beta2: state.beta2, eps: state.eps, weightDecay: state.weightDecay };
  const { batch, accum, seqLen: T } = state;
  const rowsPerStep = batch * accum;
  const n = train.n;
  let order: { epoch: number; perm: Uint32Array } = { epoch: -1, perm: new Uint32Array(0) };
  const blockAt = (g: number): number => {
    const epoch = Math.floor(g / n);
    if (order.epoch !== epoch) order = { epoch, perm: permutation(n, mulberry32(deriveSeed(state.seed, epoch))) };
    return order.perm[g % n]!;
  };
  const fillMicro = (micro: number) => {
    // rows of optimizer step state.step, micro-batch `micro`: global rows g = (step·accum + micro)·batch + r
    for (let r = 0; r < batch; r++) {
      const blk = blockAt((state.step * accum + micro) * batch + r);
      pool.ids.set(train.ids.subarray(blk * T, (blk + 1) * T), r * T);
      pool.labels.set(train.labels.subarray(blk * T, (blk + 1) * T), r * T);
    }
  };
  let lastVal = state.valLossBefore;
  while (state.step < state.totalSteps && !run.stopped?.()) {
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
    qat?.chain(pool.grads, pool.params);
    const lr = learningRate(state.step, sched);
    const gradNorm = clipGradNorm(pool.grads, state.clip);
    // straight-through: the gradient of the quantized weights moves the master weights
    adamw_update(qat?.master ?? pool.params, pool.grads, adam, lr, settings);
    qat?.project(pool.params);
    const seconds = (performance.now() - t0) / 1000;
    state.step += 1;
    state.trainTokens += rowsPerStep * T;
    state.trainSeconds += seconds;
    const tps = state.trainTokens / state.trainSeconds;
    const secondsLeft = ((state.totalSteps - state.step) * rowsPerStep * T) / tps;
    await ev.step?.({ step: state.step, loss: count > 0 ? sum / count : NaN, lr, gradNorm, tokensPerSecond: tps, secondsLeft }, state);
    const last = state.step === state.totalSteps || run.stopped?.() === true;
    if (last || state.step % run.valEvery === 0) lastVal = await validate();
    if (last || state.step % run.saveEvery === 0) await ev.checkpoint?.(state);
  }
  return lastVal;
}
