// `tinytalk train` on disk: load (or resume) the model and the data files, run the core training
// loop (core/train/loop.ts) on worker threads, log metrics, draw the loss curve, checkpoint atomically,
// and at the end write the requested exports and validate them as written (export.ts).
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { neoForm } from '../../core/formats/neo-form.js';
import type { Model } from '../../core/neo/model.js';
import { fingerprint, type PreparedData } from '../../core/train/dataset.js';
import { randomParams } from '../../core/train/init.js';
import type { QatMode } from '../../core/train/qat.js';
import { newTrainingState, runSteps, validationLoss, type RunSettings, type StepMetrics, type TrainingState } from '../../core/train/loop.js';
import { adamwState, learningRate, type AdamWState } from '../../core/train/optim.js';
import { paramLayout, paramsFromWeights } from '../../core/train/params.js';
import { lossCurveSvg, type CurvePoint } from '../../core/train/plot.js';
import { Q4Training } from '../../core/train/qat.js';
import { pathKind, writeFileAtomic } from '../files.js';
import { loadModel } from '../load.js';
import { checkpointDir, existingCheckpoint, loadOptimizer, loadTrainingState, saveCheckpoint } from './checkpoint.js';
import { prepareData } from './dataset.js';
import type { Packed } from '../../core/train/data.js';
import type { TrainPool } from '../../core/train/pool.js';
import { exportRun, type ExportReport, type ExportTargets } from './export.js';
import { trainPool } from './pool.js';

export interface TrainOptions extends RunSettings {
  model: string;
  data: string;
  valData?: string;
  botSpeaker: string;
  out: string;
  threads: number;
  resume: boolean;
  /** Replace a run already in `out` (without resume). */
  force?: boolean;
  valEvery: number;
  saveEvery: number;
  valFraction: number;
  /** Most validation blocks evaluated each time (the first ones of the split). */
  valBlocks: number;
  /** Start from random weights of the model's config instead of its trained weights. */
  fromScratch: boolean;
  /** Exports written (and validated as written) at the end; the firmware's quantizer is the run's. */
  exports?: Omit<ExportTargets, 'quantizer'>;
  /** The settings the user gave (not defaults): with resume, each must agree with the run's own. */
  given?: ReadonlySet<string>;
}

/** Settings a resumed run keeps from its start: the option's name and its flag. */
const KEPT_ON_RESUME = [
  ['lr', '--lr'], ['batch', '--batch'], ['accum', '--accum'], ['seqLen', '--seq-len'], ['threads', '--threads'], ['seed', '--seed'],
  ['warmup', '--warmup'], ['weightDecay', '--weight-decay'], ['clip', '--clip'], ['qat', '--qat'], ['q4Quantizer', '--q4-quantizer'],
] as const;

/** Refuses a setting given with --resume that differs from the run's: it would be ignored otherwise. */
function checkResumedSettings(o: TrainOptions, saved: TrainingState): void {
  for (const [key, flag] of KEPT_ON_RESUME) {
    if (!o.given?.has(key) || o[key] === undefined || o[key] === saved[key]) continue;
    throw new UsageError(
      `--resume: the run in ${o.out} was started with ${flag} ${saved[key]}, and a resumed run keeps its settings ` +
      `(it continues exactly where it stopped): leave ${flag} out, or start a new run in another --out`,
    );
  }
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
  /** The last validation loss: of the Q4_0 weights when the run is quantization-aware. */
  valLossAfter: number;
  /** What the run trained with (a resumed run keeps its own). */
  qat: QatMode;
  exports: ExportReport;
  trainTokensPerSecond: number;
  steps: number;
  checkpoint: string;
  model: Model;
  params: Float32Array;
}

const METRICS_FILE = 'metrics.jsonl';
const CURVE_FILE = 'loss-curve.svg';

