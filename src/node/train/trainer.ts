// `tinytalk train` on disk: load (or resume) the model and the data files, run the core training
// loop (core/train/loop.ts) on worker threads, log metrics, draw the loss curve, checkpoint atomically.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import type { Model } from '../../core/neo/model.js';
import { fingerprint, type PreparedData } from '../../core/train/dataset.js';
import { randomParams } from '../../core/train/init.js';
import { newTrainingState, runSteps, validationLoss, type RunSettings, type StepMetrics, type TrainingState } from '../../core/train/loop.js';
import { adamwState, type AdamWState } from '../../core/train/optim.js';
import { paramLayout, paramsFromWeights } from '../../core/train/params.js';
import { lossCurveSvg, type CurvePoint } from '../../core/train/plot.js';
import { pathKind, writeFileAtomic } from '../files.js';
import { loadModel } from '../load.js';
import { existingCheckpoint, loadOptimizer, loadTrainingState, saveCheckpoint } from './checkpoint.js';
import { prepareData } from './dataset.js';
import { trainPool } from './pool.js';

export interface TrainOptions extends RunSettings {
  model: string;
  data: string;
  valData?: string;
  botSpeaker: string;
  out: string;
  threads: number;
  resume: boolean;
  valEvery: number;
  saveEvery: number;
  valFraction: number;
  /** Most validation blocks evaluated each time (the first ones of the split). */
  valBlocks: number;
  /** Start from random weights of the model's config instead of its trained weights. */
  fromScratch: boolean;
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
  if (saved && saved.dataFingerprint !== fingerprint(data.train)) {
    throw new UsageError(`--resume: ${o.data} is not the data the run in ${o.out} was trained on`);
  }
  const batch = saved?.batch ?? o.batch;
  const params = saved || !o.fromScratch ? paramsFromWeights(layout, model.weights) : randomParams(layout, o.seed);
  const pool = await trainPool(layout, params, saved?.threads ?? o.threads, batch, seqLen);
  try {
    const adam: AdamWState = resumeDir ? await loadOptimizer(resumeDir, layout) : adamwState(layout.total);
    const state: TrainingState = saved ?? newTrainingState({ ...o, seqLen }, data.train, pool.threadCount);
    const metricsFile = join(o.out, 'metrics.jsonl');
    const curveFile = join(o.out, 'loss-curve.svg');
    await writeFileAtomic(metricsFile, keepMetrics(metricsFile, saved ? state.step : -1));
    const log = (m: Record<string, number>) => appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
    let dir = '';
    let lastVal = await runSteps(
      { pool, train: data.train, val: data.val, state, adam, valEvery: o.valEvery, saveEvery: o.saveEvery, valBlocks: o.valBlocks },
      {
        start: (s) => ev.start?.(s),
        step(m, s) {
          log({ step: m.step, loss: m.loss, lr: m.lr, grad_norm: m.gradNorm, tokens_per_second: m.tokensPerSecond });
          ev.step?.(m, s);
        },
        validation(step, loss) {
          log({ step, val_loss: loss });
          ev.validation?.(step, loss);
        },
        async checkpoint(s) {
          const c = curves(metricsFile);
          await writeFileAtomic(curveFile, lossCurveSvg(c.train, c.val, `tinytalk train: ${o.data}`));
          dir = await saveCheckpoint(o.out, model, layout, pool.params, adam, s);
          ev.checkpoint?.(dir);
        },
      },
    );
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
