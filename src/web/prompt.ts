// The prompt text the page sends to /v1/completions in story and raw modes (in the browser, and for
// chat mode, the chat helper's buildPrompt makes the ids).
import type { Mode } from './protocol.js';

export function storyOrRawPrompt(mode: Mode, text: string): string {
  return mode === 'story' ? `Summary: ${text}\nStory:` : text;
}
