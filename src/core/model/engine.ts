// What generation needs from a forward pass: sequences with their own KV cache, a batched
// prompt pass and a batched one-token step. The float32 reference (transformer.ts) and the
// firmware engine (../firmware/engine.ts) both implement it, so sampling and stop rules are shared.
import type { NeoConfig } from './config.js';

/** One sequence's KV cache; `length` = positions it holds (the next token goes there). */
export interface Sequence {
  readonly length: number;
}

export interface PrefillOptions {
  /** Return the logits of every position (n, V) in a new array, for evaluation. Default: last only. */
  allLogits?: boolean;
}

export interface Engine {
  readonly config: NeoConfig;
  /** Positions one sequence can hold (prompt + generated tokens). */
  readonly context: number;
  /** Most sequences one decode() call takes. */
  readonly maxBatch: number;
  /** A fresh, empty sequence (allocates its KV cache once). */
  newSequence(): Sequence;
  /**
   * Runs ids (appended to seq) through the model in one batched pass.
   * Returns the last position's logits (V) — a view into the engine's scratch, valid until the
   * next call — or, with allLogits, all positions' logits (n, V) in a new array.
   */
  prefill(seq: Sequence, ids: readonly number[], options?: PrefillOptions): Float32Array;
  /** One token for each of several independent sequences in one pass: logits (B, V), a scratch view. */
  decode(seqs: readonly Sequence[], tokens: readonly number[]): Float32Array;
  /** Forgets everything after the first `length` positions (the cache rows are reused). */
  rewind(seq: Sequence, length: number): void;
}
