// The terminal chat: reads messages, streams replies, runs slash commands. In a terminal it
// shows the model, colours the bot (notes dim, errors red), and Ctrl-C stops a reply (a second
// one quits). When stdin is not a terminal it is a filter for scripts: one message per input
// line, one reply per output line (newlines in a reply written as \n, backslashes as \\; or one
// JSON object with --json); notes and command answers go to stderr so stdout holds only replies.
// Notes about the prompt (what was left out or cut) come before the reply, notes about how the
// reply ended after it.
import { relative, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { runChatCommand } from '../../core/chat/commands.js';
import { FIRMWARE_INPUT_MAX } from '../../core/firmware/settings.js';
import type { BuiltPrompt } from '../../core/chat/prompt.js';
import { ChatSession, type ChatSettings, type ReplyResult } from '../../core/chat/session.js';
import { TinyTalkError } from '../../core/errors.js';
import { ERROR_PREFIX } from '../cli/failure.js';
import type { Model } from '../../core/neo/model.js';

export interface ReplOptions {
  settings: Partial<ChatSettings>;
  /** Tokens per second after each reply. */
  stats?: boolean;
  /** Non-interactive output as JSON lines. */
  json?: boolean;
  /** What --model named, for the banner. */
  modelName: string;
  /** Default: process.stdin, stdout and stderr; interactive when input and output are terminals. */
  io?: ReplIO;
}

export interface ReplIO {
  input: NodeJS.ReadableStream & { isTTY?: boolean };
  output: NodeJS.WritableStream & { isTTY?: boolean };
  errors: NodeJS.WritableStream;
}

const CYAN = '\x1b[36m';
const DIM = '\x1b[2m';
const RED = '\x1b[31m';
const RESET = '\x1b[0m';

/** One reply as a single line: the format's leading space dropped, \ and newlines escaped. */
export function replyLine(text: string): string {
  return text.replace(/^ /, '').replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** A path as the user would type it from here: relative when that is shorter. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel !== '' && rel.length < resolve(path).length ? rel : path;
}

function describe(model: Model, session: ChatSession, name: string): string {
  const s = session.settings;
  const src = { ...model.source, path: shown(model.source.path) };
  const what = src.format === 'crdp' ? `firmware blob v${src.version ?? '?'}` : src.format;
  const numerics = s.firmware
    ? `firmware mode, v${s.firmwareVersion} firmware${s.fma ? ' with fused multiply-adds' : ''} (device numerics, sampler and history rules)`
    : 'float32 reference';
  const topP = s.topP === undefined ? '' : `, top-p ${s.topP}`;
  return `${name} (${what}${src.path === name ? '' : `, ${src.path}`}): ${numerics}, ${s.context}-token context, mode ${s.mode}, temperature ${s.temperature}${topP}`;
}

export async function runRepl(model: Model, o: ReplOptions): Promise<void> {
  const session = new ChatSession(model, o.settings);
  const io = o.io ?? { input: process.stdin, output: process.stdout, errors: process.stderr };
  const interactive = Boolean(io.input.isTTY && io.output.isTTY);
  const out = io.output;
  const note = (text: string): void => {
    io.errors.write(interactive ? `${DIM}${text}${RESET}\n` : `${text}\n`);
  };
  const error = (text: string): void => {
    io.errors.write(interactive ? `${RED}${ERROR_PREFIX}${text}${RESET}\n` : `${ERROR_PREFIX}${text}\n`);
  };
  let stats = o.stats ?? false;
  note(describe(model, session, o.modelName));
  if (interactive) note('Type a message and press Enter; /help lists the commands.');

  const rl = createInterface({ input: io.input, output: interactive ? out : undefined, terminal: interactive });
  let reply: AbortController | undefined;
  let armed = false; // a Ctrl-C was pressed: the next one quits
  let quitting = false;
  rl.on('SIGINT', () => {
    if (reply && !reply.signal.aborted) {
      reply.abort(new Error('interrupted'));
    } else if (armed) {
      quitting = true;
      rl.close();
    } else {
      out.write('\n');
      note('(Ctrl-C again to quit, or /exit)');
      rl.prompt();
    }
    armed = true;
  });

  let droppedShown = false;
  /** Notes about the prompt a message gets, shown before its reply. */
  const before = (message: string): void => {
    const input = session.input(message);
    if (input === '') return; // the reply's error says why
    if (input !== message) note(`(sent as the device's keyboard takes it: printable ASCII, at most ${FIRMWARE_INPUT_MAX} characters)`);
    const prompt: BuiltPrompt = session.prepare(message);
    if (prompt.cut) {
      note(prompt.ids.length === 0 ? '[empty] (the text is longer than the prompt budget; the device generates nothing)' : `(message cut to the ${session.budget}-token prompt budget, as the device does)`);
    }
    if (prompt.dropped > 0 && !droppedShown) {
      note(`(the oldest ${prompt.dropped === 1 ? 'exchange is' : `${prompt.dropped} exchanges are`} left out to fit the ${session.budget}-token prompt budget; /new starts over)`);
    }
    droppedShown = prompt.dropped > 0;
  };
  /** Notes about how a reply ended, shown after it. */
  const after = (r: ReplyResult): void => {
    if (r.finishReason === 'length') {
      note(`(cut at the ${session.settings.maxReply}-token reply limit: /max raises it, /max -1 lets the model finish${interactive ? '' : '; --max-reply on the command line'})`);
    }
    if (r.finishReason === 'context') note('(the context is full: the reply stops here; /new starts a fresh conversation, /max sets a shorter reply)');
    if (r.finishReason === 'interrupted') note('(stopped)');
    if (r.wrapped) note(`(context wrapped - ${r.ids.length} tokens - new conversation)`);
    if (r.slides > 0) note(`(the window slid ${r.slides === 1 ? 'once' : `${r.slides} times`}: the earliest context after the prompt's first tokens was dropped)`);
    if (stats) note(`${r.ids.length} tok / ${(r.ms / 1000).toFixed(2)} s (${r.tokensPerSecond.toFixed(1)} tok/s)`);
  };

  rl.setPrompt('> ');
  if (interactive) rl.prompt();
  for await (const line of rl) {
    armed = false;
    try {
      const cmd = runChatCommand(session, line);
      if (cmd) {
        if (cmd.toggleStats) stats = !stats;
        note(cmd.toggleStats ? `stats: ${stats ? 'on' : 'off'}` : cmd.message);
        if (cmd.exit) break;
      } else if (line !== '') {
        await answer(line);
      }
    } catch (err) {
      if (!(err instanceof TinyTalkError)) throw err;
      error(err.message);
      if (!interactive && !line.startsWith('/')) out.write(o.json ? `${JSON.stringify({ error: err.message })}\n` : '\n');
    }
    if (quitting) break;
    if (interactive) rl.prompt();
  }
  rl.close();
  if (interactive) out.write('\n');

  async function answer(text: string): Promise<void> {
    before(text);
    reply = new AbortController();
    const stream = session.reply(text, reply.signal);
    let started = false;
    let r: IteratorResult<string, ReplyResult>;
    try {
      while (!(r = await stream.next()).done) {
        if (!interactive) continue;
        let piece = r.value;
        if (!started) piece = piece.replace(/^ /, '');
        if (piece === '') continue;
        out.write(`${started ? '' : CYAN}${piece}`);
        started = true;
      }
    } finally {
      reply = undefined;
    }
    const res = r.value;
    if (interactive) {
      out.write(res.finishReason === 'empty' ? '' : `${RESET}\n`);
    } else if (o.json) {
      const { text: t, promptIds, ids, finishReason, tokensPerSecond } = res;
      out.write(`${JSON.stringify({ text: t, prompt_ids: promptIds, ids, finish_reason: finishReason, kept: res.prompt.kept, dropped: res.prompt.dropped, wrapped: res.wrapped, slides: res.slides, tokens_per_second: tokensPerSecond })}\n`);
    } else {
      out.write(`${replyLine(res.text)}\n`);
    }
    after(res);
  }
}
