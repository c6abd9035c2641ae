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
}
