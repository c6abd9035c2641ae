// Text → the pieces BPE runs on: the literal EOS marker is cut out first, then (GPT-2 mode only)
// GPT-2's pre-tokenizer regex splits each piece into words.

/** The text of GPT-2's end-of-text token; a literal occurrence in a prompt means EOS. */
export const EOS_TEXT = '<|endoftext|>';

/** GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, whitespace runs. */
const GPT2_SPLIT = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

/** The words GPT-2 encodes separately (together they are the whole text). */
export function gpt2Words(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}
