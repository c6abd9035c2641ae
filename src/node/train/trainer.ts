// The training loop: load (or resume), measure the validation loss, run clipped AdamW steps over
// shuffled blocks on the thread pool, log metrics, draw the loss curve, checkpoint atomically.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { neoForm } from '../../core/formats/neo-form.js';
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
import { checkpointDir, existingCheckpoint, loadOptimizer, loadTrainingState, saveCheckpoint, type TrainingState } from './checkpoint.js';
import { fingerprint, prepareData, type PreparedData } from './dataset.js';
import { TrainPool } from './pool.js';

export interface TrainOptions {
  model: string;
  data: string;
  valData?: string;
  botSpeaker: string;
  out: string;
  /** Optimizer steps; with resume, a larger number extends a run (its schedule recomputed for the new total). */
  steps?: number;
  epochs: number;
  lr: number;
  batch: number;
  accum: number;
  seqLen: number;
  threads: number;
  resume: boolean;
  /** Replace a run already in `out` (without resume). */
  force?: boolean;
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
  /** A resumed run given a new --steps: its schedule now ends at `to`, and step `from` + 1 runs at `lr`. */
  extend?(from: number, to: number, lr: number): void;
  start?(state: TrainingState): void;
  step?(m: StepMetrics, state: TrainingState): void;
  validation?(step: number, loss: number): void;
  checkpoint?(dir: string): void;
}

export interface TrainResult {
  /** A resumed run that had already done all its steps: nothing was trained. */
  complete: boolean;
  valLossBefore: number;
  valLossAfter: number;
  trainTokensPerSecond: number;
  steps: number;
  checkpoint: string;
  model: Model;
  params: Float32Array;
}

const MIN_LR = 1e-5;

const METRICS_FILE = 'metrics.jsonl';
const CURVE_FILE = 'loss-curve.svg';

/** What a run has written into `out` (the names a new run there would replace). */
async function runFiles(out: string): Promise<string[]> {
  const model = basename(checkpointDir(out));
  const names = [model, `${model}.old`, METRICS_FILE, CURVE_FILE];
  const kinds = await Promise.all(names.map((n) => pathKind(join(out, n))));
  return names.filter((_, i) => kinds[i] !== undefined);
}

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

/** The last validation loss a run logged (NaN when none). */
function lastValidation(file: string): number {
  const val = curves(file).val;
  return val.length > 0 ? val[val.length - 1]!.loss : NaN;
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
  // Nothing is created or replaced until every input has been read and found good.
  if ((await pathKind(o.out)) === 'file') throw new UsageError(`--out ${o.out} is a file; give a directory for the run`);
  const present = await runFiles(o.out);
  const resumeDir = o.resume ? existingCheckpoint(o.out) : undefined;
  if (o.resume && !resumeDir) throw new UsageError(`--resume: no checkpoint in ${o.out} (expected ${join(o.out, 'model')})`);
  if (!o.resume && present.length > 0 && !o.force) {
    throw new UsageError(
      `${o.out} already holds a training run (${present.join(', ')}): continue it with --resume, ` +
        'write to another --out, or replace it with --force',
    );
  }
  const saved = resumeDir ? await loadTrainingState(resumeDir) : undefined;
  if (saved && o.steps !== undefined && o.steps < saved.step) {
    throw new UsageError(`--steps ${o.steps}: the run in ${o.out} has already done ${saved.step} steps; give --steps ${saved.step} or more`);
  }
  const loaded = await loadModel(resumeDir ?? o.model);
  const model = { ...loaded, ...neoForm(loaded.config, loaded.weights) }; // a GGUF's GPT-2 form trains as GPT-Neo
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
  const metricsFile = join(o.out, METRICS_FILE);
  if (saved && saved.step >= (o.steps ?? saved.totalSteps)) {
    // nothing left to train: the run as it stands
    const params = paramsFromWeights(layout, model.weights);
    const tps = saved.trainSeconds > 0 ? saved.trainTokens / saved.trainSeconds : 0;
    return {
      complete: true, valLossBefore: saved.valLossBefore, valLossAfter: lastValidation(metricsFile),
      trainTokensPerSecond: tps, steps: saved.step, checkpoint: resumeDir!, model, params,
    };
  }
  if (!o.resume && present.length > 0) {
    // --force: the old run goes now, so a kill before the first checkpoint cannot leave its model/ to be resumed
    for (const name of present) await rm(join(o.out, name), { recursive: true, force: true });
  }
  await mkdir(o.out, { recursive: true });
  const batch = saved?.batch ?? o.batch;
  const accum = saved?.accum ?? o.accum;
  const rowsPerStep = batch * accum;
  const totalSteps = o.steps ?? saved?.totalSteps ?? Math.max(1, Math.ceil((o.epochs * data.train.n) / rowsPerStep));
  const seed = saved?.seed ?? o.seed;
  const params = saved ? paramsFromWeights(layout, model.weights) : o.fromScratch ? randomParams(layout, seed) : paramsFromWeights(layout, model.weights);
  const pool = await TrainPool.create(layout, params, saved?.threads ?? o.threads, batch, seqLen);
  try {
    const adam: AdamWState = resumeDir ? await loadOptimizer(resumeDir, layout) : adamwState(layout.total);
    const state: TrainingState = saved ? { ...saved, totalSteps } : {
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
    const curveFile = join(o.out, CURVE_FILE);
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
    const sched = { lr: state.lr, warmup: state.warmup, minLr: state.minLr, total: state.totalSteps };
    if (saved && totalSteps !== saved.totalSteps) ev.extend?.(saved.step, totalSteps, learningRate(saved.step, sched));
    ev.start?.(state);
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
    return {
      complete: false,
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
