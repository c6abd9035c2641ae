// Byte-pair merging without quadratic rescans: the symbols form a linked list and every mergeable
// adjacent pair waits in a binary min-heap keyed by (priority, position). Popping the smallest key
// merges the best pair, leftmost on ties, which is exactly the device rule of firmware-format.md
// 2.3 (priority = result id) and Hugging Face's BPE (priority = merge rank). Stale heap entries
// (a symbol merged away since) are recognised on pop and dropped. Cost: O(n log n) for n bytes.
import type { Merge } from '../neo/tokenizer.js';

/** Positions fit in the low 32 bits of a heap key, priorities in the 21 bits above (2^53). */
const POS_SPAN = 2 ** 32;
export const MAX_PRIORITY = 2 ** 21;

/**
 * Merge rules indexed by their pair: an open-addressing hash table over typed arrays (pair keys of
 * a 50k vocabulary exceed V8's small integers, which makes a Map<number> several times slower).
 */
export class MergeTable {
  private readonly left: Int32Array; // (slots) a of the pair in each slot, -1 when empty
  private readonly right: Int32Array; // (slots) b
  private readonly merge: Int32Array; // (slots) merge number
  private readonly mask: number;
  private readonly shift: number; // 32 − log2(slots): the hash's top bits pick the slot
  /** result[m]: the token merge m produces. */
  readonly result: Int32Array;

  constructor(merges: readonly Merge[]) {
    let slots = 16;
    while (slots < 2 * merges.length) slots *= 2; // at most half full: short probe runs
    this.mask = slots - 1;
    this.shift = 32 - Math.log2(slots);
    this.left = new Int32Array(slots).fill(-1);
    this.right = new Int32Array(slots);
    this.merge = new Int32Array(slots);
    this.result = new Int32Array(merges.length);
    // Loaders reject repeated pairs; were one to slip through, the first (best) rule would win.
    merges.forEach(([a, b, c], m) => {
      this.result[m] = c;
      let i = this.slot(a, b);
      while (this.left[i] !== -1 && !(this.left[i] === a && this.right[i] === b)) i = (i + 1) & this.mask;
      if (this.left[i] === -1) {
        this.left[i] = a;
        this.right[i] = b;
        this.merge[i] = m;
      }
    });
  }

  /** Number of the merge for pair (a, b), or -1. */
  lookup(a: number, b: number): number {
    for (let i = this.slot(a, b); ; i = (i + 1) & this.mask) {
      const l = this.left[i]!;
      if (l === a && this.right[i] === b) return this.merge[i]!;
      if (l === -1) return -1;
    }
  }

  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> this.shift;
  }
}

/** Counts work done, so tests can check that merging is not quadratic (a rescan per merge would be). */
export interface MergeStats {
  /** Pair-table lookups: at most about 6 per input token here, O(n) per merge for a naive loop. */
  pairLookups: number;
}

/** Inputs up to this many tokens reuse one set of work buffers (merging is synchronous). */
const SHARED_BUFFER_TOKENS = 1 << 16;

function newBuffers(n: number) {
  return { sym: new Int32Array(n), next: new Int32Array(n), prev: new Int32Array(n), heap: new Float64Array(3 * n) };
}

let shared = newBuffers(256);

/** Buffers for n tokens: shared ones for the usual short inputs, fresh ones (freed after) for huge texts. */
function buffers(n: number): ReturnType<typeof newBuffers> {
  if (n > SHARED_BUFFER_TOKENS) return newBuffers(n);
  if (shared.sym.length < n) shared = newBuffers(Math.min(SHARED_BUFFER_TOKENS, Math.max(n, 2 * shared.sym.length)));
  return shared;
}

/**
 * Merges `ids` (token ids of single bytes, or any tokens) until no adjacent pair has a rule,
 * always taking the pair of lowest priority[merge], leftmost on ties. priority values must be
 * integers in [0, MAX_PRIORITY).
 */
export function applyMerges(
  ids: ArrayLike<number>,
  table: MergeTable,
  priority: Int32Array,
  stats?: MergeStats,
): number[] {
  const n = ids.length;
  if (n < 2) return Array.from(ids);
  // sym: (n) token at each position, -1 once merged into its left; next/prev: (n) live neighbours
  // or -1; heap: (3n) keys, since each merge removes one symbol and queues at most two pairs.
  const { sym, next, prev, heap } = buffers(n);
  for (let i = 0; i < n; i++) {
    sym[i] = ids[i]!;
    next[i] = i + 1 < n ? i + 1 : -1;
    prev[i] = i - 1;
  }
  let size = 0;
  const push = (key: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]! <= key) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = key;
  };
  /** Puts key into the hole at i, moving smaller children up. */
  const siftDown = (i: number, key: number): void => {
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1]! < heap[child]!) child++;
      if (heap[child]! >= key) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = key;
  };
  let lookups = 0;
  /** Heap key of the pair starting at pos, or -1 when it does not merge. */
  const pairKey = (pos: number): number => {
    const right = next[pos]!;
    if (right < 0) return -1;
    lookups++;
    const m = table.lookup(sym[pos]!, sym[right]!);
    return m < 0 ? -1 : priority[m]! * POS_SPAN + pos;
  };
  const offer = (pos: number): void => {
    const key = pairKey(pos);
    if (key >= 0) push(key);
  };

  // The initial pairs in one O(n) heapify rather than n pushes.
  for (let i = 0; i + 1 < n; i++) {
    const key = pairKey(i);
    if (key >= 0) heap[size++] = key;
  }
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i, heap[i]!);
  while (size > 0) {
    const key = heap[0]!;
    const last = heap[--size]!;
    if (size > 0) siftDown(0, last);
    const rank = Math.floor(key / POS_SPAN);
    const pos = key - rank * POS_SPAN;
    const right = next[pos]!;
    if (sym[pos]! < 0 || right < 0) continue;
    lookups++;
    const m = table.lookup(sym[pos]!, sym[right]!);
    if (m < 0 || priority[m] !== rank) continue; // stale: this pair changed since it was queued
    sym[pos] = table.result[m]!;
    sym[right] = -1;
    const after = next[right]!;
    next[pos] = after;
    if (after >= 0) prev[after] = pos;
    if (prev[pos]! >= 0) offer(prev[pos]!);
    offer(pos);
  }
  if (stats) stats.pairLookups += lookups;

  const out: number[] = [];
  for (let i = 0; i >= 0; i = next[i]!) out.push(sym[i]!);
  return out;
}
