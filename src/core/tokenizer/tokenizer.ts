// The byte-level BPE tokenizer behind every loader (CTK2 blob, tokenizer.json, vocab.json +
// merges.txt): one vocabulary, two encodings (GPT-2's regex + merge rank, or the device's whole-text
// lowest-result-id rule), decoding through an incremental UTF-8 decoder.
import { checkToken } from '../neo/engine.js';
import { applyMerges, MergeTable, type MergeStats } from './bpe.js';
import { EOS_TEXT, gpt2Words } from './pretokenize.js';
import { utf8Decoder, Utf8StreamDecoder } from './stream.js';
import type { EncodeOptions, StreamDecoder, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';

/** Words cached in GPT-2 mode before the cache is cleared (bounds memory on endless input). */
const WORD_CACHE_LIMIT = 50_000;
/** The device copies a piece into a 32-byte C buffer before printing it (firmware-format.md 2.4). */
const DEVICE_PIECE_BUFFER = 32;

const utf8 = new TextEncoder();

/** A piece as the device prints it: a C string, so it ends at its first 0x00 byte (31 bytes at most). */
function devicePiece(piece: Uint8Array): Uint8Array {
  const nul = piece.indexOf(0);
  return piece.subarray(0, Math.min(nul < 0 ? piece.length : nul, DEVICE_PIECE_BUFFER - 1));
}

/**
 * Built from a validated vocabulary (the loaders check it). Decoding follows the default mode:
 * a 'device' tokenizer (CTK2) prints pieces as the firmware does (cut at a 0x00 byte).
 */
export class BpeTokenizer implements Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  /** Work counters of every encode so far (tests use them to check encoding stays non-quadratic). */
  readonly stats: MergeStats = { pairLookups: 0 };
  private readonly table: MergeTable;
  private readonly rankPriority: Int32Array; // (merges) gpt2 mode: the merge's rank
  private readonly devicePriority: Int32Array; // (merges) device mode: the merge's result id
  private readonly byteIds: Int32Array; // (256)
  private readonly printed: Uint8Array[]; // (vocabSize) bytes decode() emits per id
  private readonly wordCache = new Map<string, number[]>();

  constructor(
    private readonly v: TokenizerVocab,
    readonly defaultMode: 'gpt2' | 'device',
  ) {
    this.vocabSize = v.pieces.length;
    this.eosId = v.eosId;
    this.table = new MergeTable(v.merges);
    this.rankPriority = Int32Array.from(v.merges, (_, m) => m);
    this.devicePriority = Int32Array.from(v.merges, ([, , c]) => c);
    this.byteIds = Int32Array.from(v.byteIds);
    const empty = new Uint8Array(0);
    this.printed = v.pieces.map((p, id) => (id === v.eosId ? empty : defaultMode === 'device' ? devicePiece(p) : p));
  }

  encode(text: string, options?: EncodeOptions): number[] {
    const mode = options?.mode ?? this.defaultMode;
    const out: number[] = [];
    text.split(EOS_TEXT).forEach((segment, i) => {
      if (i > 0) out.push(this.eosId);
      if (mode === 'device') this.encodeDevice(segment, out);
      else for (const word of gpt2Words(segment)) this.encodeWord(word, out);
    });
    return out;
  }

  piece(id: number): Uint8Array {
    return this.v.pieces[checkToken(id, this.vocabSize)]!;
  }

  decode(ids: readonly number[]): string {
    const parts = ids.map((id) => this.printed[checkToken(id, this.vocabSize)]!);
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    return utf8Decoder().decode(bytes);
  }

  decoder(): StreamDecoder {
    return new Utf8StreamDecoder((id) => this.printed[checkToken(id, this.vocabSize)]!);
  }

  vocab(): TokenizerVocab {
    return this.v;
  }

  /** The device encoding: the text is a C string (ends at 0x00), merged as one whole. */
  private encodeDevice(text: string, out: number[]): void {
    const bytes = utf8.encode(text);
    const nul = bytes.indexOf(0);
    const ids = this.merge(nul < 0 ? bytes : bytes.subarray(0, nul), this.devicePriority);
    for (const id of ids) out.push(id);
  }

  /** One GPT-2 pre-tokenizer word, merged by rank (cached: chat text repeats words a lot). */
  private encodeWord(word: string, out: number[]): void {
    let ids = this.wordCache.get(word);
    if (ids === undefined) {
      ids = this.merge(utf8.encode(word), this.rankPriority);
      if (this.wordCache.size >= WORD_CACHE_LIMIT) this.wordCache.clear();
      this.wordCache.set(word, ids);
    }
    for (const id of ids) out.push(id);
  }

  private merge(bytes: Uint8Array, priority: Int32Array): number[] {
    const ids = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) ids[i] = this.byteIds[bytes[i]!]!;
    return applyMerges(ids, this.table, priority, this.stats);
  }
}
