// The version-3 firmware's window policy (firmware-format.md 11.2): a KV window of 80 slots for
// models of dim ≤ 128 and 72 above (the device's RAM budget), never more than the blob's position
// rows; a prompt budget of the window less 8; and, when the write slot reaches the window's last
// slot, a slide that keeps the first slots (the attention sink) and drops the next ones.
import type { NeoConfig } from '../../neo/config.js';

/** The v3 firmware's KV window for a model: 80 (dim ≤ 128) or 72, at most its positions. */
export function firmwareV3Window(config: NeoConfig): number {
  return Math.min(config.hiddenSize <= 128 ? 80 : 72, config.maxPositions);
}

/**
 * Prompt tokens the v3 firmware takes: window − 8, so the first replies need no slide. The spec
 * gives no floor; 8 is the v2 firmware's, kept so tiny windows still take a prompt.
 */
export function firmwareV3PromptBudget(window: number): number {
  return Math.max(8, window - 8);
}

/** One slide of the window, as the golden files record it. */
export interface Slide {
  /** Slots kept at the start (the attention sink): min(window / 4, prompt tokens). */
  keep: number;
  /** Slots dropped after them: max(1, window / 4). */
  evict: number;
  /** The write slot after the slide. */
  pos: number;
  /** The absolute position of the token written next (its position-table row). */
  abspos: number;
}

/** keep and evict for a window and a prompt length; evict 0 when the window is too small to slide. */
export function slideSizes(window: number, promptTokens: number): { keep: number; evict: number } {
  const quarter = Math.floor(window / 4);
  const keep = Math.min(quarter, promptTokens);
  const evict = Math.max(1, quarter);
  return keep + evict >= window ? { keep, evict: 0 } : { keep, evict };
}
