// CTK2 writer: the firmware's tokenizer blob (firmware-format.md 2.1 layout, 2.5 writer).
import { UsageError } from '../errors.js';
import type { TokenizerVocab } from '../neo/tokenizer.js';

const MAGIC = 0x324b5443; // "CTK2"

/** The blob for a vocabulary (ids as they are: EOS must be the last one, as the firmware expects). */
export function writeCtk2(vocab: TokenizerVocab): Uint8Array {
  const { pieces, eosId, byteIds } = vocab;
  const V = pieces.length;
  if (V >= 65535) throw new UsageError(`cannot write a CTK2 tokenizer: ${V} tokens do not fit 16-bit ids (prune the vocabulary)`);
  if (eosId !== V - 1) throw new UsageError(`cannot write a CTK2 tokenizer: EOS must be the last id (${V - 1}), it is ${eosId}`);
  const merges = [...vocab.merges].sort((x, y) => x[0] - y[0] || x[1] - y[1]); // binary-search order
  const pieceBytes = pieces.reduce((s, p) => s + 4 + p.length, 0);
  const out = new Uint8Array(20 + 512 + 6 * merges.length + pieceBytes);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC, true);
  view.setInt32(4, V, true);
  view.setInt32(8, Math.max(...pieces.map((p) => p.length)), true);
  view.setInt32(12, eosId, true);
  view.setInt32(16, merges.length, true);
  for (let b = 0; b < 256; b++) view.setUint16(20 + 2 * b, byteIds[b]!, true);
  let o = 532;
  for (const [a, b, c] of merges) {
    view.setUint16(o, a, true);
    view.setUint16(o + 2, b, true);
    view.setUint16(o + 4, c, true);
    o += 6;
  }
  for (const p of pieces) {
    view.setInt32(o, p.length, true);
    out.set(p, o + 4);
    o += 4 + p.length;
  }
  return out;
}
