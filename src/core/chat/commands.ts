// The chat's slash commands (/new, /mode, /temp, /topp, /seed, /max, /stats, /help, /exit),
// shared by every front end: a line in, a message (and what to do) out. Bad values are UsageErrors.
import { UsageError } from '../errors.js';
import { CHAT_MODES, type ChatMode } from './prompt.js';
import type { ChatSession } from './session.js';

export interface CommandOutcome {
  /** What to tell the user. */
  message: string;
  exit?: boolean;
  /** /stats: show tokens per second after each reply (toggled). */
  toggleStats?: boolean;
}

export const CHAT_HELP = [
  '/new            forget the conversation and start a new one',
  '/mode [m]       chat, story (type a summary) or raw (continue text); no argument: next mode',
  '/temp [t]       sampling temperature, 0 = greedy; no argument: show it',
  '/topp [p]       nucleus sampling threshold in (0, 1], 1 = off (not in v2 firmware mode); no argument: show it',
  '/seed [n]       fix the random seed (every reply starts from it); no argument: random again',
  '/max [n]        longest reply in tokens; -1 = until the model stops or the context is full;\n                -2 (v2 firmware) = the device\'s unsafe mode: wrap around the window until the model stops;\n                no argument: show it',
  '/stats          show tokens per second after each reply (on/off)',
  '/help           this list',
  '/exit           quit (also Ctrl-D; Ctrl-C stops a reply, a second Ctrl-C quits)',
].join('\n');

function number(arg: string | undefined, what: string): number {
  const n = Number(arg);
  if (arg === undefined || arg.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${what} needs a number, got "${arg ?? ''}"`);
  return n;
}

function maxReplyName(n: number): string {
  return n === -1 ? 'unlimited' : n === -2 ? 'unsafe (wraps around the window)' : `${n} tokens`;
}

/** Runs `line` when it is a command; undefined when it is a message for the model. */
export function runChatCommand(session: ChatSession, line: string): CommandOutcome | undefined {
  const m = /^\/(\w+)(?:\s+(.*))?$/.exec(line.trim());
  if (!m) return undefined;
  const [, name, rawArg] = m;
  const arg = rawArg?.trim() || undefined;
  const s = session.settings;
  switch (name) {
    case 'new':
      session.newChat();
      return { message: 'new conversation' };
    case 'mode': {
      const mode = (arg ?? CHAT_MODES[(CHAT_MODES.indexOf(s.mode) + 1) % CHAT_MODES.length]) as ChatMode;
      if (!CHAT_MODES.includes(mode)) throw new UsageError(`/mode: expected one of ${CHAT_MODES.join(', ')}, got ${arg}`);
      session.set({ mode });
      return { message: `mode: ${mode}` };
    }
    case 'temp':
    case 'temperature':
      if (arg !== undefined) session.set({ temperature: number(arg, '/temp') });
      return { message: `temperature: ${s.temperature}${s.temperature === 0 ? ' (greedy)' : ''}` };
    case 'topp':
      if (arg !== undefined) session.set({ topP: number(arg, '/topp') });
      return { message: `top-p: ${s.topP}${s.topP === 1 ? ' (off)' : ''}` };
    case 'seed':
      session.set({ seed: arg === undefined ? undefined : number(arg, '/seed') });
      return { message: s.seed === undefined ? 'seed: random' : `seed: ${s.seed}` };
    case 'max':
      if (arg !== undefined) session.set({ maxReply: number(arg, '/max') });
      return { message: `max reply: ${maxReplyName(s.maxReply)} (prompt budget ${session.budget} tokens)` };
    case 'stats':
      return { message: 'stats toggled', toggleStats: true };
    case 'help':
      return { message: CHAT_HELP };
    case 'exit':
    case 'quit':
      return { message: 'bye', exit: true };
    default:
      throw new UsageError(`unknown command /${name}: type /help for the list`);
  }
}
