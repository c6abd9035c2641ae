// Prompt formats and the prompt budget (firmware-format.md 5.2-5.4). Chat: past exchanges
// `User: u\nBot: b` joined by EOS and "\n", then `User: text\nBot:`; story: `Summary: text\nStory:`;
// raw: the text. Each segment is encoded on its own. The newest exchanges that fit the budget are
// kept; an over-long message is cut the device's way in firmware mode and refused otherwise
// (the reference mode never cuts a prompt silently).
import { exchangeText, REPLY_CUE, STORY_CUE, storyPromptText, summaryLine, userTurn, type Exchange } from '../formats/dialogue.js';

export type ChatMode = 'chat' | 'story' | 'raw';
export const CHAT_MODES: readonly ChatMode[] = ['chat', 'story', 'raw'];

export interface PromptRules {
  encode(text: string): number[];
  eosId: number;
  /** Most prompt tokens (promptBudget). */
  budget: number;
  /** Device fallbacks for prompts over the budget; otherwise they are reported, not cut. */
  firmware: boolean;
}

export interface BuiltPrompt {
  ids: number[];
  /** Past exchanges included (the newest ones). */
  kept: number;
  /** Past exchanges left out because they did not fit. */
  dropped: number;
  /** Firmware fallback: the message was cut (or, in raw mode, nothing is left to generate from). */
  cut: boolean;
  /** Not built: the message alone is over the budget (reference mode); ids is empty. */
  tooLong?: { tokens: number; budget: number };
}

/** Prompt tokens left after reserving the reply: context − max(maxReply, 0) − 1, at least 8. */
export function promptBudget(context: number, maxReply: number): number {
  return Math.max(8, context - Math.max(maxReply, 0) - 1);
}

function tooLong(tokens: number, budget: number): BuiltPrompt {
  return { ids: [], kept: 0, dropped: 0, cut: false, tooLong: { tokens, budget } };
}

export function chatPrompt(history: readonly Exchange[], text: string, r: PromptRules): BuiltPrompt {
  const current = r.encode(userTurn(text));
  if (current.length > r.budget) {
    if (!r.firmware) return tooLong(current.length, r.budget);
    const ids = [...current.slice(0, Math.min(r.budget - 4, current.length)), ...r.encode(REPLY_CUE)];
    return { ids, kept: 0, dropped: history.length, cut: true };
  }
  const newline = r.encode('\n');
  // Newest first: each exchange costs its tokens plus the EOS and newline joiners.
  const included: number[][] = [];
  let total = current.length;
  for (let i = history.length - 1; i >= 0; i--) {
    const h = history[i]!;
    const seg = r.encode(exchangeText(h));
    if (total + seg.length + 2 > r.budget) break;
    total += seg.length + 2;
    included.push(seg);
  }
  const ids: number[] = [];
  for (const seg of included.reverse()) ids.push(...seg, r.eosId, ...newline);
  ids.push(...current);
  return { ids, kept: included.length, dropped: history.length - included.length, cut: false };
}

export function storyPrompt(text: string, r: PromptRules): BuiltPrompt {
  const full = r.encode(storyPromptText(text));
  if (full.length <= r.budget) return { ids: full, kept: 0, dropped: 0, cut: false };
  if (!r.firmware) return tooLong(full.length, r.budget);
  // Device fallback, quirk included: a summary alone over the budget leaves only "\nStory:".
  const summary = r.encode(summaryLine(text));
  const head = summary.length <= r.budget ? summary.slice(0, r.budget - 4) : [];
  return { ids: [...head, ...r.encode(STORY_CUE)], kept: 0, dropped: 0, cut: true };
}

export function rawPrompt(text: string, r: PromptRules): BuiltPrompt {
  const ids = r.encode(text);
  if (ids.length <= r.budget) return { ids, kept: 0, dropped: 0, cut: false };
  // The device encodes nothing and generates nothing ("[empty]").
  return r.firmware ? { ids: [], kept: 0, dropped: 0, cut: true } : tooLong(ids.length, r.budget);
}

export function buildPrompt(mode: ChatMode, history: readonly Exchange[], text: string, r: PromptRules): BuiltPrompt {
  if (mode === 'chat') return chatPrompt(history, text, r);
  return mode === 'story' ? storyPrompt(text, r) : rawPrompt(text, r);
}
