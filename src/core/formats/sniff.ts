// Which format a file is, from its first bytes. The firmware's blobs and GGUF begin with a magic;
// safetensors and the JSON files have none and are known by their names.
import { CRDP_MAGIC } from './crdp.js';
import { CTK2_MAGIC } from './ctk2.js';
import { GGUF_MAGIC } from './gguf.js';

export type SniffedFormat = 'crdp' | 'ctk2' | 'gguf';

/** How many leading bytes sniffFormat reads. */
export const SNIFF_BYTES = 4;

const CTK2_TEXT = String.fromCharCode(CTK2_MAGIC & 0xff, (CTK2_MAGIC >>> 8) & 0xff, (CTK2_MAGIC >>> 16) & 0xff, CTK2_MAGIC >>> 24);

/** The format whose magic the bytes begin with, or undefined. */
export function sniffFormat(bytes: Uint8Array): SniffedFormat | undefined {
  const magic = String.fromCharCode(...bytes.subarray(0, SNIFF_BYTES));
  if (magic === CRDP_MAGIC) return 'crdp';
  if (magic === CTK2_TEXT) return 'ctk2';
  if (magic === GGUF_MAGIC) return 'gguf';
  return undefined;
}
