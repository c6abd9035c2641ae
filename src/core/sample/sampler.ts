// Picking the next token from logits (reference mode), with Hugging Face's semantics and order:
// repetition penalty (divide positive / multiply negative logits of ids already seen), then
// temperature, top-k, top-p, min-p, then one seeded draw. Temperature 0 is argmax.
import { UsageError } from '../errors.js';
import { XorShift64Star } from './rng.js';

export interface SamplingOptions {
  /** 0 = greedy (argmax, lowest id on ties). */
  temperature: number;
  /** Keep the k most likely ids (0 = all). */
  topK: number;
  /** Keep the smallest set of most likely ids whose probability reaches p (1 = all). */
  topP: number;
  /** Drop ids less likely than minP × the most likely one (0 = none). */
  minP: number;
  /** > 1 discourages ids seen in the prompt or output (1 = off). */
  repetitionPenalty: number;
  seed: number | bigint;
}

/** Index of the largest value; the lowest index among equals. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

function need(ok: boolean, what: string, expected: string, value: number): void {
  if (!ok) throw new UsageError(`${what} must be ${expected}, got ${value}`);
}

/** A sampling temperature: a finite number ≥ 0 (0 is greedy), for both samplers and the chat. */
export function checkTemperature(temperature: number): void {
  need(temperature >= 0 && Number.isFinite(temperature), 'temperature', '≥ 0', temperature);
}

export function checkSampling(o: SamplingOptions): void {
  checkTemperature(o.temperature);
  need(Number.isInteger(o.topK) && o.topK >= 0, 'top-k', 'an integer ≥ 0', o.topK);
  need(o.topP > 0 && o.topP <= 1, 'top-p', 'in (0, 1]', o.topP);
  need(o.minP >= 0 && o.minP <= 1, 'min-p', 'in [0, 1]', o.minP);
  need(o.repetitionPenalty > 0 && Number.isFinite(o.repetitionPenalty), 'repetition penalty', '> 0', o.repetitionPenalty);
}

export class Sampler {
  private readonly o: SamplingOptions;
  private readonly rng: XorShift64Star;
  private readonly seen: Uint8Array; // (V) 1 = id seen
  private readonly seenIds: number[] = [];
  private readonly order: Int32Array; // (V) candidate ids, most likely first
  private readonly probs: Float64Array; // (V) their probabilities

  constructor(options: SamplingOptions, vocabSize: number) {
    checkSampling(options);
    this.o = options;
    this.rng = new XorShift64Star(options.seed);
    this.seen = new Uint8Array(vocabSize);
    this.order = new Int32Array(vocabSize);
    this.probs = new Float64Array(vocabSize);
  }

  /** Records ids for the repetition penalty (the prompt, then each generated id). */
  observe(ids: readonly number[]): void {
    for (const id of ids) {
      if (!this.seen[id]) {
        this.seen[id] = 1;
        this.seenIds.push(id);
      }
    }
  }

  /** Picks the next id from logits (V), which it modifies. */
  sample(logits: Float32Array): number {
    const { temperature, topK, topP, minP, repetitionPenalty } = this.o;
    if (repetitionPenalty !== 1) {
      for (const id of this.seenIds) {
        const l = logits[id]!;
        logits[id] = l < 0 ? l * repetitionPenalty : l / repetitionPenalty;
      }
    }
    if (temperature === 0) return argmax(logits);
    const n = this.candidates(logits, topK);
    const { order, probs } = this;
    // softmax of logits / T over the candidates
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, logits[order[i]!]!);
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const p = Math.exp((logits[order[i]!]! - max) / temperature);
      probs[i] = p;
      sum += p;
    }
    let keep = n;
    if (topP < 1) {
      let above = 0;
      for (let i = 0; i < n; i++) {
        if (above >= topP * sum) {
          keep = i;
          break;
        }
        above += probs[i]!;
      }
    }
    if (minP > 0) {
      const floor = minP * probs[0]!;
      let i = 1;
      while (i < keep && probs[i]! >= floor) i++;
      keep = i;
    }
    let total = 0;
    for (let i = 0; i < keep; i++) total += probs[i]!;
    const u = this.rng.nextFloat() * total;
    let cdf = 0;
    for (let i = 0; i < keep; i++) {
      cdf += probs[i]!;
      if (u < cdf) return order[i]!;
    }
    return order[keep - 1]!;
  }

  /**
   * Fills order[0..n) with the ids to sample from, most likely first (ties: lower id first) —
   * or in id order when no filter needs the ranking.
   */
  private candidates(logits: Float32Array, topK: number): number {
    const V = logits.length;
    const { order } = this;
    const k = topK > 0 && topK < V ? topK : V;
    if (k === V && this.o.topP === 1 && this.o.minP === 0) {
      for (let id = 0; id < V; id++) order[id] = id;
      return V;
    }
    const before = (a: number, b: number): boolean => logits[a]! > logits[b]! || (logits[a] === logits[b] && a < b);
    if (k <= 256) {
      // insertion into a short sorted list: one pass over the vocabulary
      let n = 0;
      for (let id = 0; id < V; id++) {
        if (n === k && !before(id, order[n - 1]!)) continue;
        let j = n < k ? n++ : n - 1;
        while (j > 0 && before(id, order[j - 1]!)) {
          order[j] = order[j - 1]!;
          j--;
        }
        order[j] = id;
      }
      return n;
    }
    for (let id = 0; id < V; id++) order[id] = id;
    order.sort((a, b) => logits[b]! - logits[a]! || a - b);
    return k;
  }
}
