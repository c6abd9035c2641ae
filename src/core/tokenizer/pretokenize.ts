// Text → the pieces BPE runs on: the literal EOS marker is cut out first, then (GPT-2 mode only)
// GPT-2's pre-tokenizer regex splits each piece into words.

/** The text of GPT-2's end-of-text token; a literal occurrence in a prompt means EOS. */
export const EOS_TEXT = '<|endoftext|>';

/**
 * GPT-2's pre-tokenizer: contractions, letters, digits, other symbols, whitespace runs. Its `\s`
 * means Unicode White_Space in every reference engine (OpenAI's Python `regex`, Hugging Face's
 * Oniguruma, tiktoken's Rust regex); JavaScript's `\s` differs on two characters (it adds U+FEFF
 * and lacks U+0085), so the property is spelled out.
 */
const GPT2_SPLIT =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** The words GPT-2 encodes separately (together they are the whole text). */
export function gpt2Words(text: string): string[] {
  return text.match(GPT2_SPLIT) ?? [];
}
