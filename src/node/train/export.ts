// After training, on request: the firmware pair (CRDP Q4 model + CTK2 tokenizer) and a GGUF file,
// written with the same writers as `tinytalk convert`; their targets are checked before training
// starts, so a long run never ends by refusing (or silently replacing) an existing file.
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { UsageError } from '../../core/errors.js';
import { FIRMWARE_NAMES, firmwareFiles } from '../../core/export/firmware.js';
import { writeGpt2Gguf, type GgufType } from '../../core/formats/gguf-gpt2.js';
import type { Model } from '../../core/neo/model.js';
import { paramLayout, weightsFromParams } from '../../core/train/params.js';
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

/** Writes the version-2 firmware's model and tokenizer blobs into dir; returns their paths. */
export async function exportFirmware(model: Model, params: Float32Array, dir: string): Promise<string[]> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  const { files } = firmwareFiles({ config: model.config, weights, tokenizer: model.tokenizer }, 2, false);
  await mkdir(dir, { recursive: true });
  const paths: string[] = [];
  for (const [name, bytes] of files) {
    paths.push(join(dir, name));
    await writeFileAtomic(join(dir, name), bytes);
  }
  return paths;
}

export async function exportGguf(model: Model, params: Float32Array, file: string, type: GgufType): Promise<string> {
  const weights = weightsFromParams(paramLayout(model.config), params);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, writeGpt2Gguf({ config: model.config, weights, vocab: model.tokenizer.vocab(), name: 'tinytalk-finetune' }, type));
  return file;
}
