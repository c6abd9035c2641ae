// Load a model from one reference: a Hugging Face checkpoint directory, a .safetensors file
// (config and tokenizer beside it), a firmware CRDP blob (its CTK2 tokenizer beside it), a GGUF
// file, or a hub id `owner/name[@revision]` fetched into the Hugging Face cache.
import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FormatError, UsageError } from '../core/errors.js';
import { loadCtk2 } from '../core/formats/ctk2.js';
import { SNIFF_BYTES } from '../core/formats/sniff.js';
import { HF_FILES, modelFromCrdp, modelFromGguf, modelFromHfFiles, type HfFiles } from '../core/load/model.js';
import { fileFormat, modelAmong, tokenizerFor, type FileHead } from '../core/load/pairing.js';
import type { Model } from '../core/neo/model.js';
import { loadHfTokenizer } from '../core/tokenizer/hf.js';
import type { Tokenizer } from '../core/neo/tokenizer.js';
import { pathKind, readBytes, readHead, readText } from './files.js';

export interface LoadOptions {
  /** A tokenizer file or directory to use instead of the one found beside the model. */
  tokenizer?: string;
  /** Hub revision (branch, tag or commit) when ref is a hub id. */
  revision?: string;
}

const HUB_ID = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(@[\w./-]+)?$/;

export async function loadModel(ref: string, options: LoadOptions = {}): Promise<Model> {
  const kind = await pathKind(ref);
  if (kind === 'dir') return loadDirectory(ref, options);
  if (kind === 'file') return loadFile(ref, options);
  if (HUB_ID.test(ref)) {
    const { resolveModelRef } = await import('./hub/resolve.js');
    return loadDirectory(await resolveModelRef(ref, { revision: options.revision }), options);
  }
  throw new UsageError(
    `no model at ${ref}: expected a checkpoint directory, a .safetensors file, a firmware blob, a GGUF file or a hub id owner/name[@revision]`,
  );
}

async function headOf(path: string): Promise<FileHead> {
  return { name: path, head: await readHead(path, SNIFF_BYTES) };
}

/** The files of dir (links followed, as the hub cache links its snapshots) with their first bytes. */
async function headsIn(dir: string): Promise<FileHead[]> {
  const paths = (await readdir(dir)).map((name) => join(dir, name));
  const files = await Promise.all(paths.map(async (p) => ((await pathKind(p)) === 'file' ? p : undefined)));
  return Promise.all(files.filter((p) => p !== undefined).map(headOf));
}

async function loadFile(path: string, options: LoadOptions): Promise<Model> {
  const file = await headOf(path);
  switch (fileFormat(file)) {
    case 'crdp':
      return loadFirmware(path, options);
    case 'gguf':
      return modelFromGguf(await readBytes(path), path);
    case 'safetensors':
      return loadHf(dirname(path), path, options);
    case 'ctk2':
      throw new UsageError(`${path} is a CTK2 tokenizer blob; give the CRDP model blob beside it`);
    default:
      throw new FormatError(path, 'format', 'a firmware model blob (magic "CRDP"), a GGUF file, a .safetensors file or a checkpoint directory', JSON.stringify(String.fromCharCode(...file.head)));
  }
}

async function loadDirectory(dir: string, options: LoadOptions): Promise<Model> {
  const choice = modelAmong(await headsIn(dir));
  if ('checkpoint' in choice) return loadHf(dir, dir, options);
  if ('found' in choice) return loadFirmware(choice.found, options);
  throw new FormatError(
    dir,
    'contents',
    'a Hugging Face checkpoint (config.json, model.safetensors, tokenizer) or exactly one firmware blob',
    choice.candidates.length === 0 ? 'neither' : `${choice.candidates.length} firmware blobs (name one)`,
  );
}

/** path: the directory, or the .safetensors file inside dir. */
async function loadHf(dir: string, path: string, options: LoadOptions): Promise<Model> {
  const stPath = path === dir ? join(dir, HF_FILES.safetensors) : path;
  if ((await pathKind(stPath)) !== 'file') {
    const hint = (await pathKind(join(dir, 'model.safetensors.index.json')))
      ? ' (sharded checkpoints are not supported)'
      : (await pathKind(join(dir, 'pytorch_model.bin')))
        ? ' (pytorch_model.bin is not read: save the checkpoint with safe_serialization=True)'
        : '';
    throw new FormatError(stPath, 'file', `model.safetensors${hint}`, 'missing');
  }
  const configPath = join(dir, HF_FILES.config);
  if ((await pathKind(configPath)) !== 'file') throw new FormatError(configPath, 'file', 'config.json beside the weights', 'missing');
  const files: HfFiles = {
    config: await readText(configPath),
    safetensors: await readBytes(stPath),
    generationConfig: await readOptional(join(dir, HF_FILES.generationConfig)),
    ...(options.tokenizer === undefined ? await hfTokenizerFiles(dir) : { tokenizer: await tokenizerAt(options.tokenizer) }),
  };
  return modelFromHfFiles(files, path === dir ? dir : path);
}

async function readOptional(path: string): Promise<string | undefined> {
  return (await pathKind(path)) === 'file' ? readText(path) : undefined;
}

async function hfTokenizerFiles(dir: string): Promise<Partial<HfFiles>> {
  const tokenizerJson = await readOptional(join(dir, HF_FILES.tokenizerJson));
  if (tokenizerJson !== undefined) return { tokenizerJson };
  return { vocabJson: await readOptional(join(dir, HF_FILES.vocabJson)), mergesTxt: await readOptional(join(dir, HF_FILES.mergesTxt)) };
}

/**
 * --tokenizer, for either kind of model: a CTK2 blob (by its magic), a tokenizer.json, a vocab.json
 * (merges.txt beside it) or a directory holding them. Errors name the tokenizer's own files.
 */
async function tokenizerAt(path: string): Promise<Tokenizer> {
  const kind = await pathKind(path);
  if (kind === 'dir') {
    const files = await hfTokenizerFiles(path);
    return loadHfTokenizer(files, files.tokenizerJson === undefined ? path : join(path, HF_FILES.tokenizerJson));
  }
  if (kind !== 'file') throw new UsageError(`no tokenizer at ${path}`);
  if (fileFormat(await headOf(path)) === 'ctk2') return loadCtk2(await readBytes(path), path);
  if (basename(path) === HF_FILES.vocabJson) {
    return loadHfTokenizer({ vocabJson: await readText(path), mergesTxt: await readOptional(join(dirname(path), HF_FILES.mergesTxt)) }, dirname(path));
  }
  return loadHfTokenizer({ tokenizerJson: await readText(path) }, path);
}

async function loadFirmware(path: string, options: LoadOptions): Promise<Model> {
  const tokPath = options.tokenizer ?? (await ctk2Beside(path));
  return modelFromCrdp(await readBytes(path), await tokenizerAt(tokPath), path, tokPath);
}

/** The CTK2 blob beside a model blob (the pairing rule of core/load/pairing.ts). */
async function ctk2Beside(modelPath: string): Promise<string> {
  const choice = tokenizerFor(modelPath, await headsIn(dirname(modelPath)));
  if ('found' in choice) return choice.found;
  if (choice.candidates.length === 0) {
    throw new FormatError(modelPath, 'tokenizer', 'a CTK2 tokenizer blob in the same directory (or --tokenizer PATH)', 'none');
  }
  throw new UsageError(`several CTK2 tokenizers beside ${modelPath} (${choice.candidates.map((p) => basename(p)).join(', ')}): choose one with --tokenizer`);
}
