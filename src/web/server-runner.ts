// Replies from the tinytalk server: chat mode through /v1/chat/completions, story and raw modes
// through /v1/completions, streamed as Server-Sent Events.
import type { ReplyRequest } from './protocol.js';
import { sseEvents } from './sse.js';

export interface ReplyCallbacks {
  onText(text: string): void;
}

export interface ReplyStats {
  tokens: number;
  ms: number;
  reason: string;
}

interface Chunk {
  choices: { delta?: { content?: string }; text?: string; finish_reason: string | null }[];
  usage?: { completion_tokens: number };
  error?: { message: string };
}

export async function serverReply(
  request: ReplyRequest,
  prompt: string,
  apiKey: string,
  signal: AbortSignal,
  callbacks: ReplyCallbacks,
): Promise<ReplyStats> {
  const started = performance.now();
  const s = request.settings;
  const common = {
    model: 'tinytalk',
    stream: true,
    stream_options: { include_usage: true },
    temperature: s.temperature,
    top_p: s.topP,
    top_k: s.topK,
    min_p: s.minP,
    max_tokens: s.maxTokens,
    ...(s.seed === undefined ? {} : { seed: s.seed }),
  };
  const chat = request.mode === 'chat';
  const body = chat
    ? {
        ...common,
        messages: [
          ...request.history.flatMap((t) => [
            { role: 'user', content: t.user },
            { role: 'assistant', content: t.bot },
          ]),
          { role: 'user', content: request.text },
        ],
      }
    : { ...common, prompt };
  let tokens = 0;
  let reason = '';
  try {
    const response = await fetch(chat ? 'v1/chat/completions' : 'v1/completions', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify(body),
      signal,
    });
    if (!response.ok || !response.body) {
      const error = (await response.json().catch(() => ({}))) as Chunk;
      throw new Error(error.error?.message ?? `the server answered ${response.status}`);
    }
    for await (const event of sseEvents(response.body)) {
      const chunk = event as Chunk;
      if (chunk.error) throw new Error(chunk.error.message);
      const choice = chunk.choices[0];
      if (choice) {
        const text = choice.delta?.content ?? choice.text ?? '';
        if (text) {
          // The usage comes only at the end: until then, each piece of text is one token's (a
          // token that completes no character sends none, so a stopped reply may count a few less).
          tokens++;
          callbacks.onText(text);
        }
        if (choice.finish_reason) reason = choice.finish_reason;
      }
      if (chunk.usage) tokens = chunk.usage.completion_tokens;
    }
  } catch (e) {
    if (!signal.aborted) throw e;
    reason = 'stopped';
  }
  return { tokens, ms: performance.now() - started, reason };
}
