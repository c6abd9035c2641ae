// Which files make a model, decided once for every front end: the CLI (paths on disk), the server
// (the files it offers the page) and the page (files picked by the user or sent by the server).
// Formats are recognised by their magic (sniffFormat), safetensors by its name. Each front end
// words its own errors; the decisions are these.
import { sniffFormat, type SniffedFormat } from '../formats/sniff.js';
import { HF_FILES } from './model.js';

/** A file by its path or name, with its first bytes (at least SNIFF_BYTES of them). */
export interface FileHead {
  name: string;
  head: Uint8Array;
}

export type FileFormat = SniffedFormat | 'safetensors';

/** A file's format: its magic, else `.safetensors` by name; undefined for anything else. */
export function fileFormat(file: FileHead): FileFormat | undefined {
  return sniffFormat(file.head) ?? (file.name.endsWith('.safetensors') ? 'safetensors' : undefined);
}

/** The last part of a path or name. */
const baseName = (name: string): string => name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);

/** The last part of a path or name, without its extension (TINYTLK.BIN → TINYTLK). */
const stem = (name: string): string => baseName(name).replace(/(.)\.[^.]*$/, '$1');

const byName = (a: FileHead, b: FileHead): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** One file chosen, or the candidates when there is none or no way to tell them apart. */
export type Choice = { found: string } | { candidates: string[] };

/**
 * The model in a set of files (a directory's, or files picked together): a Hugging Face
 * checkpoint when config.json is among them, else the one firmware model blob (found), else the
 * firmware blobs there are (none, or several).
 */
export function modelAmong(files: readonly FileHead[]): { checkpoint: true } | Choice {
  if (files.some((f) => baseName(f.name) === HF_FILES.config)) return { checkpoint: true };
  const blobs = files.filter((f) => fileFormat(f) === 'crdp').sort(byName).map((f) => f.name);
  return blobs.length === 1 ? { found: blobs[0]! } : { candidates: blobs };
}

/**
 * A firmware model blob's tokenizer among the files beside it: the CTK2 blob with the same stem
 * (TINYTLK.BIN → TINYTLK.TOK), else the only CTK2 blob. Without one, or with several equally
 * good ones, the candidates (none, or those) instead.
 */
export function tokenizerFor(model: string, files: readonly FileHead[]): Choice {
  const blobs = files.filter((f) => fileFormat(f) === 'ctk2').sort(byName).map((f) => f.name);
  const same = blobs.filter((name) => stem(name) === stem(model));
  if (same.length === 1) return { found: same[0]! };
  return blobs.length === 1 ? { found: blobs[0]! } : { candidates: blobs };
}
