// `tinytalk chat`: talk with TinyTalk in the terminal (or through a pipe, one line per message).
import { Option, type Command } from 'commander';
import { CHAT_MODES, type ChatMode } from '../../../core/chat/prompt.js';
import type { ChatSettings } from '../../../core/chat/session.js';
import { FIRMWARE_MAX_REPLY, FIRMWARE_TEMPERATURE, FIRMWARE_V3_TOP_P } from '../../../core/firmware/settings.js';
import { MODEL_CARD_DEFAULTS as card } from '../../../core/neo/config.js';
import { decimal, firmwareOptions, integer, modelOptions, startThreads, threadsOption } from '../options.js';

/** Commander's parse: the chat session's settings as flags, plus where the model comes from. */
type ChatCliOptions = Partial<ChatSettings> & {
  model: string;
  tokenizer?: string;
  revision?: string;
  mode: ChatMode;
  stats?: boolean;
  threads: number;
  json?: boolean;
};

export function register(program: Command): void {
  const command = program
    .command('chat')
    .description('chat with the model in the terminal (stdin not a terminal: one message per line, one reply per line)');
  modelOptions(command)
    .addOption(new Option('--mode <mode>', 'chat, story (a summary in, a story out) or raw (continue the text)').choices([...CHAT_MODES]).default(CHAT_MODES[0]))
    .option('--temperature <t>', `0 = greedy (default: ${FIRMWARE_TEMPERATURE} in firmware mode, else the model's, ${card.temperature})`, decimal(0))
    .option('--top-k <k>', `sample among the k most likely tokens (reference mode; default: the model's, ${card.topK})`, integer(0))
    .option('--top-p <p>', `nucleus sampling threshold, 1 = off (reference mode, default: the model's, ${card.topP}; v3 firmware: its ${FIRMWARE_V3_TOP_P})`, decimal(0))
    .option('--max-reply <n>', `longest reply in tokens, -1 = no limit, -2 = v2 firmware unsafe mode (default ${FIRMWARE_MAX_REPLY}, as on the device; story mode without --firmware: -1, until the story ends)`, integer(-2))
    .option('--context <n>', 'positions for prompt + reply (default: the firmware\'s window in firmware mode, 80 or 72 above dim 128; else the model\'s)', integer())
    .option('--seed <n>', 'every reply starts the random stream from this seed (default random)', integer(0))
    .option('--firmware', 'behave like the device (v2 or v3 firmware, as the blob says): its numerics, sampler, window and history rules')
    .option('--stats', 'show tokens per second after each reply (also /stats)')
    .option('--json', 'when stdin is not a terminal, write each reply as one JSON object (text, ids, finish reason, ...)');
  firmwareOptions(command);
  threadsOption(command)
    .action(async (o: ChatCliOptions) => {
      const { loadModel } = await import('../../load.js');
      const { runRepl } = await import('../../chat/repl.js');
      const model = await loadModel(o.model, { tokenizer: o.tokenizer, revision: o.revision });
      const closeThreads = await startThreads(o.threads);
      const { mode, temperature, topK, topP, maxReply, context, seed, firmware, firmwareVersion, fma } = o;
      await runRepl(model, {
        modelName: o.model,
        stats: o.stats,
        json: o.json,
        settings: { mode, temperature, topK, topP, maxReply, context, seed, firmware, firmwareVersion, fma },
      });
      await closeThreads();
    });
}
