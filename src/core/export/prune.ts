// Vocabulary and position pruning for the firmware (firmware-format.md 6.2, 6.3).
//
// Keeps the tokens a corpus uses at least minCount times, every byte token and EOS, then closes
// the set under BPE merge ancestry (a kept token's two parents are kept) so on-device encoding
// can still reach every kept token. Kept ids keep their order (merge-rank order) and are
// renumbered 0..V'−1; wte rows follow them. Position embeddings are cut to maxPositions rows.
import { UsageError } from '../errors.js';
import { dequantize } from '../formats/quant.js';
import type { NeoConfig } from '../neo/config.js';
import type { NeoWeights } from '../neo/weights.js';
import { EOS_TEXT } from '../tokenizer/pretokenize.js';
import { BpeTokenizer } from '../tokenizer/tokenizer.js';
import type { Merge, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';

export interface Prunable {
  config: NeoConfig;
  weights: NeoWeights;
  tokenizer: Tokenizer;
}

export interface PruneOptions {
  /** Corpus texts; a literal `<|endoftext|>` counts as a newline, as the converter does. */
  corpus?: readonly string[];
  /** Least number of uses for a token to stay (default 3, the converter's). */
  minCount?: number;
  /** Position rows to keep (default: all). */
  maxPositions?: number;
  /** Token ids to keep instead of counting a corpus (e.g. another blob's vocabulary); closed like the rest. */
  keep?: readonly number[];
}

export interface PruneResult<M extends Prunable> {
  model: M;
  /** keptIds[newId] = the id in the original vocabulary. */
  keptIds: number[];
  /** Tokens kept because a kept token descends from them, beyond those the corpus uses. */
  addedByClosure: number;
}

/** How often each token occurs, counted in chunks of whole lines (a large corpus is never encoded in one piece). */
function tokenCounts(tokenizer: Tokenizer, texts: readonly string[], chunkChars = 1_000_000): Uint32Array {
  const counts = new Uint32Array(tokenizer.vocabSize);
  for (const raw of texts) {
    const text = raw.split(EOS_TEXT).join('\n');
    for (let start = 0; start < text.length; ) {
      let end = Math.min(text.length, start + chunkChars);
      const nl = text.indexOf('\n', end);
      end = end === text.length || nl < 0 ? text.length : nl + 1;
      for (const id of tokenizer.encode(text.slice(start, end), { mode: 'gpt2' })) counts[id]!++;
      start = end;
    }
  }
  return counts;
}

/** Ids to keep: the wanted ones, byte tokens, EOS, closed under merge parents; ascending. */
export function keptTokenIds(vocab: TokenizerVocab, wanted: (id: number) => boolean): { ids: number[]; addedByClosure: number } {
  const V = vocab.pieces.length;
  const keep = new Uint8Array(V);
  for (let id = 0; id < V; id++) if (wanted(id)) keep[id] = 1;
  for (let b = 0; b < 256; b++) keep[vocab.byteIds[b]!] = 1;
  keep[vocab.eosId] = 1;
  const parents = new Map<number, Merge>(vocab.merges.map((m) => [m[2], m]));
  const before = keep.reduce((s, k) => s + k, 0);
  const stack = [...keep.keys()].filter((id) => keep[id]);
  while (stack.length > 0) {
    const m = parents.get(stack.pop()!);
    if (!m) continue;
    for (const p of [m[0], m[1]]) {
      if (!keep[p]) {
        keep[p] = 1;
        stack.push(p);
      }
    }
  }
  const ids = [...keep.keys()].filter((id) => keep[id]);
  return { ids, addedByClosure: ids.length - before };
}

/** The model restricted to the kept ids and positions (wte rows as float32, to be quantized by the writer). */
export function pruneModel<M extends Prunable>(model: M, options: PruneOptions): PruneResult<M> {
  const { config, weights, tokenizer } = model;
  const vocab = tokenizer.vocab();
  const D = config.hiddenSize;
  const P = weights.wpe.length / D;
  const maxPositions = options.maxPositions ?? P;
  if (!(Number.isInteger(maxPositions) && maxPositions >= 1 && maxPositions <= P)) {
    throw new UsageError(`--max-positions must be an integer from 1 to ${P} (the model's positions), got ${options.maxPositions}`);
  }
  let keptIds = [...vocab.pieces.keys()];
  let addedByClosure = 0;
  if (options.keep) {
    const wanted = new Set(options.keep);
    for (const id of wanted) if (!(Number.isInteger(id) && id >= 0 && id < vocab.pieces.length)) throw new UsageError(`token id ${id} to keep is outside the vocabulary`);
    ({ ids: keptIds, addedByClosure } = keptTokenIds(vocab, (id) => wanted.has(id)));
  } else if (options.corpus) {
    const minCount = options.minCount ?? 3;
    if (!(Number.isInteger(minCount) && minCount >= 1)) throw new UsageError(`--min-count must be a positive integer, got ${options.minCount}`);
    const counts = tokenCounts(tokenizer, options.corpus);
    ({ ids: keptIds, addedByClosure } = keptTokenIds(vocab, (id) => counts[id]! >= minCount));
  }
  const newId = new Int32Array(vocab.pieces.length).fill(-1);
  keptIds.forEach((old, i) => (newId[old] = i));
  const pruned: TokenizerVocab = {
    pieces: keptIds.map((id) => vocab.pieces[id]!),
    merges: vocab.merges.filter(([, , c]) => newId[c]! >= 0).map(([a, b, c]) => [newId[a]!, newId[b]!, newId[c]!] as const),
    byteIds: Array.from({ length: 256 }, (_, b) => newId[vocab.byteIds[b]!]!),
    eosId: newId[vocab.eosId]!,
  };
  const wteAll = dequantize(weights.wte); // (V, D)
  const wte = new Float32Array(keptIds.length * D); // (V', D)
  keptIds.forEach((old, i) => wte.set(wteAll.subarray(old * D, (old + 1) * D), i * D));
  const mapId = (id: number): number => (newId[id]! >= 0 ? newId[id]! : pruned.eosId);
  return {
    model: {
      ...model,
      config: { ...config, vocabSize: keptIds.length, maxPositions, bosId: mapId(config.bosId), eosId: pruned.eosId },
      weights: { ...weights, wte: { type: 'f32', rows: keptIds.length, cols: D, data: wte }, wpe: weights.wpe.slice(0, maxPositions * D) },
      tokenizer: new BpeTokenizer(pruned, tokenizer.defaultMode),
    },
    keptIds,
    addedByClosure,
  };
}
