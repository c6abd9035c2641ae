// What generation needs from a forward pass: sequences with their own KV cache, a batched
// prompt pass and a batched one-token step. The float32 reference (transformer.ts) and the
// firmware engines (../firmware/firmware-engine.ts, ../firmware/v3/engine.ts) both implement it, so sampling and stop rules are shared.
import { UsageError } from '../errors.js';
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

/** Checks decode()'s arguments: 1 to maxBatch different sequences, one token each. */
export function checkDecode(seqs: readonly Sequence[], tokens: readonly number[], maxBatch: number): void {
  const B = seqs.length;
  if (B < 1 || B > maxBatch || tokens.length !== B) {
    throw new UsageError(`decode takes 1 to ${maxBatch} sequences and one token each, got ${B} and ${tokens.length}`);
  }
  for (let i = 1; i < B; i++) {
    for (let j = 0; j < i; j++) if (seqs[j] === seqs[i]) throw new UsageError('decode got the same sequence twice');
  }
}

/** id, after checking that it is a token of a vocabulary of vocabSize. */
export function checkToken(id: number, vocabSize: number): number {
  if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
    throw new UsageError(`token id ${id} is outside the vocabulary (0..${vocabSize - 1})`);
  }
  return id;
}

/** Checks that a sequence of `length` positions can be rewound to `to`. */
export function checkRewind(length: number, to: number): void {
  if (!Number.isInteger(to) || to < 0 || to > length) throw new UsageError(`cannot rewind a sequence of ${length} positions to ${to}`);
}
