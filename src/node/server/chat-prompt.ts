// OpenAI messages → TinyTalk's dialogue. Roles are grouped into exchanges (user text, bot reply) for
// the chat's prompt builder (`User: u\nBot: b` joined by EOS and a newline, the newest that fit);
// system messages have no place in TinyTalk's format and become a plain first line.
import type { Exchange } from '../../core/formats/dialogue.js';
import { chatPrompt } from '../../core/chat/prompt.js';
import type { Model } from '../../core/neo/model.js';
import { ApiError } from './errors.js';
import type { ChatMessage } from './request.js';

export interface Conversation {
  system: string;
  history: Exchange[];
  current: string;
}

export function conversationOf(messages: readonly ChatMessage[]): Conversation {
  const system: string[] = [];
  const turns: { user: string[]; bot: string[] }[] = [];
  for (const m of messages) {
    const last = turns[turns.length - 1];
    if (m.role === 'system') system.push(m.content);
    else if (m.role === 'user') {
      if (last && last.bot.length === 0) last.user.push(m.content);
      else turns.push({ user: [m.content], bot: [] });
    } else if (last) last.bot.push(m.content);
    else turns.push({ user: [], bot: [m.content] });
  }
  const current = turns.pop();
  if (!current || current.bot.length > 0) throw new ApiError(400, "'messages' must end with a user message", 'invalid_request_error', 'messages', 'invalid_value');
  const join = (parts: string[]) => parts.join('\n');
  // The model's replies start with the space after `Bot:`; clients send them back trimmed.
  const reply = (parts: string[]) => (parts.length === 0 ? '' : ` ${join(parts).replace(/^ /, '')}`);
  return { system: join(system), history: turns.map((t) => ({ user: join(t.user), bot: reply(t.bot) })), current: join(current.user) };
}

export function chatPromptIds(model: Model, messages: readonly ChatMessage[], maxPromptTokens: number): number[] {
  const c = conversationOf(messages);
  const encode = (t: string) => model.tokenizer.encode(t);
  const head = c.system ? encode(`${c.system}\n`) : [];
  const built = chatPrompt(c.history, c.current, { encode, eosId: model.config.eosId, budget: maxPromptTokens - head.length, firmware: false });
  if (built.tooLong) {
    throw new ApiError(
      400,
      `The last message is ${built.tooLong.tokens} tokens long; with the system text this model and server take at most ${built.tooLong.budget}`,
      'invalid_request_error',
      'messages',
      'context_length_exceeded',
    );
  }
  return [...head, ...built.ids];
}
