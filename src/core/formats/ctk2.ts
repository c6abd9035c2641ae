// The firmware's tokenizer blob "CTK2" (firmware-format.md section 2): a 20-byte header, the 256
// byte tokens, the merge table, then every token's bytes. Read and validated into plain arrays
// (for writers and the pruner), loaded as a Tokenizer using the device encoding, or written back.
import { BinaryReader } from '../bytes/reader.js';
import { ByteWriter } from '../bytes/writer.js';
import { FormatError, UsageError } from '../errors.js';
import type { Merge, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';
import { BpeTokenizer } from '../tokenizer/tokenizer.js';

export const CTK2_MAGIC = 0x324b5443; // bytes "CTK2"
/** The header's int32 fields after the magic (2.1), at 4, 8, 12 and 16. */
const HEADER_FIELDS = ['vocab_size', 'max_token_length', 'eos_id', 'n_merges'] as const;
const FIELD_AT = (i: number): number => 4 + 4 * i;
/** The 256 u16 byte ids follow the header. */
const BYTE_IDS_AT = 4 + 4 * HEADER_FIELDS.length;
/** Where the merge table starts: after the header and the byte ids. */
export const CTK2_MERGES_OFFSET = BYTE_IDS_AT + 2 * 256;
/** Ids are stored as u16, and the converter requires fewer tokens than this (2.5). */
export const CTK2_MAX_VOCAB = 65535;

export interface Ctk2 {
  vocabSize: number;
  /** Longest piece in bytes, as the header says (every piece is checked to be no longer). */
  maxTokenLength: number;
  eosId: number;
  /** byteIds[b]: token of the single byte b. */
  byteIds: Uint16Array;
  /** (a, b → c) in file order: sorted by (a, b) for the device's binary search. */
  merges: Array<[number, number, number]>;
  /** pieces[id]: raw bytes of the token (views into the blob). */
  pieces: Uint8Array[];
}

/** Reads and checks a CTK2 blob; any inconsistency is a FormatError naming the field. */
export function parseCtk2(bytes: Uint8Array, file: string): Ctk2 {
  const r = new BinaryReader(bytes, file);
  r.need(0, CTK2_MERGES_OFFSET, 'header');
  const magic = r.u32(0, 'magic');
  if (magic !== CTK2_MAGIC) throw new FormatError(file, 'magic', '"CTK2" (43 54 4B 32)', hex(r.slice(0, 4, 'magic')));
  const [vocabSize, maxTokenLength, eosId, nMerges] = HEADER_FIELDS.map((field, i) => r.i32(FIELD_AT(i), field)) as [number, number, number, number];
  if (!(vocabSize > 256 && vocabSize <= CTK2_MAX_VOCAB)) {
    throw new FormatError(file, 'vocab_size', `257..${CTK2_MAX_VOCAB} (256 byte tokens, EOS, merges)`, String(vocabSize));
  }
  if (maxTokenLength < 1) throw new FormatError(file, 'max_token_length', 'at least 1', String(maxTokenLength));
  if (!(eosId >= 0 && eosId < vocabSize)) throw new FormatError(file, 'eos_id', `0..${vocabSize - 1}`, String(eosId));
  if (!(nMerges >= 0 && nMerges < vocabSize)) {
    throw new FormatError(file, 'n_merges', `0..${vocabSize - 1} (fewer than vocab_size)`, String(nMerges));
  }

  const byteIds = r.u16s(BYTE_IDS_AT, 256, 'byte_ids');
  const seen = new Uint8Array(vocabSize);
  byteIds.forEach((id, b) => {
    if (id >= vocabSize || seen[id]) {
      throw new FormatError(file, `byte_ids[${b}]`, 'distinct token ids below vocab_size (a permutation)', String(id));
    }
    seen[id] = 1;
  });

  const table = r.u16s(CTK2_MERGES_OFFSET, 3 * nMerges, 'merges');
  const merges: Array<[number, number, number]> = [];
  for (let m = 0; m < nMerges; m++) {
    const merge: [number, number, number] = [table[3 * m]!, table[3 * m + 1]!, table[3 * m + 2]!];
    if (merge.some((id) => id >= vocabSize)) {
      throw new FormatError(file, `merges[${m}]`, `token ids below vocab_size ${vocabSize}`, merge.join(','));
    }
    const before = merges[m - 1];
    if (before && (before[0] > merge[0] || (before[0] === merge[0] && before[1] >= merge[1]))) {
      throw new FormatError(file, `merges[${m}]`, 'pairs (a, b) unique and sorted ascending', merge.join(','));
    }
    merges.push(merge);
  }

  const pieces: Uint8Array[] = [];
  let at = CTK2_MERGES_OFFSET + 6 * nMerges;
  for (let id = 0; id < vocabSize; id++) {
    const field = `pieces[${id}]`;
    const length = r.i32(at, `${field}.length`);
    if (!(length >= 0 && length <= maxTokenLength)) {
      throw new FormatError(file, `${field}.length`, `0..${maxTokenLength} (max_token_length)`, String(length));
    }
    pieces.push(r.slice(at + 4, length, field));
    at += 4 + length;
  }

  byteIds.forEach((id, b) => {
    const p = pieces[id]!;
    if (p.length !== 1 || p[0] !== b) throw new FormatError(file, `byte_ids[${b}]`, `a token whose piece is the byte ${b}`, `token ${id}`);
  });
  merges.forEach(([a, b, c], m) => {
    const pa = pieces[a]!, pb = pieces[b]!, pc = pieces[c]!;
    const joined = pc.length === pa.length + pb.length && pa.every((x, i) => pc[i] === x) && pb.every((x, i) => pc[pa.length + i] === x);
    if (!joined) throw new FormatError(file, `merges[${m}]`, `piece ${c} = piece ${a} + piece ${b}`, `${hex(pc)} ≠ ${hex(pa)} + ${hex(pb)}`);
  });

  return { vocabSize, maxTokenLength, eosId, byteIds, merges, pieces };
}

/** A CTK2 blob as a Tokenizer; it encodes with the device rule unless told otherwise. */
export function loadCtk2(bytes: Uint8Array, file: string): Tokenizer {
  const { pieces, merges, byteIds, eosId } = parseCtk2(bytes, file);
  // The blob stores no ranks; ids were assigned in GPT-2 rank order, so ascending result id is rank order.
  const byRank: Merge[] = merges.slice().sort((x, y) => x[2] - y[2]);
  return new BpeTokenizer({ pieces, merges: byRank, byteIds, eosId }, 'device');
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** Bytes of the blob for a vocabulary of this many tokens, merges and piece bytes in all. */
export function ctk2Size(vocabSize: number, merges: number, pieceBytes: number): number {
  return CTK2_MERGES_OFFSET + 6 * merges + 4 * vocabSize + pieceBytes;
}

/** The blob for a vocabulary (ids as they are: EOS must be the last one, as the firmware expects). */
export function writeCtk2(vocab: TokenizerVocab): Uint8Array {
  const { pieces, eosId, byteIds } = vocab;
  const V = pieces.length;
  if (V >= CTK2_MAX_VOCAB) throw new UsageError(`cannot write a CTK2 tokenizer: ${V} tokens do not fit 16-bit ids (prune the vocabulary)`);
  if (eosId !== V - 1) throw new UsageError(`cannot write a CTK2 tokenizer: EOS must be the last id (${V - 1}), it is ${eosId}`);
  const merges = [...vocab.merges].sort((x, y) => x[0] - y[0] || x[1] - y[1]); // binary-search order
  const size = ctk2Size(V, merges.length, pieces.reduce((s, p) => s + p.length, 0));
  const out = new ByteWriter(size);
  out.u32(CTK2_MAGIC);
  const header: Record<(typeof HEADER_FIELDS)[number], number> = {
    vocab_size: V,
    max_token_length: Math.max(...pieces.map((p) => p.length)),
    eos_id: eosId,
    n_merges: merges.length,
  };
  HEADER_FIELDS.forEach((field, i) => {
    out.padTo(FIELD_AT(i));
    out.i32(header[field]);
  });
  out.padTo(BYTE_IDS_AT);
  for (let b = 0; b < 256; b++) out.u16(byteIds[b]!);
  out.padTo(CTK2_MERGES_OFFSET);
  for (const [a, b, c] of merges) out.u16(a), out.u16(b), out.u16(c);
  for (const p of pieces) {
    out.i32(p.length);
    out.bytes(p);
  }
  out.padTo(size);
  return out.result();
}
