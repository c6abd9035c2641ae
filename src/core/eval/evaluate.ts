// Held-out quality of a model: mean cross-entropy and perplexity over the tokens the model card's
// fine-tune put loss on (bot replies + EOS, story bodies + EOS; src/core/train/data.ts encodes
// them), with the all-position logits of one forward pass per block.
//
// Each sample is evaluated on its own (no packing across samples); a sample longer than the
// context is cut into context-sized blocks, and — as in the training packing — the first token
// of each block has no prediction. Log-softmax in float64.
import type { Engine, Sequence } from '../neo/engine.js';
import type { Tokenizer } from '../neo/tokenizer.js';
import { encodeSample, IGNORE_LABEL, type Sample } from '../train/data.js';

export interface EvalOptions {
  /** Tokenizer encoding; default 'gpt2', the fine-tune's (GPT2TokenizerFast). */
  mode?: 'gpt2' | 'device';
  /** Called after each sample (done, total), for progress bars. */
  onProgress?: (done: number, total: number) => void;
  /** Clock in milliseconds (performance.now by default). */
  now?: () => number;
}

export interface EvalResult {
  /** Mean cross-entropy (nats) per scored token. */
  loss: number;
  perplexity: number;
  /** Tokens scored. */
  tokens: number;
  samples: number;
  /** Tokens run through the model (scored or not) per second of forward passes. */
  tokensPerSecond: number;
}

/** −log softmax(logits)[target], logits (V) at offset o, in float64. */
export function crossEntropy(logits: Float32Array, o: number, V: number, target: number): number {
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[o + i]!);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[o + i]! - max);
  return Math.log(sum) + max - logits[o + target]!;
}

/** Summed cross-entropy of one block: logits at j−1 scored against labels[j] ≠ IGNORE_LABEL. */
export function blockLoss(logits: Float32Array, labels: ArrayLike<number>, V: number): { nll: number; count: number } {
  let nll = 0;
  let count = 0;
  for (let j = 1; j < labels.length; j++) {
    const label = labels[j]!;
    if (label === IGNORE_LABEL) continue;
    nll += crossEntropy(logits, (j - 1) * V, V, label);
    count++;
  }
  return { nll, count };
}

/** Running sums of a scoring pass. */
export interface LossSums {
  nll: number;
  scored: number;
  /** Tokens run through the model, and the milliseconds their passes took. */
  fed: number;
  ms: number;
}

export const newLossSums = (): LossSums => ({ nll: 0, scored: 0, fed: 0, ms: 0 });

/**
 * Adds the loss of one token sequence to `sums`: cut into blocks of engine.context tokens, each
 * run from an empty cache at position 0 (its first token unscored).
 */
export function scoreSequence(engine: Engine, seq: Sequence, ids: readonly number[] | Int32Array, labels: readonly number[] | Int32Array, sums: LossSums, now: () => number): void {
  const C = engine.context;
  for (let start = 0; start < ids.length; start += C) {
    const block = Array.from(ids.slice(start, start + C));
    if (block.length < 2) continue;
    engine.rewind(seq, 0);
    const t0 = now();
    const logits = engine.prefill(seq, block, { allLogits: true }); // (n, V)
    sums.ms += now() - t0;
    sums.fed += block.length;
    const b = blockLoss(logits, labels.slice(start, start + C), engine.config.vocabSize);
    sums.nll += b.nll;
    sums.scored += b.count;
  }
}

export function evaluate(engine: Engine, tokenizer: Tokenizer, samples: readonly Sample[], options: EvalOptions = {}): EvalResult {
  const now = options.now ?? (() => performance.now());
  const sums = newLossSums();
  const seq = engine.newSequence();
  samples.forEach((sample, s) => {
    const { ids, labels } = encodeSample(sample, tokenizer, { mode: options.mode ?? 'gpt2' });
    scoreSequence(engine, seq, ids, labels, sums, now);
    options.onProgress?.(s + 1, samples.length);
  });
  const loss = sums.scored === 0 ? NaN : sums.nll / sums.scored;
  return { loss, perplexity: Math.exp(loss), tokens: sums.scored, samples: samples.length, tokensPerSecond: sums.ms > 0 ? (sums.fed * 1000) / sums.ms : 0 };
}