/** What a run has written into `out` (the names a new run there would replace). */
async function runFiles(out: string): Promise<string[]> {
  const model = basename(checkpointDir(out));
  const names = [model, `${model}.old`, METRICS_FILE, CURVE_FILE];
  const kinds = await Promise.all(names.map((n) => pathKind(join(out, n))));
  return names.filter((_, i) => kinds[i] !== undefined);
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

/** The validation loss of any parameters, on the pool (whose parameters it replaces). */
function lossOf(pool: TrainPool, val: Packed, valBlocks: number): (p: Float32Array) => Promise<number> {
  return async (p) => {
    pool.params.set(p);
    return validationLoss(pool, val, valBlocks);
  };
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
  if (saved) checkResumedSettings(o, saved);
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
  if (saved && saved.dataFingerprint !== fingerprint(data.train)) {
    throw new UsageError(`--resume: ${o.data} is not the data the run in ${o.out} was trained on`);
  }
  const metricsFile = join(o.out, METRICS_FILE);
  if (saved && saved.step >= (o.steps ?? saved.totalSteps)) {
    // nothing left to train: the run as it stands
    const tps = saved.trainSeconds > 0 ? saved.trainTokens / saved.trainSeconds : 0;
    const params = paramsFromWeights(layout, model.weights);
    let exports: ExportReport = {};
    if (o.exports) {
      // its exports are still written and validated, on a one-thread pool of the run's shape
      const pool = await trainPool(layout, params, 1, saved.batch, seqLen);
      try {
        const { master } = await loadOptimizer(resumeDir!, layout);
        exports = await exportRun(model, params, { ...o.exports, quantizer: saved.q4Quantizer ?? 'max' }, lossOf(pool, data.val, o.valBlocks), data.val, o.valBlocks, master);
      } finally {
        await pool.close();
      }
    }
    return {
      complete: true, valLossBefore: saved.valLossBefore, valLossAfter: lastValidation(metricsFile), qat: saved.qat ?? 'none', exports,
      trainTokensPerSecond: tps, steps: saved.step, checkpoint: resumeDir!, model, params,
    };
  }
  if (!o.resume && present.length > 0) {
    // --force: the old run goes now, so a kill before the first checkpoint cannot leave its model/ to be resumed
    for (const name of present) await rm(join(o.out, name), { recursive: true, force: true });
  }
  await mkdir(o.out, { recursive: true });
  const batch = saved?.batch ?? o.batch;
  const params = saved || !o.fromScratch ? paramsFromWeights(layout, model.weights) : randomParams(layout, o.seed);
  const pool = await trainPool(layout, params, saved?.threads ?? o.threads, batch, seqLen);
  // a resumed run keeps its own arithmetic
  const qatMode = saved ? (saved.qat ?? 'none') : (o.qat ?? 'none');
  const quantizer = saved ? (saved.q4Quantizer ?? 'max') : (o.q4Quantizer ?? 'max');
  try {
    const { master, ...adam }: AdamWState & { master?: Float32Array } = resumeDir ? await loadOptimizer(resumeDir, layout) : adamwState(layout.total);
    // QAT's master weights: the checkpoint's (its model files hold their Q4_0 projection), or the start
    const qat = qatMode === 'q4' ? new Q4Training(layout, master ?? params, quantizer) : undefined;
    const state: TrainingState = saved ? { ...saved, totalSteps: o.steps ?? saved.totalSteps } : newTrainingState({ ...o, seqLen }, data.train, pool.threadCount);
    if (saved && state.totalSteps !== saved.totalSteps) {
      const sched = { lr: state.lr, warmup: state.warmup, minLr: state.minLr, total: state.totalSteps };
      ev.extend?.(saved.step, state.totalSteps, learningRate(saved.step, sched));
    }
    const curveFile = join(o.out, CURVE_FILE);
    await writeFileAtomic(metricsFile, keepMetrics(metricsFile, saved ? state.step : -1));
    const log = (m: Record<string, number>) => appendFileSync(metricsFile, `${JSON.stringify(m)}\n`);
    let dir = '';
    const lastVal = await runSteps(
      { pool, train: data.train, val: data.val, state, adam, qat, valEvery: o.valEvery, saveEvery: o.saveEvery, valBlocks: o.valBlocks },
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
          dir = await saveCheckpoint(o.out, model, layout, pool.params, adam, s, qat?.master);
          ev.checkpoint?.(dir);
        },
      },
    );
    // the network that ran (with QAT, the Q4_0 projection); the blob is written from the master weights
    const weights = Float32Array.from(pool.params);
    const exports = o.exports ? await exportRun(model, weights, { ...o.exports, quantizer }, lossOf(pool, data.val, o.valBlocks), data.val, o.valBlocks, qat?.master) : {};
    // one line of the exports' losses, when there are exports
    if (o.exports) {
      log({
        step: state.step,
        ...(exports.firmware && { val_loss_q4_blob: exports.firmware.valLoss, device_window: exports.firmware.device.window, device_loss_float32: exports.firmware.device.float32, device_loss_firmware_v2: exports.firmware.device.firmware }),
        ...(exports.gguf && { [`val_loss_gguf_${exports.gguf.type}`]: exports.gguf.valLoss }),
      });
    }
    return {
      complete: false,
      valLossBefore: state.valLossBefore,
      valLossAfter: lastVal,
      qat: qatMode,
      exports,
      trainTokensPerSecond: state.trainSeconds > 0 ? state.trainTokens / state.trainSeconds : 0,
      steps: state.step,
      checkpoint: dir,
      model,
      params: weights,
    };
  } finally {
    await pool.close();
  }
}
