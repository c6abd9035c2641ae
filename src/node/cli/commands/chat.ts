// `tinytalk chat`: talk with TinyTalk in the terminal (or through a pipe, one line per message).
import { Option, type Command } from 'commander';
import { decimal, firmwareOptions, integer, modelOptions, startThreads, threadsOption } from '../options.js';

interface ChatCliOptions {
  model: string;
  tokenizer?: string;
  revision?: string;
  mode: 'chat' | 'story' | 'raw';
  temperature?: number;
  topK?: number;
  topP?: number;
  maxReply?: number;
  context?: number;
  seed?: number;
  firmware?: boolean;
  firmwareVersion?: 2 | 3;
  fma?: boolean;
  stats?: boolean;
  threads: number;
  json?: boolean;
}

export function register(program: Command): void {
  const command = program
    .command('chat')
    .description('chat with the model in the terminal (stdin not a terminal: one message per line, one reply per line)');
  modelOptions(command)
    .addOption(new Option('--mode <mode>', 'chat, story (a summary in, a story out) or raw (continue the text)').choices(['chat', 'story', 'raw']).default('chat'))
    .option('--temperature <t>', '0 = greedy (default: 0.8 in firmware mode, else the model\'s 0.7)', decimal(0))
    .option('--top-k <k>', 'sample among the k most likely tokens (reference mode; default the model\'s 40)', integer(0))
    .option('--top-p <p>', 'nucleus sampling threshold, 1 = off (reference mode, default 1; v3 firmware: its 0.9)', decimal(0))
    .option('--max-reply <n>', 'longest reply in tokens, -1 = no limit, -2 = v2 firmware unsafe mode (default 44, as on the device)', integer(-2))
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
      await runRepl(model, {
        modelName: o.model,
        stats: o.stats,
        json: o.json,
        settings: {
          mode: o.mode,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          maxReply: o.maxReply,
          context: o.context,
          seed: o.seed,
          firmware: o.firmware,
          firmwareVersion: o.firmwareVersion,
          fma: o.fma,
        },
      });
      await closeThreads();
    });
}
