// After training, on request: the firmware pair (CRDP Q4 model + CTK2 tokenizer) and a GGUF file,
// written with the same writers as `tinytalk convert`, then read back and validated, so the run
// reports what its exports lose. Their targets are checked before training starts, so a long
// run never ends by refusing (or silently replacing) an existing file.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { deviceEngine, packedLoss } from '../../core/eval/firmware.js';
import { FIRMWARE_NAMES, firmwareFiles } from '../../core/export/firmware.js';
import { readCrdp } from '../../core/formats/crdp.js';
import { readGpt2Gguf, writeGpt2Gguf, type GgufType } from '../../core/formats/gguf-gpt2.js';
import { neoForm } from '../../core/formats/neo-form.js';
import type { Q4Quantizer } from '../../core/formats/quant.js';
import { Transformer } from '../../core/model/transformer.js';
import type { Model } from '../../core/neo/model.js';
import type { Packed } from '../../core/train/data.js';
import { paramLayout, paramsFromWeights, weightsFromParams } from '../../core/train/params.js';
import { pathKind, writeFileAtomic } from '../files.js';

/** Refuses, before any training, export targets that already exist (unless replacing them). */
export async function checkExportTargets(targets: { firmware?: string; gguf?: string }, replace: boolean): Promise<void> {
  const paths = [
    ...(targets.firmware === undefined ? [] : Object.values(FIRMWARE_NAMES[2]).map((name) => join(targets.firmware!, name))),
    ...(targets.gguf === undefined ? [] : [targets.gguf]),
  ];
  if (targets.firmware !== undefined && (await pathKind(targets.firmware)) === 'file') {
    throw new UsageError(`--export-firmware ${targets.firmware} is a file; give a directory for the two blobs`);
  }
  for (const path of paths) {
    const kind = await pathKind(path);
    if (kind === 'dir') throw new UsageError(`${path} is a directory; the export writes a file there`);
    if (kind === 'file' && !replace) throw new UsageError(`${path} already exists: choose another export path, or replace it with --force`);
  }
}

/** Where to export at the end of a run. */
export interface ExportTargets {
  firmware?: string;
  gguf?: string;
  ggufType?: GgufType;
  /** Q4_0 scale rule of the firmware blob (default 'max', the converter's). */
  quantizer?: Q4Quantizer;
}

/** Validation losses of the weights as exported (NaN where not exported). */
export interface ExportReport {
  /** The firmware pair's paths, and the blob's loss: its weights in float32 arithmetic on the validation blocks. */
  firmware?: { paths: string[]; valLoss: number; device: DeviceLoss };
  gguf?: { path: string; type: GgufType; valLoss: number };
}

/** The blob's loss with the v2 firmware's arithmetic, beside float32's, both in the device's window. */
export interface DeviceLoss {
  window: number;
  float32: number;
  firmware: number;
}

/**
 * Writes the requested exports of `params` and measures each as written: the file is read back,
 * its weights validated on `lossOf` (the run's validation blocks), and the blob also run by the
 * v2 firmware engine against float32 on the same blocks in the device's window. The blob is
 * quantized from `blobParams` (a QAT run's master weights, whose blocks are exactly `params`).
 */
export async function exportRun(
  model: Model, params: Float32Array, targets: ExportTargets, lossOf: (p: Float32Array) => Promise<number>, val: Packed, valBlocks: number,
  blobParams = params,
): Promise<ExportReport> {
  const layout = paramLayout(model.config);
  const weights = weightsFromParams(layout, params);
  const report: ExportReport = {};
  if (targets.firmware !== undefined) {
    const dir = targets.firmware;
    const blobWeights = weightsFromParams(layout, blobParams);
    const { files } = firmwareFiles({ config: model.config, weights: blobWeights, tokenizer: model.tokenizer }, 2, false, targets.quantizer);
    await mkdir(dir, { recursive: true });
    const paths: string[] = [];
    for (const [name, bytes] of files) {
      paths.push(join(dir, name));
      await writeFileAtomic(join(dir, name), bytes);
    }
    const blob = readCrdp(files.get(FIRMWARE_NAMES[2].model) as Uint8Array, paths[0]!);
    const engine = deviceEngine({ source: { format: 'crdp', version: 2, path: paths[0]! }, config: blob.config, weights: blob.weights }, { firmwareVersion: 2 });
    const float32 = new Transformer({ config: model.config, weights }, { context: engine.context });
    report.firmware = {
      paths,
      valLoss: await lossOf(paramsFromWeights(layout, blob.weights)),
      device: { window: engine.context, float32: packedLoss(float32, val, valBlocks), firmware: packedLoss(engine, val, valBlocks) },
    };
  }
  if (targets.gguf !== undefined) {
    const type = targets.ggufType ?? 'q8_0';
    const bytes = writeGpt2Gguf({ config: model.config, weights, vocab: model.tokenizer.vocab(), name: 'tinytalk-finetune' }, type);
    await mkdir(dirname(targets.gguf), { recursive: true });
    await writeFileAtomic(targets.gguf, bytes);
    const back = readGpt2Gguf(bytes, targets.gguf);
    report.gguf = { path: targets.gguf, type, valLoss: await lossOf(paramsFromWeights(layout, neoForm(back.config, back.weights).weights)) };
  }
  return report;
}
