// What the rest of tinytalk needs from a tokenizer.

/** Turns token ids into text as they stream, never splitting a multi-byte UTF-8 character. */
export interface StreamDecoder {
  /** Text completed by this token (may be '' while a character is still incomplete). */
  push(id: number): string;
  /** Whatever is still held back (an incomplete character becomes U+FFFD). */
  flush(): string;
}

export interface EncodeOptions {
  /**
   * 'gpt2': Hugging Face GPT-2 (pre-tokenizer regex, then BPE by merge rank).
   * 'device': the firmware's CTK2 encoding (no regex, lowest-result-id merge over the whole text).
   * Default: the tokenizer's own (gpt2 for tokenizer.json / vocab+merges, device for CTK2).
   */
  mode?: 'gpt2' | 'device';
}

/** One merge rule: token a followed by token b becomes token c. */
export type Merge = readonly [a: number, b: number, c: number];

/**
 * Everything a writer needs to save a tokenizer again (CTK2 blob, tokenizer.json, pruning).
 * Ids are this tokenizer's own (pruned ids for a pruned vocabulary).
 */
export interface TokenizerVocab {
  /** pieces[id]: the raw bytes of token id (EOS: the 13 bytes of `<|endoftext|>`). Do not modify. */
  readonly pieces: readonly Uint8Array[];
  /**
   * Merge rules in priority order, rank 0 first: the order of Hugging Face's merges, or for a
   * CTK2 blob (which stores no rank) ascending result id. Not the CTK2 file order (sorted by a, b).
   */
  readonly merges: readonly Merge[];
  /** byteIds[b]: the token of the single byte b (0..255). */
  readonly byteIds: ArrayLike<number>;
  readonly eosId: number;
}

export interface Tokenizer {
  readonly vocabSize: number;
  readonly eosId: number;
  /** Encoding the model was distributed with: 'device' for CTK2 blobs, 'gpt2' otherwise. */
  readonly defaultMode: 'gpt2' | 'device';
  /** A literal `<|endoftext|>` in the text becomes eosId; the pieces between are encoded on their own. */
  encode(text: string, options?: EncodeOptions): number[];
  /** Raw bytes of one token (EOS gives the bytes of `<|endoftext|>`). */
  piece(id: number): Uint8Array;
  /** Text of a whole sequence (EOS decodes to ''). */
  decode(ids: readonly number[]): string;
  decoder(): StreamDecoder;
  /** The raw vocabulary (pieces, merges, byte tokens, EOS), for writers and the vocabulary pruner. */
  vocab(): TokenizerVocab;
}
